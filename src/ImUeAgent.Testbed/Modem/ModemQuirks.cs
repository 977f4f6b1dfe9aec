// SPDX-License-Identifier: MIT
namespace ImUeAgent.Testbed.Modem;

/// <summary>
/// Behaviours of real modem firmware that the emulator imitates on request (`--quirks a,b`), so that the agent's
/// modem profiles are exercised against each of them (spec/NOTES.md, AT commands).
/// </summary>
[Flags]
internal enum ModemQuirks
{
    None = 0,

    /// <summary>`ccho-bare`: +CCHO answers the bare session id, without the "+CCHO: " prefix.</summary>
    CchoBareNumber = 1 << 0,

    /// <summary>`get-response`: the MT does not chain GET RESPONSE: case-4 APDUs answer 61xx and the TE must send
    /// 00 C0 00 00 xx itself.</summary>
    GetResponse61 = 1 << 1,

    /// <summary>`wrong-length`: a read with an Le other than the exact length answers 6Cxx; the TE resends with Le=xx.</summary>
    WrongLength6C = 1 << 2,

    /// <summary>`cme-then-ok`: +CME ERROR is followed by a spurious OK.</summary>
    CmeErrorThenOk = 1 << 3,

    /// <summary>`contrdp-separate-mask`: +CGCONTRDP in the pre-v9.4.0 layout, local address and subnet mask in two
    /// fields (every later field, P-CSCF included, shifts right by one).</summary>
    ContrdpSeparateMask = 1 << 4,

    /// <summary>`contrdp-dotted`: addresses and masks always in the dotted-decimal form ("a1.….a4.m1.….m4", IPv6 as
    /// 16+16 numbers), whatever +CGPIAF says.</summary>
    ContrdpDotted = 1 << 5,

    /// <summary>`contrdp-line-per-family`: a dual-stack context answers one +CGCONTRDP line for IPv4 then one for IPv6.</summary>
    ContrdpLinePerFamily = 1 << 6,

    /// <summary>`cla-channel-bits`: the MT passes CLA of +CGLA unchanged, so the TE must set the logical channel bits
    /// itself (27.007 says the MT sets them).</summary>
    ClaChannelBits = 1 << 7,
}

internal static class ModemQuirkNames
{
    private static readonly (string Name, ModemQuirks Quirk)[] Names =
    [
        ("ccho-bare", ModemQuirks.CchoBareNumber),
        ("get-response", ModemQuirks.GetResponse61),
        ("wrong-length", ModemQuirks.WrongLength6C),
        ("cme-then-ok", ModemQuirks.CmeErrorThenOk),
        ("contrdp-separate-mask", ModemQuirks.ContrdpSeparateMask),
        ("contrdp-dotted", ModemQuirks.ContrdpDotted),
        ("contrdp-line-per-family", ModemQuirks.ContrdpLinePerFamily),
        ("cla-channel-bits", ModemQuirks.ClaChannelBits),
    ];

    public static IEnumerable<string> All => Names.Select(n => n.Name);

    /// <summary>Parses "a,b,c"; on an unknown name returns false and names it.</summary>
    public static bool TryParse(string text, out ModemQuirks quirks, out string? unknown)
    {
        quirks = ModemQuirks.None;
        unknown = null;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var found = false;
            foreach (var (name, quirk) in Names)
            {
                if (string.Equals(name, part, StringComparison.OrdinalIgnoreCase))
                {
                    quirks |= quirk;
                    found = true;
                    break;
                }
            }

            if (!found)
            {
                unknown = part;
                return false;
            }
        }

        return true;
    }

    public static string Format(ModemQuirks quirks) =>
        string.Join(',', Names.Where(n => (quirks & n.Quirk) != 0).Select(n => n.Name));
}
