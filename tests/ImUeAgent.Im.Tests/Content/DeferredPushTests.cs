// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Im.Content;
using ImUeAgent.Im.FeatureTags;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Im.Tests.Content;

public sealed class DeferredPushTests
{
    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    private static MediaType Type(string text)
    {
        Assert.True(MimeMediaType.TryParse(text, out MediaType? t));
        return t;
    }

    [Fact]
    public void SeedExample1PagerMessageIsRebuilt()
    {
        DeferredPushContent content = DeferredPush.Unwrap(Type("message/sip"), Utf8(SeedExamples.Example1EncapsulatedMessage));

        DeferredItem item = Assert.Single(content.Items);
        Assert.Equal(DeferredItemKind.SipRequest, item.Kind);
        Assert.True(item.IsRepaired);
        DeferredMessage m = Assert.Single(content.Messages);
        Assert.Equal(DeferredMode.Pager, m.Mode);
        Assert.Equal("sip:user1@imserver.com", m.Sender!.Uri.ToString());
        Assert.Equal("sip:user2@imserver.com", m.Recipient!.Uri.ToString());
        Assert.Equal("asd88asd77a@1.2.3.4", m.CallId);
        Assert.Equal(new DateTimeOffset(2002, 2, 21, 13, 2, 3, TimeSpan.Zero), m.Date);
        Assert.True(m.ContentType!.Is("text", "plain"));
        Assert.Equal("Watson, come here.", Encoding.UTF8.GetString(m.Body.Span));

        // The stored message's Accept-Contact tags survive, the seed's starless second value included.
        IReadOnlyList<CallerPreferenceValue> ac = CallerPreferences.ReadAcceptContact(item.Sip!);
        Assert.Equal(2, ac.Count);
        Assert.Contains(ac, v => v.HasFeature("+g.3gpp.app_ref") && v.Explicit && v.Require);
    }

    [Fact]
    public void SeedExample2LargeMessageIsRebuiltFromTheWholePushedSend()
    {
        ContentResult<MsrpSendText> send = MsrpSendText.Parse(Utf8(SeedExamples.Example2PushedSend), lenient: true);
        Assert.True(send.IsSuccess, send.ToString());
        Assert.Equal("elfj49te", send.Value!.TransactionId);
        Assert.Equal("453", send.Value.MessageId);

        DeferredPushContent content = DeferredPush.Unwrap(send.Value.ContentType!, send.Value.Body);
        Assert.False(content.HasUnparsedItems, string.Join(", ", content.Items.Select(i => i.Kind + ":" + i.Error)));
        Assert.Equal(
            [DeferredItemKind.SipRequest, DeferredItemKind.SipResponse, DeferredItemKind.MsrpSend, DeferredItemKind.SipRequest],
            content.Items.Select(i => i.Kind));
        Assert.All(content.Items, i => Assert.True(i.IsRepaired));
        Assert.Equal(SipMethod.Bye, ((SipRequest)content.Items[3].Sip!).Method);
        Assert.Equal(new DateTimeOffset(2005, 2, 21, 13, 2, 5, TimeSpan.Zero), content.Items[3].Date);

        DeferredMessage m = Assert.Single(content.Messages);
        Assert.Equal(DeferredMode.LargeMessage, m.Mode);
        Assert.Equal("sip:user1@imserver.com", m.Sender!.Uri.ToString());
        Assert.Equal("3413an89KU", m.CallId);
        Assert.Equal("456", m.MessageId);
        Assert.Equal(new DateTimeOffset(2005, 2, 21, 13, 2, 4, TimeSpan.Zero), m.Date);
        Assert.True(m.ContentType!.Is("text", "plain"));
        Assert.Equal("Hi, Alice!  I'm Bob!", Encoding.UTF8.GetString(m.Body.Span));
        Assert.Equal(2, m.Items.Count);
    }

    private static string StrictMessage(string from, string pai, string callId, string body) =>
        "MESSAGE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.1;branch=z9hG4bK1\r\nMax-Forwards: 70\r\n"
        + $"From: <{from}>;tag=1\r\nTo: <sip:bob@example.com>\r\n" + (pai.Length > 0 ? $"P-Asserted-Identity: <{pai}>\r\n" : string.Empty)
        + $"Call-ID: {callId}\r\nCSeq: 1 MESSAGE\r\nDate: Mon, 06 May 2024 07:08:09 GMT\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\n\r\n{body}";

