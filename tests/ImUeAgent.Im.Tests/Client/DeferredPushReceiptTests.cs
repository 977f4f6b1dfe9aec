// SPDX-License-Identifier: MIT
using System.Globalization;
using ImUeAgent.Im.Content;
using ImUeAgent.Im.Store;
using ImUeAgent.Im.Tests.Content;
using ImUeAgent.Sip.Transport;
using Microsoft.Extensions.Time.Testing;
using static ImUeAgent.Im.Tests.Client.TestText;

namespace ImUeAgent.Im.Tests.Client;

public sealed class DeferredPushReceiptTests : IAsyncDisposable
{
    private const string ImServer = "sip:im-server@ims.test";
    private readonly InMemorySipNetwork _network = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly TestCore _core;
    private TestUe? _bob;

    public DeferredPushReceiptTests()
    {
        _core = new TestCore(_network, _time);
    }

    private async Task<TestUe> BobAsync() => _bob ??= await TestUe.StartAsync(_network, _core, "bob", PagerModeTests.BobAddress, PagerModeTests.Settings());

    private static string StoredMessage(string callId, string body, uint cseq = 1) =>
        "MESSAGE sip:bob@ims.test SIP/2.0\r\n" +
        "Via: SIP/2.0/TCP user1pc.imserver.com;branch=z9hG4bK776sgdkse\r\n" +
        "Max-Forwards: 70\r\n" +
        "From: <sip:user1@imserver.com>;tag=49583\r\n" +
        "To: <sip:bob@ims.test>\r\n" +
        "Accept-Contact: *;+g.oma.sip-im\r\n" +
        "Call-ID: " + callId + "\r\n" +
        "Date: Thu, 21 Feb 2002 13:02:03 GMT\r\n" +
        "CSeq: " + cseq.ToString(CultureInfo.InvariantCulture) + " MESSAGE\r\n" +
        "Content-Type: text/plain\r\n" +
        "Content-Length: " + body.Length.ToString(CultureInfo.InvariantCulture) + "\r\n" +
        "\r\n" + body;

    private const string StoredFragment =
        "From: <sip:user3@imserver.com>;tag=77\r\n" +
        "To: <sip:bob@ims.test>\r\n" +
        "Call-ID: frag-1@imserver.com\r\n" +
        "CSeq: 7 MESSAGE\r\n" +
        "Date: Fri, 22 Feb 2002 08:00:00 GMT\r\n" +
        "Content-Type: text/plain\r\n" +
        "\r\n" +
        "from a fragment";

    private const string StoredSend =
        "MSRP dkei38sd SEND\r\n" +
        "To-Path: msrp://imserver.com:7777/iau39;tcp\r\n" +
        "From-Path: msrp://user1.imserver.com:8888/9di4ea;tcp\r\n" +
        "Message-ID: 456\r\n" +
        "Date: Thu, 21 Feb 2005 13:02:04 GMT\r\n" +
        "Content-Type: text/plain\r\n" +
        "\r\n" +
        "Hi, Alice!  I'm Bob!\r\n" +
        "-------dkei38sd$\r\n";

    public static TheoryData<string> BodyTypes => ["message/sip", "message/sipfrag", "message/msrp", "multipart/mixed (seed example 2)"];

    private static (string ContentType, byte[] Body, string Text, string? Sender, DateTimeOffset Date) Push(string kind)
    {
        switch (kind)
        {
            case "message/sip":
                return ("message/sip", Utf8(StoredMessage("asd88asd77a@1.2.3.4", "Watson, come here.")), "Watson, come here.", "sip:user1@imserver.com",
                    new DateTimeOffset(2002, 2, 21, 13, 2, 3, TimeSpan.Zero));
            case "message/sipfrag":
                return ("message/sipfrag", Utf8(StoredFragment), "from a fragment", "sip:user3@imserver.com", new DateTimeOffset(2002, 2, 22, 8, 0, 0, TimeSpan.Zero));
            case "message/msrp":
                // A stored SEND without its SIP context: the sender is unknown (kept anonymous).
                return ("message/msrp", Utf8(StoredSend), "Hi, Alice!  I'm Bob!", "sip:anonymous@anonymous.invalid", new DateTimeOffset(2005, 2, 21, 13, 2, 4, TimeSpan.Zero));
            default:
                ContentResult<MsrpSendText> frame = MsrpSendText.Parse(Utf8(SeedExamples.Example2PushedSend), lenient: true);
                Assert.True(frame.IsSuccess, frame.ToString());
                return (frame.Value!.Headers.GetValue("Content-Type")!, frame.Value.Body.ToArray(), "Hi, Alice!  I'm Bob!", "sip:user1@imserver.com",
                    new DateTimeOffset(2005, 2, 21, 13, 2, 4, TimeSpan.Zero));
        }
    }

    [Theory]
    [MemberData(nameof(BodyTypes))]
    public async Task EachD2BodyTypeIsRebuiltStoredAndAnswered200(string kind)
    {
        TestUe bob = await BobAsync();
        (string type, byte[] body, string text, string? sender, DateTimeOffset date) = Push(kind);
        IReadOnlyList<int> statuses = await _core.PushAsync(bob.EndPoint, ImServer, [(type, body)]);
        Assert.Equal([200], statuses);
        InboxMessage m = Assert.Single(await bob.InboxAsync());
        Assert.Equal(MessageSource.DeferredPush, m.Source);
        Assert.False(m.IsUnparsed);
        Assert.Equal(text, Text(m.Body).TrimEnd());
        Assert.Equal(sender, m.SenderUri);
        Assert.Equal(date, m.OriginalDate);
        Assert.Equal("text/plain", m.ContentType);
    }

