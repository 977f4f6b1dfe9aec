// SPDX-License-Identifier: MIT
using System.Globalization;
using ImUeAgent.Im.Client;
using ImUeAgent.Im.Client.Sessions;
using ImUeAgent.Im.Store;
using ImUeAgent.Im.Tests.Client.Sessions;
using ImUeAgent.Im.Tests.Store;
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Transport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static ImUeAgent.Im.Tests.Client.TestText;

namespace ImUeAgent.Im.Tests.Client;

/// <summary>RFC 3841 routing of received messages to local applications, kept in the store with each message.</summary>
public sealed class ApplicationRoutingTests : IAsyncDisposable
{
    private const string AppRefA = "+g.3gpp.app_ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.app-a\"";
    private const string AppRefB = "+g.3gpp.app_ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.app-b\"";
    private const string PreferA = "*;" + AppRefA + ";explicit;require";
    private const string PreferB = "*;" + AppRefB + ";explicit;require";
    private readonly InMemorySipNetwork _network = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly TestCore _core;
    private readonly ScriptedSessionPeer _peer;
    private readonly List<TestUe> _ues = [];

    public ApplicationRoutingTests()
    {
        _core = new TestCore(_network, _time);
        _peer = new ScriptedSessionPeer(_core);
    }

    /// <summary>Two applications told apart by their app_ref, and a default one that neither request names.</summary>
    private static ImClientSettings BobSettings() => PagerModeTests.Settings() with
    {
        Applications =
        [
            new ImApplication("app-a", [AppRefA]),
            new ImApplication("app-b", [AppRefB]),
            new ImApplication("inbox", ["+g.3gpp.iari-ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.inbox\""]),
        ],
        DefaultApplicationId = "inbox",
    };

    private async Task<TestUe> StartUeAsync(string user, System.Net.IPAddress address, ImClientSettings settings)
    {
        TestUe ue = await TestUe.StartAsync(_network, _core, user, address, settings);
        _ues.Add(ue);
        return ue;
    }

    private static string StoredMessage(string callId, string body, params string[] acceptContact) =>
        "MESSAGE sip:bob@ims.test SIP/2.0\r\n" +
        "Via: SIP/2.0/TCP user1pc.imserver.com;branch=z9hG4bK776sgdkse\r\n" +
        "Max-Forwards: 70\r\n" +
        "From: <sip:user1@imserver.com>;tag=49583\r\n" +
        "To: <sip:bob@ims.test>\r\n" +
        string.Concat(acceptContact.Select(a => "Accept-Contact: " + a + "\r\n")) +
        "Call-ID: " + callId + "\r\n" +
        "Date: Thu, 21 Feb 2002 13:02:03 GMT\r\n" +
        "CSeq: 1 MESSAGE\r\n" +
        "Content-Type: text/plain\r\n" +
        "Content-Length: " + body.Length.ToString(CultureInfo.InvariantCulture) + "\r\n" +
        "\r\n" + body;

    private static string Multipart(params string[] storedMessages) =>
        string.Concat(storedMessages.Select(m => "--push\r\nContent-Type: message/sip\r\n\r\n" + m + "\r\n")) + "--push--\r\n";

