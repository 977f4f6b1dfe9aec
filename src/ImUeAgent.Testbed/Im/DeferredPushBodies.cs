// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Testbed.Im;

/// <summary>One MSRP SEND of a deferred push: its Content-Type, body, and the stored messages it carries (delivered
/// when it gets MSRP 200).</summary>
internal sealed record PushSend(string ContentType, byte[] Body, IReadOnlyList<string> MessageIds);

/// <summary>
/// Builds the bodies of a deferred push (OMA SIMPLE IM Appendix D.2): a stored SIP MESSAGE encapsulated as
/// message/sip or message/sipfrag, a stored MSRP SEND as message/msrp, several items as multipart/mixed. Call-ID,
/// CSeq and the MSRP Message-ID are kept intact for the client's correlation; every encapsulated message carries the
/// Date the server received it. Pure.
/// </summary>
internal static class DeferredPushBodies
{
    /// <summary>The relevant headers of a stored message (12.2.2.3 step 3, D.2 "From, To, P-Asserted-Identity, etc").</summary>
    private static readonly HashSet<string> RelevantHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "From", "f", "To", "t", "P-Asserted-Identity", "Call-ID", "i", "CSeq", "Subject", "s", "Date", "Accept-Contact", "a", "Message-ID",
        "Privacy", "Referred-By", "b", "Expires",
    };

    /// <summary>A part nobody can read (the malformed-part test knob): no start line, no header, a NUL.</summary>
    public static readonly byte[] MalformedSip = "this is not a SIP message\r\n\0\u0001 broken\r\n"u8.ToArray();

    public static IReadOnlyList<PushSend> Build(IReadOnlyList<DeferredMessage> messages, DeferredPushBody kind, bool malformedPart)
    {
        var sends = new List<PushSend>();
        if (kind == DeferredPushBody.Multipart)
        {
            var parts = new List<(IReadOnlyList<KeyValuePair<string, string>>, ReadOnlyMemory<byte>)>();
            foreach (var message in messages)
            {
                parts.AddRange(message.Mode == DeferredMode.Pager ? [Part("message/sip", message.Request)] : LargeParts(message, fragment: false));
            }

            if (malformedPart)
            {
                parts.Add(Part("message/sip", MalformedSip));
            }

            var body = MimeMultipart.Build(parts, out var boundary);
            sends.Add(new PushSend(Multipart(boundary), body, [.. messages.Select(m => m.Id)]));
            return sends;
        }

        foreach (var message in messages)
        {
            sends.Add((message.Mode, kind) switch
            {
                (DeferredMode.Pager, DeferredPushBody.SipFrag) => new PushSend("message/sipfrag", PagerFragment(message), [message.Id]),
                (DeferredMode.Pager, _) => new PushSend("message/sip", message.Request, [message.Id]),
                (DeferredMode.LargeMessage, DeferredPushBody.Msrp) => new PushSend("message/msrp", MsrpWithSipContext(message), [message.Id]),
                _ => LargeMultipart(message, kind == DeferredPushBody.SipFrag),
            });
        }

        if (malformedPart)
        {
            sends.Add(new PushSend("message/sip", MalformedSip, []));
        }

        return sends;
    }

    private static string Multipart(string boundary) => "multipart/mixed; boundary=\"" + boundary + "\"";

    private static (IReadOnlyList<KeyValuePair<string, string>>, ReadOnlyMemory<byte>) Part(string contentType, ReadOnlyMemory<byte> body) =>
        ([new("Content-Type", contentType)], body);

    private static PushSend LargeMultipart(DeferredMessage message, bool fragment)
    {
        var body = MimeMultipart.Build(LargeParts(message, fragment), out var boundary);
        return new PushSend(Multipart(boundary), body, [message.Id]);
    }

    /// <summary>D.2 example 2: the INVITE, the 200 OK, the MSRP SEND, the BYE (when it came), one part each.</summary>
    private static List<(IReadOnlyList<KeyValuePair<string, string>>, ReadOnlyMemory<byte>)> LargeParts(DeferredMessage message, bool fragment)
    {
        var sipType = fragment ? "message/sipfrag" : "message/sip";
        var parts = new List<(IReadOnlyList<KeyValuePair<string, string>>, ReadOnlyMemory<byte>)>
        {
            Part(sipType, fragment ? LargeFragment(message.Request) : message.Request),
        };
        if (message.Answer is { } answer)
        {
            parts.Add(Part(sipType, fragment ? LargeFragment(answer) : answer));
        }

        parts.Add(Part("message/msrp", message.MsrpSend!));
        if (message.Bye is { } bye)
        {
            parts.Add(Part(sipType, fragment ? LargeFragment(bye) : bye));
        }

        return parts;
    }

    /// <summary>A pager message as RFC 3420 sipfrag: its relevant header lines and body, no start line.</summary>
    private static byte[] PagerFragment(DeferredMessage message)
    {
        var parsed = SipParser.Parse(message.Request, SipFraming.Datagram);
        return parsed.IsComplete ? SipText.Fragment(parsed.Message!, h => RelevantHeaders.Contains(h.Name)) : message.Request;
    }

    /// <summary>A large-message item as sipfrag: the start line kept (so INVITE, 200 OK and BYE stay apart), then the
    /// relevant header lines and the body.</summary>
    private static byte[] LargeFragment(byte[] stored)
    {
        var parsed = SipParser.Parse(stored, SipFraming.Datagram);
        if (!parsed.IsComplete)
        {
            return stored;
        }

        var startLine = parsed.Message!.StartLine.ToArray();
        return [.. startLine, .. "\r\n"u8, .. SipText.Fragment(parsed.Message, h => RelevantHeaders.Contains(h.Name))];
    }

    /// <summary>The stored SEND with the session's relevant SIP headers (From, To, P-Asserted-Identity, Call-ID,
    /// Subject) as extension headers after its start line (D.2: "the relevant header of the deferred message … should
    /// be encapsulated into the MSRP SEND request content").</summary>
    private static byte[] MsrpWithSipContext(DeferredMessage message)
    {
        var send = message.MsrpSend!;
        var firstLineEnd = send.AsSpan().IndexOf("\r\n"u8) + 2;
        var extra = new StringBuilder();
        extra.Append("From: ").Append(message.From).Append("\r\n");
        extra.Append("To: ").Append(message.To).Append("\r\n");
        if (message.AssertedIdentity is { } identity)
        {
            extra.Append("P-Asserted-Identity: <").Append(identity).Append(">\r\n");
        }

        var invite = SipParser.Parse(message.Request, SipFraming.Datagram);
        if (invite.IsComplete && invite.Message!.Headers.CallId is { } callId)
        {
            extra.Append("Call-ID: ").Append(callId).Append("\r\n");
        }

        if (message.Subject is { } subject)
        {
            extra.Append("Subject: ").Append(subject).Append("\r\n");
        }

        return [.. send.AsSpan(0, firstLineEnd), .. Encoding.UTF8.GetBytes(extra.ToString()), .. send.AsSpan(firstLineEnd)];
    }
}
