// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Sip.Tests.Ua;

/// <summary>Builds requests and responses from text for the layers above the parser.</summary>
internal static class SipTestMessages
{
    public static SipMessage Parse(string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text.ReplaceLineEndings("\r\n"));
        SipParseResult r = SipParser.Parse(bytes, SipFraming.Datagram);
        Assert.True(r.IsComplete, r.ToString());
        return r.Message!;
    }

    public static SipRequest Request(string method, string uri, string branch = "z9hG4bK-t1", uint cseq = 1, string? extra = null, string callId = "call-1", string? toTag = null, string? body = null)
    {
        string toTagPart = toTag is null ? string.Empty : ";tag=" + toTag;
        body ??= string.Empty;
        return (SipRequest)Parse(
            $"{method} {uri} SIP/2.0\n" +
            $"Via: SIP/2.0/UDP 192.0.2.10:5060;branch={branch};rport\n" +
            "Max-Forwards: 70\n" +
            "From: <sip:alice@example.com>;tag=a1\n" +
            $"To: <sip:bob@example.com>{toTagPart}\n" +
            $"Call-ID: {callId}\n" +
            $"CSeq: {cseq} {method}\n" +
            (extra ?? string.Empty) +
            $"Content-Length: {Encoding.UTF8.GetByteCount(body)}\n\n" + body);
    }

    /// <summary>A response to <paramref name="request"/> with extra header lines.</summary>
    public static SipResponse ResponseTo(SipRequest request, int status, string? toTag = "b1", params string[] extraHeaders)
    {
        SipMessageBuilder b = SipMessageBuilder.ResponseTo(request, status, toTag: toTag);
        foreach (string h in extraHeaders)
        {
            int colon = h.IndexOf(':', StringComparison.Ordinal);
            b.Add(h[..colon], h[(colon + 1)..].Trim());
        }

        return b.BuildResponse();
    }
}
