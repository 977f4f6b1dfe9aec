// SPDX-License-Identifier: MIT
using ImUeAgent.Sip.Auth;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Sip.Ua;

/// <summary>Rebuilds a request for one attempt of the outbound pipeline: our Via on top, the preloaded route set,
/// the attempt's CSeq and credentials; every other header copied byte-exact in order, and the body.</summary>
internal static class SipRequestRewriter
{
    public static SipRequest Rebuild(SipRequest template, ViaValue via, uint cseq, IReadOnlyList<AuthorizationHeader> credentials, IReadOnlyList<NameAddress> preloadedRoute)
    {
        SipMessageBuilder b = SipMessageBuilder.Request(template.MethodName, template.RequestUri).Via(via);
        bool hasMaxForwards = template.Headers.Contains(SipHeaderId.MaxForwards);
        if (!hasMaxForwards)
        {
            b.MaxForwards(70);
        }

        bool routesWritten = false;
        foreach (SipHeader h in template.Headers)
        {
            switch (h.Id)
            {
                case SipHeaderId.Via:
                case SipHeaderId.ContentLength:
                    break;
                case SipHeaderId.CSeq:
                    b.CSeq(cseq, template.Method);
                    break;
                case SipHeaderId.Authorization or SipHeaderId.ProxyAuthorization when Replaced(h, credentials):
                    break;
                case SipHeaderId.Route when !routesWritten:
                    // RFC 3608: the preloaded route set goes before any Route the request already has.
                    WriteRoutes(b, preloadedRoute);
                    routesWritten = true;
                    b.AddRaw(h);
                    break;
                default:
                    if (!routesWritten && h.Id is not (SipHeaderId.MaxForwards))
                    {
                        WriteRoutes(b, preloadedRoute);
                        routesWritten = true;
                    }

                    b.AddRaw(h);
                    break;
            }
        }

        if (!routesWritten)
        {
            WriteRoutes(b, preloadedRoute);
        }

        foreach (AuthorizationHeader a in credentials)
        {
            b.Authentication(a.Id, a.Value);
        }

        if (!template.Body.IsEmpty)
        {
            b.RawBody(template.Body);
        }

        return b.BuildRequest();
    }

    private static void WriteRoutes(SipMessageBuilder b, IReadOnlyList<NameAddress> routes)
    {
        foreach (NameAddress r in routes)
        {
            b.Route(r);
        }
    }

    /// <summary>A credentials header of the template is replaced by a new one of the same kind for the same realm
    /// (the initial IMS Authorization with an empty nonce included).</summary>
    private static bool Replaced(SipHeader header, IReadOnlyList<AuthorizationHeader> credentials)
    {
        if (credentials.Count == 0)
        {
            return false;
        }

        var parsed = new List<AuthenticationValue>();
        if (!AuthenticationValue.TryParse(header.ValueBytes, parsed) || parsed.Count == 0)
        {
            return false;
        }

        string? realm = parsed[0].Realm;
        foreach (AuthorizationHeader a in credentials)
        {
            if (a.Id == header.Id && string.Equals(a.Value.Realm, realm, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
