// SPDX-License-Identifier: MIT
using System.Text;

namespace ImUeAgent.Sip.Message;

/// <summary>Maps header names (long and compact forms, case-insensitive, RFC 3261 §7.3.3) to <see cref="SipHeaderId"/>
/// by length bucket and byte comparison, and gives each known header its canonical spelling.</summary>
public static class SipHeaderNames
{
    private static readonly string[] Canonical = BuildCanonical();
    private static readonly byte[][] CanonicalBytes = Array.ConvertAll(Canonical, Encoding.ASCII.GetBytes);
    private static readonly SipHeaderId[][] ByLength = BuildByLength();

    /// <summary>The canonical (long form) spelling, e.g. "Call-ID" for <see cref="SipHeaderId.CallId"/>.</summary>
    public static string GetName(SipHeaderId id) => Canonical[(int)id];

    /// <summary>The canonical spelling as ASCII bytes, for writers.</summary>
    public static ReadOnlySpan<byte> GetNameBytes(SipHeaderId id) => CanonicalBytes[(int)id];

    /// <summary>Identifies a header name; <see cref="SipHeaderId.Unknown"/> for extension headers.</summary>
    public static SipHeaderId Lookup(ReadOnlySpan<byte> name)
    {
        if (name.Length == 1)
        {
            return LookupCompact(name[0]);
        }

        if ((uint)name.Length >= (uint)ByLength.Length)
        {
            return SipHeaderId.Unknown;
        }

        SipHeaderId[] bucket = ByLength[name.Length];
        byte first = SipSyntax.ToLower(name[0]);
        foreach (SipHeaderId id in bucket)
        {
            byte[] candidate = CanonicalBytes[(int)id];
            if (SipSyntax.ToLower(candidate[0]) == first && SipSyntax.EqualsIgnoreCase(name, candidate))
            {
                return id;
            }
        }

        return SipHeaderId.Unknown;
    }

    /// <summary>Identifies a header name given as a string.</summary>
    public static SipHeaderId Lookup(string name)
    {
        Span<byte> buffer = stackalloc byte[64];
        if (name.Length > buffer.Length || !Ascii.IsValid(name))
        {
            return SipHeaderId.Unknown;
        }

        int n = Encoding.ASCII.GetBytes(name, buffer);
        return Lookup(buffer[..n]);
    }

    /// <summary>RFC 3261 §7.3.3 and §20 compact forms, plus those of RFC 3841 (a, j, d), RFC 3515 (r), RFC 3892
    /// (b), RFC 4028 (x) and RFC 4474 (y).</summary>
    private static SipHeaderId LookupCompact(byte b) => SipSyntax.ToLower(b) switch
    {
        (byte)'i' => SipHeaderId.CallId,
        (byte)'m' => SipHeaderId.Contact,
        (byte)'e' => SipHeaderId.ContentEncoding,
        (byte)'l' => SipHeaderId.ContentLength,
        (byte)'c' => SipHeaderId.ContentType,
        (byte)'f' => SipHeaderId.From,
        (byte)'s' => SipHeaderId.Subject,
        (byte)'k' => SipHeaderId.Supported,
        (byte)'t' => SipHeaderId.To,
        (byte)'v' => SipHeaderId.Via,
        (byte)'o' => SipHeaderId.Event,
        (byte)'u' => SipHeaderId.AllowEvents,
        (byte)'a' => SipHeaderId.AcceptContact,
        (byte)'j' => SipHeaderId.RejectContact,
        (byte)'d' => SipHeaderId.RequestDisposition,
        (byte)'r' => SipHeaderId.ReferTo,
        (byte)'b' => SipHeaderId.ReferredBy,
        (byte)'x' => SipHeaderId.SessionExpires,
        (byte)'y' => SipHeaderId.Identity,
        _ => SipHeaderId.Unknown,
    };

