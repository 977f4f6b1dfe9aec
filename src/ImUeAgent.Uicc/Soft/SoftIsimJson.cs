// SPDX-License-Identifier: MIT
using System.Text.Json.Serialization;

namespace ImUeAgent.Uicc.Soft;

/// <summary>The soft ISIM key file as written on disk (see <see cref="SoftIsimKeyFile"/> for the meaning).</summary>
internal sealed class SoftIsimKeyFileModel
{
    [JsonPropertyName("k")]
    public string? K { get; set; }

    [JsonPropertyName("opc")]
    public string? Opc { get; set; }

    [JsonPropertyName("op")]
    public string? Op { get; set; }

    [JsonPropertyName("amf")]
    public string? Amf { get; set; }

    [JsonPropertyName("impi")]
    public string? Impi { get; set; }

    [JsonPropertyName("impu")]
    public List<string>? Impu { get; set; }

    [JsonPropertyName("domain")]
    public string? Domain { get; set; }

    [JsonPropertyName("sqnFile")]
    public string? SqnFile { get; set; }

    [JsonPropertyName("sqnDelta")]
    public ulong? SqnDelta { get; set; }

    [JsonPropertyName("indBits")]
    public int? IndBits { get; set; }
}

/// <summary>The SQN state file: the highest accepted SQN of each IND slot that has one (TS 33.102 Annex C.3).</summary>
internal sealed class SqnStateModel
{
    [JsonPropertyName("sqnMs")]
    public List<string>? SqnMs { get; set; }
}

/// <summary>Source-generated JSON metadata: no reflection (AOT, trimming).</summary>
[JsonSourceGenerationOptions(
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    WriteIndented = true)]
[JsonSerializable(typeof(SoftIsimKeyFileModel))]
[JsonSerializable(typeof(SqnStateModel))]
internal sealed partial class SoftIsimJsonContext : JsonSerializerContext;
