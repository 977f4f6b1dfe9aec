// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Testbed.Core;

/// <summary>URI helpers of the core: addresses of record and what counts as "this core" in a Route.</summary>
internal static class CoreUris
{
    /// <summary>
    /// The address of record a registrar files a URI under (RFC 3261 §10.3 step 5: the URI without parameters, port
    /// and headers; user case-sensitive, host case-insensitive). A sip: URI with user=phone is its tel: number
    /// (RFC 3261 §19.1.6, TS 24.229 §5.4.3.2), and tel numbers lose their visual separators (RFC 3966 §5.1.1).
    /// </summary>
    public static string AddressOfRecord(SipUri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (uri.Scheme == SipUriScheme.Tel)
        {
            var number = uri.User ?? uri.Opaque;
            var semicolon = number.IndexOf(';', StringComparison.Ordinal);
            return "tel:" + StripVisualSeparators(semicolon >= 0 ? number[..semicolon] : number);
        }

        if (uri.Scheme is SipUriScheme.Sip or SipUriScheme.Sips)
        {
            var user = uri.User ?? string.Empty;
            if (string.Equals(uri.Parameters.GetValue("user"), "phone", StringComparison.OrdinalIgnoreCase))
            {
                var semicolon = user.IndexOf(';', StringComparison.Ordinal);
                return "tel:" + StripVisualSeparators(semicolon >= 0 ? user[..semicolon] : user);
            }

            return "sip:" + (user.Length > 0 ? user + "@" : string.Empty) + uri.Host.ToLowerInvariant();
        }

        return uri.ToString();
    }

    private static string StripVisualSeparators(string number)
    {
        var sb = new StringBuilder(number.Length);
        foreach (var c in number)
        {
            if (c is not ('-' or '.' or '(' or ')'))
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }
}