    [Fact]
    public void StrictMultipartOfSeveralStoredMessagesIsReadWithoutRepair()
    {
        var parts = new[]
        {
            new MimePart(new MediaType("message", "sip"), Utf8(StrictMessage("sip:alice@example.com", "sip:+15550001@example.com", "c1", "one"))),
            new MimePart(new MediaType("message", "sip"), Utf8(StrictMessage("sip:carol@example.com", "", "c2", "two\r\n--not-a-boundary"))),
            new MimePart(new MediaType("message", "sipfrag"), Utf8("From: <sip:dave@example.com>\r\nCall-ID: c3\r\nContent-Type: text/plain\r\n\r\nthree"), new MimeHeader("Date", "Tue, 07 May 2024 00:00:00 GMT")),
            new MimePart(new MediaType("message", "msrp"), Utf8("MSRP a786hjs2 SEND\r\nTo-Path: msrp://bob.example.com:7777/iau39;tcp\r\nFrom-Path: msrp://srv.example.com:8888/9di4ea;tcp\r\nMessage-ID: 87652491\r\nByte-Range: 1-4/4\r\nContent-Type: text/plain\r\n\r\nfour\r\n-------a786hjs2$\r\n")),
        };
        string boundary = Multipart.NewBoundary();
        byte[] body = Multipart.Build(boundary, parts);

        DeferredPushContent content = DeferredPush.Unwrap(Multipart.MixedType(boundary), body);
        Assert.All(content.Items, i => Assert.False(i.IsRepaired));
        Assert.Equal(
            [DeferredItemKind.SipRequest, DeferredItemKind.SipRequest, DeferredItemKind.SipFragment, DeferredItemKind.MsrpSend],
            content.Items.Select(i => i.Kind));
        Assert.Equal(4, content.Messages.Count);
        Assert.Equal("sip:+15550001@example.com", content.Messages[0].Sender!.Uri.ToString());
        Assert.Equal("sip:carol@example.com", content.Messages[1].Sender!.Uri.ToString());
        Assert.Equal("two\r\n--not-a-boundary", Encoding.UTF8.GetString(content.Messages[1].Body.Span));
        Assert.Equal("sip:dave@example.com", content.Messages[2].Sender!.Uri.ToString());
        Assert.Equal(new DateTimeOffset(2024, 5, 7, 0, 0, 0, TimeSpan.Zero), content.Messages[2].Date);
        Assert.Equal("three", Encoding.UTF8.GetString(content.Messages[2].Body.Span));
        Assert.Null(content.Messages[3].Sender);
        Assert.Equal("87652491", content.Messages[3].MessageId);
        Assert.Equal("four", Encoding.UTF8.GetString(content.Messages[3].Body.Span));
        Assert.Equal(new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.Zero), content.Messages[0].Date);
    }

    [Fact]
    public void UnparseablePartsAreKeptRawWithReasonAndTheRestStillRead()
    {
        var parts = new[]
        {
            new MimePart(new MediaType("message", "sip"), Utf8("this is not SIP at all")),
            new MimePart(new MediaType("message", "msrp"), Utf8("MSRP a786hjs2 REPORT\r\nTo-Path: msrp://a:1/x;tcp\r\nFrom-Path: msrp://b:2/y;tcp\r\n-------a786hjs2$\r\n")),
            new MimePart(new MediaType("image", "png"), new byte[] { 0x89, 0x50 }),
            new MimePart(new MediaType("message", "sip"), Utf8(StrictMessage("sip:alice@example.com", "", "ok", "fine"))),
        };
        string boundary = Multipart.NewBoundary();
        DeferredPushContent content = DeferredPush.Unwrap(Multipart.MixedType(boundary), Multipart.Build(boundary, parts));

        Assert.True(content.HasUnparsedItems);
        Assert.Equal([ContentError.InvalidSipMessage, ContentError.UnsupportedMsrpMethod, ContentError.UnsupportedContentType, ContentError.None], content.Items.Select(i => i.Error));
        Assert.Equal("this is not SIP at all", Encoding.UTF8.GetString(content.Items[0].Raw.Span));
        Assert.Equal("fine", Encoding.UTF8.GetString(Assert.Single(content.Messages).Body.Span));
    }

    [Theory]
    [InlineData("multipart/mixed; boundary=zz", "no boundary in here", ContentError.BoundaryNotFound)]
    [InlineData("text/plain", "hello", ContentError.UnsupportedContentType)]
    [InlineData("message/msrp", "MSRP x SEND\r\n", ContentError.InvalidMsrpStartLine)]
    public void WholeBodyFailuresBecomeOneUnparsedItem(string type, string body, ContentError expected)
    {
        DeferredPushContent content = DeferredPush.Unwrap(type, Utf8(body));
        Assert.Equal(expected, Assert.Single(content.Items).Error);
        Assert.Empty(content.Messages);
    }

    [Fact]
    public void BadContentTypeTextIsReportedNotThrown()
    {
        Assert.Equal(ContentError.InvalidContentType, Assert.Single(DeferredPush.Unwrap("message", Utf8("x")).Items).Error);
    }

    [Fact]
    public void A_lone_msrp_send_takes_its_identities_from_its_own_extension_headers()
    {
        string send = "MSRP tlone1 SEND\r\nTo-Path: msrp://a:1/x;tcp\r\nFrom-Path: msrp://b:2/y;tcp\r\nMessage-ID: m9\r\n" +
            "From: <sip:alice@example.com>;tag=9\r\nP-Asserted-Identity: <sip:alice@home.example.com>\r\nTo: <sip:bob@example.com>\r\n" +
            "Call-ID: lone1\r\nSubject: hi\r\nByte-Range: 1-5/5\r\nContent-Type: text/plain\r\n\r\nhello\r\n-------tlone1$\r\n";
        DeferredMessage m = Assert.Single(DeferredPush.Unwrap(Type("message/msrp"), Utf8(send)).Messages);
        Assert.Equal("sip:alice@home.example.com", m.Sender!.Uri.ToString());
        Assert.Equal("sip:bob@example.com", m.Recipient!.Uri.ToString());
        Assert.Equal("lone1", m.CallId);
        Assert.Equal("hi", m.Subject);
        Assert.Equal("hello", Encoding.UTF8.GetString(m.Body.Span));
    }

    [Fact]
    public void ChunksOfOneMessageAreJoined()
    {
        string invite = "INVITE sip:bob@example.com SIP/2.0\r\nFrom: <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\nCall-ID: big1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
        string Send(string range, string body, char flag) =>
            $"MSRP t{range.Length}aaaa SEND\r\nTo-Path: msrp://a:1/x;tcp\r\nFrom-Path: msrp://b:2/y;tcp\r\nMessage-ID: m1\r\nByte-Range: {range}\r\nContent-Type: text/plain\r\n\r\n{body}\r\n-------t{range.Length}aaaa{flag}\r\n";
        var parts = new[]
        {
            new MimePart(new MediaType("message", "sip"), Utf8(invite)),
            new MimePart(new MediaType("message", "msrp"), Utf8(Send("1-5/10", "hello", '+'))),
            new MimePart(new MediaType("message", "msrp"), Utf8(Send("6-10/10", "world", '$'))),
        };
        string boundary = Multipart.NewBoundary();
        DeferredPushContent content = DeferredPush.Unwrap(Multipart.MixedType(boundary), Multipart.Build(boundary, parts));
        DeferredMessage m = Assert.Single(content.Messages);
        Assert.Equal("helloworld", Encoding.UTF8.GetString(m.Body.Span));
        Assert.Equal("big1", m.CallId);
        Assert.Equal('+', content.Items[1].Msrp!.ContinuationFlag);
    }

    [Fact]
    public void MsrpTextParserStrictTable()
    {
        const string ok = "MSRP a786hjs2 SEND\r\nTo-Path: msrp://a:1/x;tcp\r\nFrom-Path: msrp://b:2/y;tcp\r\nMessage-ID: 1\r\n-------a786hjs2$\r\n";
        ContentResult<MsrpSendText> r = MsrpSendText.Parse(Utf8(ok));
        Assert.True(r.IsSuccess, r.ToString());
        Assert.Equal(0, r.Value!.Body.Length);
        Assert.False(r.Value.IsRepaired);

        Assert.Equal(ContentError.MissingMsrpEndLine, MsrpSendText.Parse(Utf8(ok.Replace("-------a786hjs2$", "-------other$", StringComparison.Ordinal))).Error);
        Assert.Equal(ContentError.MissingHeader, MsrpSendText.Parse(Utf8(ok.Replace("To-Path", "X-Path", StringComparison.Ordinal))).Error);
        Assert.Equal(ContentError.InvalidMsrpStartLine, MsrpSendText.Parse(Utf8("MSRP ab SEND\r\n")).Error);
        Assert.Equal(ContentError.InvalidMsrpStartLine, MsrpSendText.Parse(Utf8(ok.Replace("\r\n", "\n", StringComparison.Ordinal))).Error);
        Assert.True(MsrpSendText.Parse(Utf8(ok.Replace("\r\n", "\n", StringComparison.Ordinal)), lenient: true).IsSuccess);
    }

    [Fact]
    public void EveryTruncationOfTheSeedPushNeverThrows()
    {
        byte[] full = Utf8(SeedExamples.Example2PushedSend);
        for (int n = 0; n <= full.Length; n += 7)
        {
            ContentResult<MsrpSendText> send = MsrpSendText.Parse(full.AsMemory(0, n), lenient: true);
            if (send.IsSuccess && send.Value!.ContentType is { } type)
            {
                DeferredPushContent c = DeferredPush.Unwrap(type, send.Value.Body);
                Assert.NotNull(c.Items);
            }
        }
    }
}