    private static string[] BuildCanonical()
    {
        var names = new string[(int)SipHeaderId.WwwAuthenticate + 1];
        names[(int)SipHeaderId.Unknown] = string.Empty;
        names[(int)SipHeaderId.Accept] = "Accept";
        names[(int)SipHeaderId.AcceptContact] = "Accept-Contact";
        names[(int)SipHeaderId.AcceptEncoding] = "Accept-Encoding";
        names[(int)SipHeaderId.AcceptLanguage] = "Accept-Language";
        names[(int)SipHeaderId.AlertInfo] = "Alert-Info";
        names[(int)SipHeaderId.Allow] = "Allow";
        names[(int)SipHeaderId.AllowEvents] = "Allow-Events";
        names[(int)SipHeaderId.AuthenticationInfo] = "Authentication-Info";
        names[(int)SipHeaderId.Authorization] = "Authorization";
        names[(int)SipHeaderId.CallId] = "Call-ID";
        names[(int)SipHeaderId.CallInfo] = "Call-Info";
        names[(int)SipHeaderId.Contact] = "Contact";
        names[(int)SipHeaderId.ContentDisposition] = "Content-Disposition";
        names[(int)SipHeaderId.ContentEncoding] = "Content-Encoding";
        names[(int)SipHeaderId.ContentLanguage] = "Content-Language";
        names[(int)SipHeaderId.ContentLength] = "Content-Length";
        names[(int)SipHeaderId.ContentType] = "Content-Type";
        names[(int)SipHeaderId.ContributionId] = "Contribution-ID";
        names[(int)SipHeaderId.ConversationId] = "Conversation-ID";
        names[(int)SipHeaderId.CSeq] = "CSeq";
        names[(int)SipHeaderId.Date] = "Date";
        names[(int)SipHeaderId.ErrorInfo] = "Error-Info";
        names[(int)SipHeaderId.Event] = "Event";
        names[(int)SipHeaderId.Expires] = "Expires";
        names[(int)SipHeaderId.From] = "From";
        names[(int)SipHeaderId.Identity] = "Identity";
        names[(int)SipHeaderId.InReplyTo] = "In-Reply-To";
        names[(int)SipHeaderId.MaxForwards] = "Max-Forwards";
        names[(int)SipHeaderId.MimeVersion] = "MIME-Version";
        names[(int)SipHeaderId.MinExpires] = "Min-Expires";
        names[(int)SipHeaderId.MinSE] = "Min-SE";
        names[(int)SipHeaderId.Organization] = "Organization";
        names[(int)SipHeaderId.PAccessNetworkInfo] = "P-Access-Network-Info";
        names[(int)SipHeaderId.PAssertedIdentity] = "P-Asserted-Identity";
        names[(int)SipHeaderId.PAssertedService] = "P-Asserted-Service";
        names[(int)SipHeaderId.PAssociatedUri] = "P-Associated-URI";
        names[(int)SipHeaderId.PCalledPartyId] = "P-Called-Party-ID";
        names[(int)SipHeaderId.PChargingVector] = "P-Charging-Vector";
        names[(int)SipHeaderId.PPreferredIdentity] = "P-Preferred-Identity";
        names[(int)SipHeaderId.PPreferredService] = "P-Preferred-Service";
        names[(int)SipHeaderId.Path] = "Path";
        names[(int)SipHeaderId.Priority] = "Priority";
        names[(int)SipHeaderId.Privacy] = "Privacy";
        names[(int)SipHeaderId.ProxyAuthenticate] = "Proxy-Authenticate";
        names[(int)SipHeaderId.ProxyAuthorization] = "Proxy-Authorization";
        names[(int)SipHeaderId.ProxyRequire] = "Proxy-Require";
        names[(int)SipHeaderId.RAck] = "RAck";
        names[(int)SipHeaderId.Reason] = "Reason";
        names[(int)SipHeaderId.RecordRoute] = "Record-Route";
        names[(int)SipHeaderId.ReferredBy] = "Referred-By";
        names[(int)SipHeaderId.ReferTo] = "Refer-To";
        names[(int)SipHeaderId.RejectContact] = "Reject-Contact";
        names[(int)SipHeaderId.ReplyTo] = "Reply-To";
        names[(int)SipHeaderId.RequestDisposition] = "Request-Disposition";
        names[(int)SipHeaderId.Require] = "Require";
        names[(int)SipHeaderId.RetryAfter] = "Retry-After";
        names[(int)SipHeaderId.Route] = "Route";
        names[(int)SipHeaderId.RSeq] = "RSeq";
        names[(int)SipHeaderId.SecurityClient] = "Security-Client";
        names[(int)SipHeaderId.SecurityServer] = "Security-Server";
        names[(int)SipHeaderId.SecurityVerify] = "Security-Verify";
        names[(int)SipHeaderId.Server] = "Server";
        names[(int)SipHeaderId.ServiceRoute] = "Service-Route";
        names[(int)SipHeaderId.SessionExpires] = "Session-Expires";
        names[(int)SipHeaderId.Subject] = "Subject";
        names[(int)SipHeaderId.SubscriptionState] = "Subscription-State";
        names[(int)SipHeaderId.Supported] = "Supported";
        names[(int)SipHeaderId.Timestamp] = "Timestamp";
        names[(int)SipHeaderId.To] = "To";
        names[(int)SipHeaderId.Unsupported] = "Unsupported";
        names[(int)SipHeaderId.UserAgent] = "User-Agent";
        names[(int)SipHeaderId.Via] = "Via";
        names[(int)SipHeaderId.Warning] = "Warning";
        names[(int)SipHeaderId.WwwAuthenticate] = "WWW-Authenticate";
        return names;
    }

    private static SipHeaderId[][] BuildByLength()
    {
        int max = 0;
        foreach (string n in Canonical)
        {
            max = Math.Max(max, n.Length);
        }

        var lists = new List<SipHeaderId>[max + 1];
        for (int i = 1; i < Canonical.Length; i++)
        {
            (lists[Canonical[i].Length] ??= []).Add((SipHeaderId)i);
        }

        return Array.ConvertAll(lists, l => l is null ? [] : l.ToArray());
    }
}
