// SPDX-License-Identifier: MIT
using System.Text.Json;
using System.Text.Json.Serialization;
using ImUeAgent.Testbed.Modem;
using ImUeAgent.Uicc.Aka;

namespace ImUeAgent.Testbed.Core;

/// <summary>
/// The `--subscribers FILE` JSON: { "subscribers": [ { "impi", "impu": [], "k", "opc" | "op", "sqn" (12 hex digits,
/// SQN_HE), "amf" (4 hex digits), "algorithm": "AKAv1-MD5" | "AKAv2-MD5" | "MD5", "password" } ] }. AKA entries need
/// k and opc (or op); MD5 entries need password. An IMSI may stand for the identities: "imsi" derives
/// IMPI and IMPUs as the modem's card does (TS 23.003 §13).
/// </summary>
internal sealed class SubscriberFile
{
    public List<SubscriberEntry>? Subscribers { get; set; }

    public override string ToString() => "SubscriberFile(credentials redacted)";

    /// <summary>Reads and converts the file; on a problem returns null and a message naming the file and the key.</summary>
    public static IReadOnlyList<Subscriber>? Load(string path, out string? error)
    {
        error = null;
        SubscriberFile? file;
        try
        {
            var info = new FileInfo(path);
            if (info.Exists && info.Length > 1024 * 1024)
            {
                error = $"{path}: larger than 1 MiB";
                return null;
            }

            file = JsonSerializer.Deserialize(File.ReadAllBytes(path), SubscriberFileJsonContext.Default.SubscriberFile);
        }
        catch (Exception exception) when (exception is JsonException or IOException or UnauthorizedAccessException)
        {
            // A JsonException's message names the JSON path and position, never a value.
            error = $"{path}: {exception.Message}";
            return null;
        }

        if (file?.Subscribers is not { Count: > 0 } entries)
        {
            error = $"{path}: \"subscribers\" must list at least one subscriber";
            return null;
        }

        var result = new List<Subscriber>(entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            if (!entries[i].TryConvert(out var subscriber, out var entryError))
            {
                error = $"{path}: subscribers[{i}].{entryError}";
                return null;
            }

            result.Add(subscriber!);
        }

        return result;
    }
}

/// <summary>One entry of <see cref="SubscriberFile"/>.</summary>
internal sealed class SubscriberEntry
{
    public string? Imsi { get; set; }

    public string? Impi { get; set; }

    public List<string>? Impu { get; set; }

    public string? Domain { get; set; }

    public string? K { get; set; }

    public string? Opc { get; set; }

    public string? Op { get; set; }

    public string? Sqn { get; set; }

    public string? Amf { get; set; }

    public string? Algorithm { get; set; }

    public string? Password { get; set; }

    public override string ToString() => "SubscriberEntry(credentials redacted)";

    /// <summary>Builds the subscriber; false with "key: why" on a bad value.</summary>
    public bool TryConvert(out Subscriber? subscriber, out string? error)
    {
        subscriber = null;
        error = null;
        var scheme = Algorithm?.ToUpperInvariant() switch
        {
            null or "AKAV1-MD5" => AuthenticationScheme.AkaV1,
            "AKAV2-MD5" => AuthenticationScheme.AkaV2,
            "MD5" => AuthenticationScheme.DigestMd5,
            _ => (AuthenticationScheme?)null,
        };
        if (scheme is null)
        {
            error = "algorithm: AKAv1-MD5, AKAv2-MD5 or MD5";
            return false;
        }

        if (Password is not null && Algorithm is null)
        {
            scheme = AuthenticationScheme.DigestMd5;
        }

        byte[] k = [], opc = [];
        if (scheme != AuthenticationScheme.DigestMd5)
        {
            if (K is null || !CardFile.TryHex(K, 16, out k))
            {
                error = "k: 32 hex digits";
                return false;
            }

            if (Opc is not null)
            {
                if (!CardFile.TryHex(Opc, 16, out opc))
                {
                    error = "opc: 32 hex digits";
                    return false;
                }
            }
            else if (Op is not null && CardFile.TryHex(Op, 16, out var op))
            {
                opc = new byte[16];
                Milenage.ComputeOpc(k, op, opc);
            }
            else
            {
                error = "opc: 32 hex digits (or op)";
                return false;
            }
        }

        ulong sqn = 0;
        if (Sqn is not null && !CardFile.TryParseSqn(Sqn, out sqn))
        {
            error = "sqn: 12 hex digits";
            return false;
        }

        ushort amf = 0x8000;
        if (Amf is not null)
        {
            if (!CardFile.TryHex(Amf, 2, out var amfBytes))
            {
                error = "amf: 4 hex digits";
                return false;
            }

            amf = (ushort)((amfBytes[0] << 8) | amfBytes[1]);
        }

        string impi;
        IReadOnlyList<string> impus;
        if (Imsi is not null)
        {
            var card = new CardSettings { Imsi = Imsi, Domain = Domain };
            if (card.Validate() is { } invalid)
            {
                error = invalid;
                return false;
            }

            impi = Impi ?? card.EffectiveImpi;
            impus = Impu is { Count: > 0 } ? Impu : card.EffectiveImpus;
        }
        else if (Impi is not null)
        {
            impi = Impi;
            var at = Impi.IndexOf('@', StringComparison.Ordinal);
            var domain = Domain ?? (at > 0 ? Impi[(at + 1)..] : null);
            impus = Impu is { Count: > 0 } ? Impu
                : domain is null ? [] : [$"sip:{(at > 0 ? Impi[..at] : Impi)}@{domain}"];
        }
        else
        {
            error = "impi: required (or imsi)";
            return false;
        }

        subscriber = new Subscriber
        {
            Impi = impi,
            Impus = impus,
            Scheme = scheme.Value,
            K = k,
            Opc = opc,
            Sqn = sqn,
            Amf = amf,
            Password = Password,
        };
        error = subscriber.Validate();
        return error is null;
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(SubscriberFile))]
internal sealed partial class SubscriberFileJsonContext : JsonSerializerContext;
