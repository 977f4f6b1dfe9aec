// SPDX-License-Identifier: MIT
namespace ImUeAgent.Modem.At.Urc;

/// <summary>27.007 §8.71 &lt;ext_info&gt; bits (hexadecimal sum of IMS capabilities).</summary>
[Flags]
public enum ImsCapabilities : uint
{
    None = 0,
    RtpVoice = 0x1,
    RtpVideo = 0x2,
    SmsOverIp = 0x4,
    RtpText = 0x8,
}

/// <summary>
/// The MT's own IMS registration (27.007 §8.71): URC <c>+CIREGU: &lt;reg_info&gt;[,&lt;ext_info&gt;]</c>, read answer
/// <c>+CIREG: &lt;n&gt;,&lt;reg_info&gt;[,&lt;ext_info&gt;]</c>. A host UE watches it to detect firmware running its own
/// IMS client (spec/NOTES.md, Quectel).
/// </summary>
public sealed record ImsRegistrationReport(int? Mode, bool IsRegistered, ImsCapabilities? Capabilities)
{
    public static bool TryParse(string line, out ImsRegistrationReport? report, out AtUrcParseError error)
    {
        ArgumentNullException.ThrowIfNull(line);
        report = null;
        var values = AtValueReader.ForLine(line, out var name);
        bool solicited;
        if (name.SequenceEqual("+CIREGU"))
        {
            solicited = false;
        }
        else if (name.SequenceEqual("+CIREG"))
        {
            solicited = true;
        }
        else
        {
            error = AtUrcParseError.WrongName;
            return false;
        }

        int? mode = null;
        if (solicited)
        {
            if (!UrcFields.ReadRequiredInt(ref values, out var n, out error))
            {
                return false;
            }

            mode = n;
        }

        if (!UrcFields.ReadRequiredInt(ref values, out var registered, out error))
        {
            return false;
        }

        if (registered is not (0 or 1))
        {
            error = AtUrcParseError.OutOfRange;
            return false;
        }

        // <ext_info> is "numeric value in hexadecimal format", 1 to FFFFFFFF.
        if (!UrcFields.ReadOptionalHex(ref values, 8, out var extInfo, out error))
        {
            return false;
        }

        report = new ImsRegistrationReport(mode, registered == 1, (ImsCapabilities?)(uint?)extInfo);
        return true;
    }
}
