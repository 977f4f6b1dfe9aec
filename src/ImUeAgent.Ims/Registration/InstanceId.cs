// SPDX-License-Identifier: MIT
namespace ImUeAgent.Ims.Registration;

/// <summary>
/// The UE's instance ID for Contact's +sip.instance (TS 24.229 §5.1.1.2.1 with RFC 5626): the IMEI URN of RFC 7254 /
/// TS 23.003 §13.8, "urn:gsma:imei:&lt;TAC 8&gt;-&lt;SNR 6&gt;-&lt;spare 0&gt;". The check digit is never part of it.
/// </summary>
public static class InstanceId
{
    /// <summary>From a 14- or 15-digit IMEI (the 15th, the Luhn check digit, is dropped) or a 16-digit IMEISV.</summary>
    public static string FromImei(string imei)
    {
        ArgumentNullException.ThrowIfNull(imei);
        var digits = imei.Trim();
        if (digits.Length is < 14 or > 16 || !digits.All(char.IsAsciiDigit))
        {
            throw new ArgumentException($"'{imei}' is not an IMEI (14-16 digits)", nameof(imei));
        }

        // RFC 7254 §3: imeival = tac "-" snr "-" ( cd / svn ); the instance ID uses the spare digit "0"
        // (TS 23.003 §13.8) so that it does not change with the software version.
        return $"urn:gsma:imei:{digits[..8]}-{digits[8..14]}-0";
    }

    /// <summary>The Contact parameter value: +sip.instance="&lt;urn:gsma:imei:...&gt;" (quoted, angle brackets).</summary>
    public static string ContactParameter(string instanceUrn) => $"+sip.instance=\"<{instanceUrn}>\"";
}