    [Fact]
    public async Task PushedTwiceOrReceivedLiveFirstIsStoredOnce()
    {
        TestUe bob = await BobAsync();
        Sip.Message.SipResponse live = await _core.SendMessageAsync(bob.EndPoint, "sip:user1@imserver.com", "text/plain", Utf8("Watson, come here."), callId: "live-1@1.2.3.4");
        Assert.Equal(200, live.StatusCode);
        byte[] stored = Utf8(StoredMessage("live-1@1.2.3.4", "Watson, come here."));
        Assert.Equal([200], await _core.PushAsync(bob.EndPoint, ImServer, [("message/sip", stored)]));
        Assert.Equal([200, 200], await _core.PushAsync(bob.EndPoint, ImServer, [("message/sip", Utf8(StoredMessage("other@1.2.3.4", "second"))), ("message/sip", stored)]));
        Assert.Equal([200], await _core.PushAsync(bob.EndPoint, ImServer, [("message/sip", Utf8(StoredMessage("other@1.2.3.4", "second")))]));
        IReadOnlyList<InboxMessage> inbox = await bob.InboxAsync();
        Assert.Equal(["Watson, come here.", "second"], inbox.Select(m => Text(m.Body)));
        Assert.Equal([MessageSource.Pager, MessageSource.DeferredPush], inbox.Select(m => m.Source));
    }

    [Fact]
    public async Task MalformedPartIsKeptRawWhileTheRestOfTheSendSucceeds()
    {
        TestUe bob = await BobAsync();
        const string Garbage = "this is not a SIP message at all\r\n\r\n";
        byte[] multipart = Multipart.Build("b42", [
            new MimePart(new Sip.Message.MediaType("message", "sip"), Utf8(StoredMessage("good-1@imserver.com", "good one"))),
            new MimePart(new Sip.Message.MediaType("message", "sip"), Utf8(Garbage)),
        ]);
        Assert.Equal([200], await _core.PushAsync(bob.EndPoint, ImServer, [("multipart/mixed; boundary=b42", multipart)]));
        IReadOnlyList<InboxMessage> inbox = await bob.InboxAsync();
        Assert.Equal(2, inbox.Count);
        Assert.Equal("good one", Text(inbox[0].Body));
        InboxMessage raw = inbox[1];
        Assert.True(raw.IsUnparsed);
        Assert.Equal(Garbage, Text(raw.RawPart!.Value));
        Assert.StartsWith(nameof(ContentError.InvalidSipMessage), raw.UnparsedReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnreadableSendGetsAnMsrpErrorAndIsKeptRawWhileTheOtherSendsOfThePushGet200()
    {
        TestUe bob = await BobAsync();
        IReadOnlyList<int> statuses = await _core.PushAsync(bob.EndPoint, ImServer, [
            ("message/sip", Utf8("GARBAGE\r\n")),
            ("message/sip", Utf8(StoredMessage("fine-1@imserver.com", "fine"))),
        ]);
        Assert.Equal([400, 200], statuses);
        IReadOnlyList<InboxMessage> inbox = await bob.InboxAsync();
        Assert.Equal(2, inbox.Count);
        Assert.True(inbox[0].IsUnparsed);
        Assert.Equal("GARBAGE\r\n", Text(inbox[0].RawPart!.Value));
        Assert.Equal("fine", Text(inbox[1].Body));

        // The same bad SEND pushed again is recognised by its content hash: not stored twice.
        Assert.Equal([400], await _core.PushAsync(bob.EndPoint, ImServer, [("message/sip", Utf8("GARBAGE\r\n"))]));
        Assert.Equal(2, (await bob.InboxAsync()).Count);
    }

    [Fact]
    public async Task PushNotCommittedIsNotAcknowledged()
    {
        TestUe bob = await BobAsync();
        long pages = await bob.Store.WriterPragmaAsync("page_count");
        await bob.Store.WriterPragmaAsync("max_page_count = " + pages.ToString(CultureInfo.InvariantCulture));
        string big = new('z', 200 * 1024);
        byte[] multipart = Multipart.Build("b43", [
            new MimePart(new Sip.Message.MediaType("message", "sip"), Utf8(StoredMessage("p-1@imserver.com", big))),
            new MimePart(new Sip.Message.MediaType("message", "sip"), Utf8(StoredMessage("p-2@imserver.com", "small"))),
        ]);
        IReadOnlyList<int> refused = await _core.PushAsync(bob.EndPoint, ImServer, [("multipart/mixed; boundary=b43", multipart)]);
        Assert.NotEqual(200, Assert.Single(refused));
        Assert.Empty(await bob.InboxAsync());

        await bob.Store.WriterPragmaAsync("max_page_count = 1073741823");
        Assert.Equal([200], await _core.PushAsync(bob.EndPoint, ImServer, [("multipart/mixed; boundary=b43", multipart)]));
        Assert.Equal(2, (await bob.InboxAsync()).Count);
    }

    public async ValueTask DisposeAsync()
    {
        if (_bob is not null)
        {
            await _bob.DisposeAsync();
        }

        await _core.DisposeAsync();
    }
}
