// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using ImUeAgent.Uicc.Aka;

namespace ImUeAgent.Testbed.Modem;

/// <summary>
/// The `--card FILE` JSON: { "imsi", "mncDigits", "k", "opc" | "op", "sqn" (12 hex digits), "impi", "impu": [],
/// "domain", "msisdn", "isimAid", "pcscf": [] }. Every field is optional; absent ones keep the defaults
/// (TS 35.208 test set 1, IMSI 001010123456789).
/// </summary>
internal sealed class CardFile
{
    public string? Imsi { get; set; }

    public int? MncDigits { get; set; }

    public string? K { get; set; }

    public string? Opc { get; set; }

    public string? Op { get; set; }

    public string? Sqn { get; set; }

    public string? Impi { get; set; }

    public List<string>? Impu { get; set; }

    public string? Domain { get; set; }

    public string? Msisdn { get; set; }

    public string? IsimAid { get; set; }

    public List<string>? Pcscf { get; set; }

    public override string ToString() => "CardFile(K/OPc/OP redacted)";

    /// <summary>Reads the file; on a problem returns null and a message naming the file and the key.</summary>
    public static CardFile? Load(string path, out string? error)
    {
        error = null;
        try
        {
            var bytes = File.ReadAllBytes(path);
            if (bytes.Length > 64 * 1024)
            {
                error = $"{path}: larger than 64 KiB";
                return null;
            }

            return JsonSerializer.Deserialize(bytes, CardFileJsonContext.Default.CardFile)
                ?? throw new JsonException("null document");
        }
        catch (JsonException exception)
        {
            // The exception's message names the JSON path and position, never a value.
            error = $"{path}: {exception.Message}";
            return null;
        }
        catch (IOException exception)
        {
            error = $"{path}: {exception.Message}";
            return null;
        }
        catch (UnauthorizedAccessException exception)
        {
            error = $"{path}: {exception.Message}";
            return null;
        }
    }

    /// <summary>Applies the file's fields onto <paramref name="card"/>; false with the offending key on a bad value.</summary>
    public bool TryApply(CardSettings card, out CardSettings result, out string? error)
    {
        result = card;
        error = null;
        byte[]? k = null, opc = null, op = null, aid = null;
        ulong? sqn = null;
        if ((K is not null && !TryHex(K, 16, out k)) || (Opc is not null && !TryHex(Opc, 16, out opc))
            || (Op is not null && !TryHex(Op, 16, out op)))
        {
            error = "k/opc/op: 32 hex digits";
            return false;
        }

        if (IsimAid is not null && !TryHex(IsimAid, -1, out aid))
        {
            error = "isimAid: hex";
            return false;
        }

        if (Sqn is not null)
        {
            if (!TryParseSqn(Sqn, out var parsed))
            {
                error = "sqn: 12 hex digits";
                return false;
            }

            sqn = parsed;
        }

        if (opc is null && op is not null)
        {
            opc = new byte[16];
            Milenage.ComputeOpc(k ?? card.K, op, opc);
        }

        result = new CardSettings
        {
            Imsi = Imsi ?? card.Imsi,
            MncDigits = MncDigits ?? card.MncDigits,
            K = k ?? card.K,
            Opc = opc ?? card.Opc,
            SqnMs = sqn ?? card.SqnMs,
            IndBits = card.IndBits,
            SqnDelta = card.SqnDelta,
            Impi = Impi ?? card.Impi,
            Impus = Impu ?? card.Impus,
            Domain = Domain ?? card.Domain,
            Msisdn = Msisdn ?? card.Msisdn,
            IsimAid = aid ?? card.IsimAid,
            PcscfOnCard = Pcscf ?? card.PcscfOnCard,
        };
        return true;
    }

    public static bool TryParseSqn(string text, out ulong sqn) =>
        ulong.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out sqn) && text.Length <= 12
        && sqn <= Milenage.MaxSqn;

    public static bool TryHex(string text, int length, out byte[] bytes)
    {
        bytes = [];
        if (text.Length % 2 != 0 || !text.All(char.IsAsciiHexDigit) || (length >= 0 && text.Length != 2 * length))
        {
            return false;
        }

        bytes = Convert.FromHexString(text);
        return true;
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(CardFile))]
internal sealed partial class CardFileJsonContext : JsonSerializerContext;
