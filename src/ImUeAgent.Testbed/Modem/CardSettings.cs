// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Net;

namespace ImUeAgent.Testbed.Modem;

/// <summary>
/// The subscription on the emulated UICC: identities, the Milenage key material and the sequence number state.
/// K and OPc are secrets: <see cref="ToString"/> redacts them and nothing else prints them.
/// </summary>
internal sealed class CardSettings
{
    /// <summary>TS 35.208 §4.3 test set 1, the default subscriber (shared/data/milenage-ts35208.json).</summary>
    public static readonly byte[] TestSet1K = Convert.FromHexString("465b5ce8b199b49faa5f0a2ee238a6bc");

    /// <summary>TS 35.208 §4.3 test set 1 OPc.</summary>
    public static readonly byte[] TestSet1Opc = Convert.FromHexString("cd63cb71954a9f4e48a5994e37a02baf");

    /// <summary>A TS 31.103 ISIM AID: RID A000000087, application code 1004 (ISIM), then provider-specific bytes.</summary>
    public static readonly byte[] DefaultIsimAid = Convert.FromHexString("A0000000871004FF49FF058900000001");

    /// <summary>A TS 31.102 USIM AID (application code 1002), listed in EF_DIR before the ISIM.</summary>
    public static readonly byte[] DefaultUsimAid = Convert.FromHexString("A0000000871002FF49FF058900000001");

    public string Imsi { get; init; } = "001010123456789";

    /// <summary>Number of MNC digits in the IMSI (2 or 3, TS 23.003 §2.2; EF_AD byte 4).</summary>
    public int MncDigits { get; init; } = 2;

    public byte[] K { get; init; } = TestSet1K;

    public byte[] Opc { get; init; } = TestSet1Opc;

    /// <summary>SQN_MS: the highest sequence number the card has accepted (TS 33.102 Annex C).</summary>
    public ulong SqnMs { get; init; }

    /// <summary>IND length in bits of the SQN = SEQ ‖ IND split (TS 33.102 Annex C.3.2 suggests 5).</summary>
    public int IndBits { get; init; } = 5;

    /// <summary>Δ of TS 33.102 Annex C.2.2 (largest accepted jump of SEQ), or null to accept any jump.</summary>
    public ulong? SqnDelta { get; init; }

    /// <summary>IMS private identity; null derives it from the IMSI (TS 23.003 §13.3).</summary>
    public string? Impi { get; init; }

    /// <summary>IMS public identities, one record of EF_IMPU each; empty derives sip:IMSI@domain and a tel URI.</summary>
    public IReadOnlyList<string> Impus { get; init; } = [];

    /// <summary>Home network domain name; null derives ims.mncXXX.mccYYY.3gppnetwork.org (TS 23.003 §13.2).</summary>
    public string? Domain { get; init; }

    /// <summary>The tel URI in the derived IMPU set.</summary>
    public string Msisdn { get; init; } = "+15550123456";

    public byte[] IsimAid { get; init; } = DefaultIsimAid;

    /// <summary>P-CSCF addresses stored in EF_P-CSCF (IP literals or FQDNs); empty leaves the file without records
    /// and ISIM service 1 off.</summary>
    public IReadOnlyList<string> PcscfOnCard { get; init; } = [];

    public string Mcc => Imsi[..3];

    public string Mnc => Imsi.Substring(3, MncDigits);

    public string EffectiveDomain =>
        Domain ?? string.Create(CultureInfo.InvariantCulture, $"ims.mnc{Mnc.PadLeft(3, '0')}.mcc{Mcc}.3gppnetwork.org");

    public string EffectiveImpi => Impi ?? $"{Imsi}@{EffectiveDomain}";

    public IReadOnlyList<string> EffectiveImpus =>
        Impus.Count > 0 ? Impus : [$"sip:{Imsi}@{EffectiveDomain}", $"tel:{Msisdn}"];

    /// <summary>Checks lengths and digits; returns the first problem, naming the field, or null.</summary>
    public string? Validate()
    {
        if (Imsi.Length is < 6 or > 15 || !Imsi.All(char.IsAsciiDigit))
        {
            return "imsi: 6 to 15 decimal digits";
        }

        if (MncDigits is not (2 or 3))
        {
            return "mnc-digits: 2 or 3";
        }

        if (K.Length != 16)
        {
            return "k: 16 bytes (32 hex digits)";
        }

        if (Opc.Length != 16)
        {
            return "opc: 16 bytes (32 hex digits)";
        }

        if (SqnMs >= 1UL << 48)
        {
            return "sqn: 48 bits";
        }

        if (IndBits is < 0 or > 10)
        {
            return "ind-bits: 0 to 10";
        }

        if (IsimAid.Length is < 5 or > 16)
        {
            return "isim-aid: 5 to 16 bytes";
        }

        foreach (var pcscf in PcscfOnCard)
        {
            if (pcscf.Length is 0 or > 200)
            {
                return "pcscf: an address or FQDN of at most 200 characters";
            }
        }

        return null;
    }

    public static bool IsIpLiteral(string text) => IPAddress.TryParse(text, out _);

    /// <inheritdoc/>
    public override string ToString() =>
        $"CardSettings(IMSI {Imsi}, IMPI {EffectiveImpi}, SQN_MS {SqnMs:x12}, K and OPc redacted)";
}
