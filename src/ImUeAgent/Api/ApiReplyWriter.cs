// SPDX-License-Identifier: MIT
using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;

namespace ImUeAgent.Api;

/// <summary>Writes replies of one call: JSON object + NUL, flushed per reply so streams arrive as they happen.</summary>
internal sealed class ApiReplyWriter(PipeWriter output, bool oneway)
{
    private readonly Lock _gate = new();

    /// <summary>A reply whose parameters the callback writes (inside an open object).</summary>
    public ValueTask ReplyAsync(Action<Utf8JsonWriter> writeParameters, bool continues, CancellationToken cancellationToken) =>
        WriteAsync(writer =>
        {
            writer.WriteStartObject("parameters");
            writeParameters(writer);
            writer.WriteEndObject();
            if (continues)
            {
                writer.WriteBoolean("continues", true);
            }
        }, cancellationToken);

    public ValueTask ErrorAsync(string error, Action<Utf8JsonWriter>? writeParameters, CancellationToken cancellationToken) =>
        WriteAsync(writer =>
        {
            writer.WriteString("error", error);
            writer.WriteStartObject("parameters");
            writeParameters?.Invoke(writer);
            writer.WriteEndObject();
        }, cancellationToken);

    private async ValueTask WriteAsync(Action<Utf8JsonWriter> body, CancellationToken cancellationToken)
    {
        if (oneway)
        {
            return;
        }

        lock (_gate)
        {
            using (var writer = new Utf8JsonWriter((IBufferWriter<byte>)output))
            {
                writer.WriteStartObject();
                body(writer);
                writer.WriteEndObject();
            }

            output.GetSpan(1)[0] = 0;
            output.Advance(1);
        }

        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
