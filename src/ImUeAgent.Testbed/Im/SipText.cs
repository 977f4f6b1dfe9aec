// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Text;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Testbed.Im;

/// <summary>Copies of SIP messages as the IM server stores and encapsulates them (12.2.2.3, Appendix D.2).</summary>
internal static class SipText
{
    /// <summary>The Date form of RFC 3261 §20.17 (rfc1123-date, GMT).</summary>
    public static string Date(DateTimeOffset time) => time.UtcDateTime.ToString("r", CultureInfo.InvariantCulture);

    /// <summary>A request copied header by header (byte-exact lines, in order) except <paramref name="skip"/>,
    /// Content-Length and Content-Type (rewritten with the body), then <paramref name="add"/> — the D.2 Date and the
    /// 12.2.2.3 Message-ID. Null <paramref name="requestUri"/> keeps the received one.</summary>
    public static SipRequest CopyRequest(SipRequest request, Func<SipHeader, bool> skip, IEnumerable<(string Name, string Value)> add, SipUri? requestUri = null)
    {
        var builder = SipMessageBuilder.Request(request.MethodName, requestUri ?? request.RequestUri);
        foreach (var header in request.Headers)
        {
            if (header.Id is not (SipHeaderId.ContentLength or SipHeaderId.ContentType) && !skip(header))
            {
                builder.AddRaw(header);
            }
        }

        foreach (var (name, value) in add)
        {
            builder.Add(name, value);
        }

        CopyBody(request, builder);
        return builder.BuildRequest();
    }

    /// <summary>A response reduced to the lines named in <paramref name="keep"/>, plus <paramref name="add"/>.</summary>
    public static SipResponse CopyResponse(SipResponse response, Func<SipHeader, bool> keep, IEnumerable<(string Name, string Value)> add)
    {
        var builder = SipMessageBuilder.Response(response.StatusCode, response.ReasonPhrase);
        foreach (var header in response.Headers)
        {
            if (header.Id is not (SipHeaderId.ContentLength or SipHeaderId.ContentType) && keep(header))
            {
                builder.AddRaw(header);
            }
        }

        foreach (var (name, value) in add)
        {
            builder.Add(name, value);
        }

        CopyBody(response, builder);
        return builder.BuildResponse();
    }

    /// <summary>RFC 3420 message/sipfrag of a stored request: the relevant header lines (those <paramref name="keep"/>
    /// chooses), Content-Type, a blank line and the body; no start line, no Content-Length (the part's length is the
    /// fragment's).</summary>
    public static byte[] Fragment(SipMessage message, Func<SipHeader, bool> keep)
    {
        var text = new StringBuilder();
        foreach (var header in message.Headers)
        {
            if (header.Id is not (SipHeaderId.ContentLength or SipHeaderId.ContentType) && keep(header))
            {
                text.Append(header.Name).Append(": ").Append(header.Value).Append("\r\n");
            }
        }

        if (message.Headers.ContentType is { } type)
        {
            text.Append("Content-Type: ").Append(type).Append("\r\n");
        }

        text.Append("\r\n");
        return [.. Encoding.UTF8.GetBytes(text.ToString()), .. message.Body.Span];
    }

    /// <summary>True when any Privacy value is 'id' (RFC 3325 §9.3) — or the stronger 'header'/'user' (RFC 3323).</summary>
    public static bool WantsAnonymity(SipMessage message) =>
        message.Headers.Privacy.Any(p => p.Equals("id", StringComparison.OrdinalIgnoreCase) || p.Equals("header", StringComparison.OrdinalIgnoreCase)
            || p.Equals("user", StringComparison.OrdinalIgnoreCase));

    private static void CopyBody(SipMessage message, SipMessageBuilder builder)
    {
        if (message.Headers.ContentType is { } type)
        {
            builder.Body(type, message.Body);
        }
        else if (!message.Body.IsEmpty)
        {
            builder.Body(new MediaType("application", "octet-stream"), message.Body);
        }
    }
}