    [Fact]
    public async Task EveryReceivedMessageIsStoredWithTheApplicationRfc3841ChoseAndARestartStillSeesIt()
    {
        TestUe alice = await StartUeAsync("alice", PagerModeTests.AliceAddress, PagerModeTests.Settings());
        TestUe bob = await StartUeAsync("bob", PagerModeTests.BobAddress, BobSettings());
        var live = System.Threading.Channels.Channel.CreateUnbounded<ImInboxEvent>();
        bob.Client.InboxAdded += e => live.Writer.TryWrite(e);

        // Pager mode: app_ref A, app_ref B, and a tag no application registered (the default takes it).
        long afterId = 0;
        foreach ((string body, string[] tags) in new[]
        {
            ("pager for A", new[] { AppRefA + ";explicit;require" }),
            ("pager for B", new[] { AppRefB + ";explicit;require" }),
            ("pager for nobody", Array.Empty<string>()),
        })
        {
            await alice.Client.SendAsync(new NewOutboxMessage
            {
                Recipients = ["sip:bob@ims.test"],
                ContentType = "text/plain",
                Body = Utf8(body),
                FeatureTags = tags,
            }, TestContext.Current.CancellationToken);
            afterId = (await bob.NextInboxAsync(afterId)).Message.Id;
        }

        // Large Message Mode (9), routed by the INVITE's Accept-Contact.
        Assert.Equal([200], await _core.PushAsync(bob.EndPoint, "sip:alice@ims.test", [("text/plain", Utf8("large for B"))], acceptContact: [PreferB]));

        // Deferred push (D.2), its INVITE preferring B: each stored MESSAGE is routed by its own Accept-Contact (the
        // request its sender made); one that carried none goes where the push went.
        string push = Multipart(
            StoredMessage("d1@imserver.com", "deferred for A", "*;+g.oma.sip-im", PreferA),
            StoredMessage("d2@imserver.com", "deferred for nobody", "*;+g.oma.sip-im"),
            StoredMessage("d3@imserver.com", "deferred without preferences"));
        Assert.Equal([200], await _core.PushAsync(bob.EndPoint, "sip:im-server@ims.test", [("multipart/mixed;boundary=push", Utf8(push))], acceptContact: [PreferB]));

        // An IM session (7) offered for A: the session and what arrives in it belong to A.
        var started = new TaskCompletionSource<ImChatSession>(TaskCreationOptions.RunContinuationsAsynchronously);
        bob.Client.SessionStarted += s => started.TrySetResult(s);
        (SipResponse ok, PeerSession? peer) = await _peer.InviteAsync(bob.EndPoint, "sip:alice@ims.test", acceptContact: [PreferA]);
        Assert.Equal(200, ok.StatusCode);
        ImChatSession session = await started.Task.WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);
        Assert.Equal("app-a", session.ApplicationId);
        Assert.True((await peer!.SendAsync("text/plain", Utf8("session for A"))).IsSuccess);

        var expected = new Dictionary<string, (MessageSource Source, string Application)>(StringComparer.Ordinal)
        {
            ["pager for A"] = (MessageSource.Pager, "app-a"),
            ["pager for B"] = (MessageSource.Pager, "app-b"),
            ["pager for nobody"] = (MessageSource.Pager, "inbox"),
            ["large for B"] = (MessageSource.LargeMessage, "app-b"),
            ["deferred for A"] = (MessageSource.DeferredPush, "app-a"),
            ["deferred for nobody"] = (MessageSource.DeferredPush, "inbox"),
            ["deferred without preferences"] = (MessageSource.DeferredPush, "app-b"),
            ["session for A"] = (MessageSource.Session, "app-a"),
        };
        IReadOnlyList<InboxMessage> stored = await bob.InboxAsync();
        Assert.Equal(expected.OrderBy(e => e.Key, StringComparer.Ordinal),
            stored.Select(m => KeyValuePair.Create(Text(m.Body), (m.Source, m.ApplicationId!))).OrderBy(e => e.Key, StringComparer.Ordinal));
        // The live events said the same as the rows.
        for (int i = 0; i < expected.Count; i++)
        {
            ImInboxEvent e = await TestCore.ReadAsync(live);
            Assert.Equal(expected[Text(e.Message.Body)].Application, e.ApplicationId);
        }

        // Restart: the client and the store go away; a new store over the same file and a new client see the routing.
        await bob.Client.DisposeAsync();
        await bob.Store.DisposeAsync();
        await using MessageStore reopened = await MessageStore.OpenAsync(new MessageStoreSettings { DatabasePath = bob.DatabasePath }, NullLogger.Instance, _time,
            TestContext.Current.CancellationToken);
        await using var restarted = new ImClient(BobSettings(), bob.Registration, reopened, bob.Msrp.Endpoint, _time, NullLoggerFactory.Instance);
        await restarted.StartAsync(TestContext.Current.CancellationToken);

