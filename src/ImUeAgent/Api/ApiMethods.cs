// SPDX-License-Identifier: MIT
using System.Text.Json;
using ImUeAgent.Daemon;

namespace ImUeAgent.Api;

/// <summary>A method of the local API.</summary>
internal interface IApiMethod
{
    /// <summary>Fully qualified: interface + "." + method, e.g. org.imue.Agent.GetStatus.</summary>
    string Name { get; }

    /// <summary>A stream: the server refuses a call without "more" (ExpectedMore) before invoking it.</summary>
    bool Streams => false;

    Task InvokeAsync(ApiCall call, ApiReplyWriter reply, CancellationToken cancellationToken);
}

/// <summary>org.varlink.service.GetInfo: who answers and which interfaces it has.</summary>
internal sealed class GetInfoMethod : IApiMethod
{
    public string Name => Varlink.ServiceInterface + ".GetInfo";

    public async Task InvokeAsync(ApiCall call, ApiReplyWriter reply, CancellationToken cancellationToken) =>
        await reply.ReplyAsync(w =>
        {
            w.WriteString("vendor", "ImUeAgent");
            w.WriteString("product", ProductInfo.ProductName);
            w.WriteString("version", ProductInfo.Version);
            w.WriteString("url", "file:///usr/share/doc/imue-agent/README.md");
            w.WriteStartArray("interfaces");
            w.WriteStringValue(Varlink.ServiceInterface);
            w.WriteStringValue(Varlink.Interface);
            w.WriteEndArray();
        }, continues: false, cancellationToken).ConfigureAwait(false);
}

/// <summary>org.imue.Agent.GetStatus: the current snapshot.</summary>
internal sealed class GetStatusMethod(AgentState state) : IApiMethod
{
    public string Name => Varlink.Interface + ".GetStatus";

    public async Task InvokeAsync(ApiCall call, ApiReplyWriter reply, CancellationToken cancellationToken) =>
        await reply.ReplyAsync(w => StatusJson.Write(w, state.Current), continues: false, cancellationToken).ConfigureAwait(false);
}

/// <summary>org.imue.Agent.WatchStatus (more): the current snapshot, then one reply per change, until hang-up.</summary>
internal sealed class WatchStatusMethod(AgentState state) : IApiMethod
{
    public string Name => Varlink.Interface + ".WatchStatus";

    public bool Streams => true;

    public async Task InvokeAsync(ApiCall call, ApiReplyWriter reply, CancellationToken cancellationToken)
    {
        await foreach (var snapshot in state.WatchAsync(cancellationToken).ConfigureAwait(false))
        {
            await reply.ReplyAsync(w => StatusJson.Write(w, snapshot), continues: true, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>The status snapshot as API JSON (source-generated serializer, no reflection).</summary>
internal static class StatusJson
{
    public static void Write(Utf8JsonWriter writer, StatusSnapshot snapshot)
    {
        writer.WritePropertyName("status");
        JsonSerializer.Serialize(writer, snapshot, ApiJsonContext.Default.StatusSnapshot);
        writer.WriteString("summary", snapshot.Summary);
    }
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(
    PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)]
[System.Text.Json.Serialization.JsonSerializable(typeof(StatusSnapshot))]
internal sealed partial class ApiJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
