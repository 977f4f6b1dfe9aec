// SPDX-License-Identifier: MIT
namespace ImUeAgent.Modem.Tests.Profiles;

/// <summary>
/// The identities and AKA values every modem transcript uses, so the replay tests can cross-check them. The AKA values
/// are 3GPP TS 35.208 §4.3 test set 1 (also in the shared milenage-ts35208.json, which a test compares them with).
/// </summary>
internal static class TestIdentities
{
    public const string Imsi = "001010123456789";
    public const string Imei = "356938035643809";
    public const string Impi = "001010123456789@ims.mnc001.mcc001.3gppnetwork.org";
    public const string Impu = "sip:001010123456789@ims.mnc001.mcc001.3gppnetwork.org";
    public const string Domain = "ims.mnc001.mcc001.3gppnetwork.org";

    /// <summary>AUTHENTICATE, IMS AKA context: 00 88 00 81 22 10 RAND 10 AUTN 00 (set 1 RAND, AUTN derived from set 1).</summary>
    public const string AuthenticateApdu = "00880081221023553CBE9637A89D218AE64DAE47BF351055F328B43577B9B94A9FFAC354DFAFB300";

    public const string Res = "A54211D5E3BA50BF";
    public const string Ck = "B40BA9A3C58B2A05BBF0D987B21BF8CB";
    public const string Ik = "F769BCD751044604127672711C6D3441";

    public static readonly IReadOnlySet<string> IsimIdentities = new HashSet<string>(StringComparer.Ordinal) { Impi, Impu, Domain };
}