        var replayed = new Dictionary<string, string?>(StringComparer.Ordinal);
        using (var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken))
        {
            cts.CancelAfter(TimeSpan.FromSeconds(15));
            await foreach (ImInboxEvent e in restarted.WatchInboxAsync(0, cts.Token))
            {
                replayed[Text(e.Message.Body)] = e.ApplicationId;
                if (replayed.Count == expected.Count)
                {
                    break;
                }
            }
        }

        Assert.Equal(expected.Select(e => KeyValuePair.Create(e.Key, (string?)e.Value.Application)).OrderBy(e => e.Key, StringComparer.Ordinal),
            replayed.OrderBy(e => e.Key, StringComparer.Ordinal));
        Assert.Equal(["deferred for A", "pager for A", "session for A"],
            (await reopened.ListUndeliveredAsync(0, 100, "app-a", TestContext.Current.CancellationToken)).Select(m => Text(m.Body)).Order(StringComparer.Ordinal));
        Assert.Equal(["deferred without preferences", "large for B", "pager for B"],
            (await reopened.ListUndeliveredAsync(0, 100, "app-b", TestContext.Current.CancellationToken)).Select(m => Text(m.Body)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task WithoutADefaultTheFirstApplicationTakesUnmatchedRequestsAndWithoutApplicationsNoneIsStored()
    {
        TestUe bob = await StartUeAsync("bob", PagerModeTests.BobAddress, BobSettings() with { DefaultApplicationId = null });
        Assert.Equal(200, (await _core.SendMessageAsync(bob.EndPoint, "sip:alice@ims.test", "text/plain", Utf8("unmatched"), callId: "u1@ims.test")).StatusCode);
        Assert.Equal(200, (await _core.SendMessageAsync(bob.EndPoint, "sip:alice@ims.test", "text/plain", Utf8("for B"), callId: "u2@ims.test", cseq: 1,
            ("Accept-Contact", PreferB))).StatusCode);
        Assert.Equal(["app-a", "app-b"], (await bob.InboxAsync()).Select(m => m.ApplicationId));

        TestUe carol = await StartUeAsync("carol", System.Net.IPAddress.Parse("10.0.0.4"), PagerModeTests.Settings());
        Assert.Equal(200, (await _core.SendMessageAsync(carol.EndPoint, "sip:alice@ims.test", "text/plain", Utf8("no apps"), callId: "u3@ims.test", cseq: 1,
            ("Accept-Contact", PreferB))).StatusCode);
        Assert.Null(Assert.Single(await carol.InboxAsync()).ApplicationId);
    }

    [Fact]
    public void ApplicationSettingsThatCannotBeStoredOrRoutedAreRefused()
    {
        Assert.Throws<ArgumentException>(() => (BobSettings() with { DefaultApplicationId = "nope" }).Validate());
        Assert.Throws<ArgumentException>(() => (BobSettings() with { Applications = [new ImApplication("x", [AppRefA]), new ImApplication("x", [AppRefB])], DefaultApplicationId = null }).Validate());
        Assert.Throws<ArgumentException>(() => (BobSettings() with { Applications = [new ImApplication("two\nlines", [AppRefA])], DefaultApplicationId = null }).Validate());
        Assert.Throws<ArgumentException>(() => (BobSettings() with { Applications = [new ImApplication(string.Empty, [AppRefA])], DefaultApplicationId = null }).Validate());
        BobSettings().Validate();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (TestUe ue in _ues)
        {
            await ue.DisposeAsync();
        }

        await _peer.DisposeAsync();
        await _core.DisposeAsync();
    }
}
