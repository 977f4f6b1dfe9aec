// SPDX-License-Identifier: MIT
using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Threading.Channels;
using ImUeAgent.Im.Client;
using ImUeAgent.Im.Store;
using ImUeAgent.Im.Tests.Store;
using ImUeAgent.Ims.Registration;
using ImUeAgent.Msrp;
using ImUeAgent.Msrp.Sdp;
using ImUeAgent.Msrp.Sessions;
using ImUeAgent.Msrp.Transport;
using ImUeAgent.Sip.Dialogs;
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Transactions;
using ImUeAgent.Sip.Transport;
using ImUeAgent.Sip.Ua;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace ImUeAgent.Im.Tests.Client;

/// <summary>An MSRP endpoint on 127.0.0.1 with a listener on a free port (real loopback TCP).</summary>
internal sealed class LoopbackMsrp : IAsyncDisposable
{
    private readonly MsrpTcpListener _listener;

    public LoopbackMsrp(TimeProvider time)
    {
        Endpoint = new MsrpEndpoint(new MsrpEndpointOptions { Host = "127.0.0.1" }, MsrpTcpTransport.CreateConnector(), NullLoggerFactory.Instance, time);
        _listener = new MsrpTcpListener(Endpoint, new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Start();
    }

    public MsrpEndpoint Endpoint { get; }

    public async ValueTask DisposeAsync()
    {
        await _listener.DisposeAsync();
        await Endpoint.DisposeAsync();
    }
}

/// <summary>A received MSRP message collected by the scripted core.</summary>
internal sealed record CoreMsrpMessage(string ContentType, byte[] Body, string MessageId);

/// <summary>
/// The other side for one or two IM clients on an in-memory SIP network: the P-CSCF and registrar (200 to every
/// REGISTER, Service-Route and P-Associated-URI), and a scripted IM Server: records every MESSAGE and INVITE, answers
/// MESSAGE by <see cref="MessageScript"/> (default: relay to the UE the Request-URI names, as the IM Server's pager
/// relay does, 8.3.2.1), answers a Large Message INVITE with its own MSRP endpoint and collects the SEND, and
/// originates MESSAGEs and MSRP pushes toward a UE.
/// </summary>
internal sealed class TestCore : IAsyncDisposable
{
    public static readonly IPEndPoint PcscfEndPoint = new(IPAddress.Parse("10.0.0.1"), 5060);
    private readonly ConcurrentDictionary<string, IPEndPoint> _ues = new(StringComparer.OrdinalIgnoreCase);

    public TestCore(InMemorySipNetwork network, FakeTimeProvider time)
    {
        Time = time;
        Ua = new SipUserAgent(new SipTransportLayer([
            network.CreateTransport(SipTransportKind.Udp, PcscfEndPoint),
            network.CreateTransport(SipTransportKind.Tcp, PcscfEndPoint)], timeProvider: time), timeProvider: time);
        Ua.SetHandler(SipMethod.Register, OnRegister);
        Ua.SetHandler(SipMethod.Message, OnMessage);
        Ua.SetHandler(SipMethod.Invite, OnInvite);
        Ua.SetHandler(SipMethod.Bye, OnBye);
        Ua.Start();
        Msrp = new LoopbackMsrp(time);
    }

    public FakeTimeProvider Time { get; }

    public SipUserAgent Ua { get; }

    public LoopbackMsrp Msrp { get; }

    public Channel<SipRequest> Messages { get; } = Channel.CreateUnbounded<SipRequest>();

    public Channel<SipRequest> Invites { get; } = Channel.CreateUnbounded<SipRequest>();

    public Channel<SipRequest> Byes { get; } = Channel.CreateUnbounded<SipRequest>();

    public Channel<CoreMsrpMessage> MsrpMessages { get; } = Channel.CreateUnbounded<CoreMsrpMessage>();

    /// <summary>Scripted answers to MESSAGE, first in first used; when empty the MESSAGE is relayed.</summary>
    public ConcurrentQueue<int> MessageScript { get; } = new();

    public void AddUe(string user, IPEndPoint endPoint) => _ues[user] = endPoint;

    public static async Task<T> ReadAsync<T>(Channel<T> channel)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(15));
        return await channel.Reader.ReadAsync(cts.Token);
    }

    private ValueTask OnRegister(SipServerTransaction tx, SipDialog? dialog)
    {
        SipRequest r = tx.Request;
        string impu = r.Headers.To!.Uri.ToString();
        tx.Respond(SipMessageBuilder.ResponseTo(r, 200, toTag: "reg")
            .Add(SipHeaderId.Contact, r.Headers.GetValue(SipHeaderId.Contact) + ";expires=600000")
            .Add(SipHeaderId.ServiceRoute, "<sip:orig@scscf.ims.test;lr>")
            .Add(SipHeaderId.PAssociatedUri, "<" + impu + ">")
            .BuildResponse());
        return ValueTask.CompletedTask;
    }

    private async ValueTask OnMessage(SipServerTransaction tx, SipDialog? dialog)
    {
        SipRequest r = tx.Request;
        Messages.Writer.TryWrite(r);
        if (MessageScript.TryDequeue(out int status))
        {
            tx.Respond(SipMessageBuilder.ResponseTo(r, status, toTag: "core").BuildResponse());
            return;
        }

        if (r.RequestUri.User is { } user && _ues.TryGetValue(user, out IPEndPoint? ue))
        {
            SipResponse answer = await RelayAsync(r, ue);
            tx.Respond(SipMessageBuilder.ResponseTo(r, answer.StatusCode, toTag: "core").BuildResponse());
            return;
        }

        tx.Respond(SipMessageBuilder.ResponseTo(r, 200, toTag: "core").BuildResponse());
    }

    /// <summary>The terminating leg of the pager relay: the same request toward the UE with the originator asserted
    /// (P-Asserted-Identity from P-Preferred-Identity) and every Accept-Contact value kept (8.3.2.1 step 2).</summary>
    private Task<SipResponse> RelayAsync(SipRequest r, IPEndPoint ue)
    {
        SipMessageBuilder b = SipMessageBuilder.Request(SipMethod.Message, SipUri.Parse("sip:" + r.RequestUri.User + "@" + ue))
            .MaxForwards(69);
        foreach (SipHeader h in r.Headers)
        {
            switch (h.Id)
            {
                case SipHeaderId.Via or SipHeaderId.Route or SipHeaderId.MaxForwards or SipHeaderId.ContentLength or SipHeaderId.PPreferredIdentity:
                    break;
                default:
                    b.AddRaw(h);
                    break;
            }
        }

        if (r.Headers.GetValue(SipHeaderId.PPreferredIdentity) is { } ppi)
        {
            b.Add(SipHeaderId.PAssertedIdentity, ppi);
        }

        b.RawBody(r.Body);
        return Ua.SendAsync(b.BuildRequest(), options: new SipSendOptions { Destination = new SipTransportAddress(SipTransportKind.Udp, ue), Authenticate = false });
    }

    /// <summary>The IM Server side of a Large Message session from a UE: passive (the UE offered active), collects
    /// the SEND, answers 200.</summary>
    private ValueTask OnInvite(SipServerTransaction tx, SipDialog? dialog)
    {
        SipRequest r = tx.Request;
        Invites.Writer.TryWrite(r);
        var handler = new CollectingHandler(MsrpMessages);
        MsrpSession session = Msrp.Endpoint.CreateSession(handler);
        MsrpMediaDescription offer = MsrpSdp.Read(Encoding.UTF8.GetString(r.Body.Span));
        string answer = MsrpSdp.CreateAnswer(session, offer, ["*"], null, null, out _);
        SipDialog uas = SipDialog.CreateUas(r, "core-" + r.Headers.CallId);
        Ua.Dialogs.Add(uas);
        tx.Respond(SipMessageBuilder.ResponseTo(r, 200, toTag: uas.LocalTag)
            .Contact(new ContactValue(new NameAddress(SipUri.Parse("sip:imserver@" + PcscfEndPoint))))
            .Body(new MediaType("application", "sdp"), Encoding.UTF8.GetBytes(answer))
            .BuildResponse());
        return ValueTask.CompletedTask;
    }

    private ValueTask OnBye(SipServerTransaction tx, SipDialog? dialog)
    {
        Byes.Writer.TryWrite(tx.Request);
        tx.Respond(SipMessageBuilder.ResponseTo(tx.Request, 200).BuildResponse());
        return ValueTask.CompletedTask;
    }

    /// <summary>Sends a MESSAGE to a UE (as the IM Server's terminating leg would).</summary>
    public Task<SipResponse> SendMessageAsync(IPEndPoint ue, string from, string contentType, byte[] body, string? callId = null, uint cseq = 1,
        params (string Name, string Value)[] headers)
    {
        SipMessageBuilder b = SipMessageBuilder.Request(SipMethod.Message, SipUri.Parse("sip:ue@" + ue))
            .MaxForwards(70)
            .From(new NameAddress(SipUri.Parse(from)).WithParameter(new SipParameter("tag", SipUserAgent.NewTag())))
            .To(new NameAddress(SipUri.Parse("sip:bob@ims.test")))
            .CallId(callId ?? SipUserAgent.NewTag())
            .CSeq(cseq, SipMethod.Message)
            .Add(SipHeaderId.PAssertedIdentity, "<" + from + ">");
        foreach ((string name, string value) in headers)
        {
            b.Add(name, value);
        }

        b.Body(MediaType(contentType), body);
        return Ua.SendAsync(b.BuildRequest(), options: new SipSendOptions { Destination = new SipTransportAddress(SipTransportKind.Udp, ue), Authenticate = false });
    }

    /// <summary>The UE's final response to each <see cref="PushAsync"/> INVITE (its SDP answer), in order.</summary>
    public Channel<SipResponse> PushAnswers { get; } = Channel.CreateUnbounded<SipResponse>();

    /// <summary>Appendix D.2 / 9: INVITE with an MSRP offer to the UE (no a=setup: the offerer, this side, is active
    /// by RFC 4975's default unless <paramref name="setup"/> says otherwise), ACK, connect, one SEND per body, BYE.
    /// Returns the MSRP status of each SEND. <paramref name="acceptContact"/> adds Accept-Contact values beside
    /// '*;+g.oma.sip-im'; <paramref name="direction"/> adds an a=sendonly/recvonly/... line to the MSRP m= section.</summary>
    public async Task<IReadOnlyList<int>> PushAsync(IPEndPoint ue, string from, IReadOnlyList<(string ContentType, byte[] Body)> sends, MsrpSetup? setup = null,
        string? callId = null, IReadOnlyList<string>? acceptContact = null, string? direction = null)
    {
        // A fresh endpoint per push: an endpoint reuses connections it opened (RFC 4975 §5.4), and the UE closes its
        // side when the session ends, so a reused one may be closing under the next push.
        await using var msrp = new LoopbackMsrp(Time);
        MsrpSession session = msrp.Endpoint.CreateSession(new CollectingHandler(MsrpMessages));
        try
        {
            string offer = MsrpSdp.Build(new MsrpMediaDescription
            {
                Path = session.AdvertisedPath,
                AcceptTypes = ["*"],
                Setup = setup,
                Port = session.LocalUri.EffectivePort,
                ConnectionAddress = "127.0.0.1",
            }, "127.0.0.1");
            if (direction is not null)
            {
                offer = offer.Replace("a=path:", "a=" + direction + "\r\na=path:", StringComparison.Ordinal);
            }

            SipMessageBuilder builder = SipMessageBuilder.Request(SipMethod.Invite, SipUri.Parse("sip:ue@" + ue))
                .MaxForwards(70)
                .From(new NameAddress(SipUri.Parse(from)).WithParameter(new SipParameter("tag", SipUserAgent.NewTag())))
                .To(new NameAddress(SipUri.Parse("sip:bob@ims.test")))
                .CallId(callId ?? SipUserAgent.NewTag())
                .CSeq(1, SipMethod.Invite)
                .Contact(new ContactValue(new NameAddress(SipUri.Parse("sip:imserver@" + PcscfEndPoint))))
                .Add(SipHeaderId.PAssertedIdentity, "<" + from + ">")
                .Add(SipHeaderId.AcceptContact, "*;+g.oma.sip-im")
                .Add(SipHeaderId.Supported, "timer")
                .Add(SipHeaderId.SessionExpires, "1800;refresher=uac");
            foreach (string value in acceptContact ?? [])
            {
                builder.Add(SipHeaderId.AcceptContact, value);
            }

            SipRequest invite = builder.Body(new MediaType("application", "sdp"), Encoding.UTF8.GetBytes(offer)).BuildRequest();
            SipInviteResult result = await Ua.InviteAsync(invite, options: new SipSendOptions { Destination = new SipTransportAddress(SipTransportKind.Udp, ue), Authenticate = false });
            PushAnswers.Writer.TryWrite(result.Response);
            if (!result.Response.IsSuccess)
            {
                return [result.Response.StatusCode];
            }

            MsrpMediaDescription answer = MsrpSdp.Read(Encoding.UTF8.GetString(result.Response.Body.Span));
            session.SetRemotePath(answer.Path);
            if (MsrpSdp.OffererRole(answer.Setup) == MsrpConnectionRole.Active)
            {
                await session.ConnectAsync(TestContext.Current.CancellationToken);
            }
            else
            {
                await session.WaitForConnectionAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken);
            }

            var statuses = new List<int>();
            foreach ((string type, byte[] body) in sends)
            {
                MsrpSendResult sent = await session.SendMessageAsync(type, body, cancellationToken: TestContext.Current.CancellationToken);
                statuses.Add(sent.StatusCode == 0 && sent.IsSuccess ? 200 : sent.StatusCode);
            }

            await Ua.ByeAsync(result.Dialog!);
            return statuses;
        }
        finally
        {
            await session.DisposeAsync();
        }
    }

    private static MediaType MediaType(string text)
    {
        Assert.True(ImUeAgent.Im.Content.MimeMediaType.TryParse(text, out MediaType? type), text);
        return type!;
    }

    public async ValueTask DisposeAsync()
    {
        await Ua.DisposeAsync();
        await Msrp.DisposeAsync();
    }

    private sealed class CollectingHandler(Channel<CoreMsrpMessage> sink) : IMsrpSessionHandler
    {
        public MsrpReceiveDecision OnMessageStarted(MsrpSession session, MsrpIncomingMessage message) =>
            MsrpReceiveDecision.Accept(new Sink(sink, message));

        private sealed class Sink(Channel<CoreMsrpMessage> sink, MsrpIncomingMessage message) : IMsrpMessageSink
        {
            private readonly MsrpMemorySink _memory = new(64 * 1024 * 1024);

            public ValueTask WriteAsync(long offset, ReadOnlySequence<byte> data, CancellationToken cancellationToken) => _memory.WriteAsync(offset, data, cancellationToken);

            public async ValueTask<int> CompleteAsync(long length, CancellationToken cancellationToken)
            {
                int status = await _memory.CompleteAsync(length, cancellationToken);
                sink.Writer.TryWrite(new CoreMsrpMessage(message.ContentType, _memory.Data.ToArray(), message.MessageId));
                return status;
            }

            public ValueTask AbortAsync(MsrpIncompleteReason reason, CancellationToken cancellationToken) => _memory.AbortAsync(reason, cancellationToken);
        }
    }
}

/// <summary>One UE: IMS registration (digest) through the core, a message store, an MSRP endpoint and the IM client.</summary>
internal sealed class TestUe : IAsyncDisposable
{
    private readonly StoreTestContext _storeContext;

    private TestUe(string user, IPEndPoint endPoint, StoreTestContext storeContext, ImsRegistration registration, MessageStore store, LoopbackMsrp msrp, ImClient client)
    {
        User = user;
        EndPoint = endPoint;
        _storeContext = storeContext;
        Registration = registration;
        Store = store;
        Msrp = msrp;
        Client = client;
    }

    public string User { get; }

    public string Impu => "sip:" + User + "@ims.test";

    /// <summary>The UE's message store file (to reopen it, as a restarted daemon would).</summary>
    public string DatabasePath => _storeContext.DatabasePath;

    public IPEndPoint EndPoint { get; }

    public ImsRegistration Registration { get; }

    public MessageStore Store { get; }

    public LoopbackMsrp Msrp { get; }

    public ImClient Client { get; }

    public static async Task<TestUe> StartAsync(InMemorySipNetwork network, TestCore core, string user, IPAddress address, ImClientSettings settings)
    {
        var endPoint = new IPEndPoint(address, 5060);
        core.AddUe(user, endPoint);
        var storeContext = new StoreTestContext();
        MessageStore store = await MessageStore.OpenAsync(storeContext.Settings, NullLogger.Instance, core.Time, TestContext.Current.CancellationToken);
        var registration = new ImsRegistration(new ImsRegistrationSettings
        {
            Impi = user + "@ims.test",
            Impus = ["sip:" + user + "@ims.test"],
            HomeDomain = "ims.test",
            Pcscfs = [new PcscfAddress(TestCore.PcscfEndPoint.Address)],
            LocalAddress = address,
            ContactFeatureTags = ["+g.oma.sip-im"],
            SubscribeRegEvent = false,
            Digest = new DigestRegistrationCredentials(user + "@ims.test", "secret"),
        }, null, core.Time, null,
            a => new SipUserAgent(new SipTransportLayer([
                network.CreateTransport(SipTransportKind.Udp, new IPEndPoint(a, 5060)),
                network.CreateTransport(SipTransportKind.Tcp, new IPEndPoint(a, 5060))], timeProvider: core.Time), timeProvider: core.Time),
            random: () => 0.0);
        var msrp = new LoopbackMsrp(core.Time);
        var client = new ImClient(settings, registration, store, msrp.Endpoint, core.Time, NullLoggerFactory.Instance);
        registration.Start();
        var ue = new TestUe(user, endPoint, storeContext, registration, store, msrp, client);
        await ue.WaitRegisteredAsync();
        await client.StartAsync(TestContext.Current.CancellationToken);
        return ue;
    }

    public async Task WaitRegisteredAsync()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(15));
        await foreach (RegistrationState s in Registration.WatchAsync(cts.Token))
        {
            if (s.Status == RegistrationStatus.Registered)
            {
                return;
            }
        }
    }

    /// <summary>Waits for an outbox message to reach a state (through the client's resumable event stream).</summary>
    public async Task<OutboxEvent> WaitOutboxAsync(long outboxId, OutboxState state, int? statusCode = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(15));
        await foreach (OutboxEvent e in Client.WatchOutboxAsync(0, cts.Token))
        {
            if (e.OutboxId == outboxId && e.State == state && (statusCode is null || e.StatusCode == statusCode))
            {
                return e;
            }
        }

        throw new InvalidOperationException("unreachable");
    }

    /// <summary>The next inbox addition after <paramref name="afterId"/>.</summary>
    public async Task<ImInboxEvent> NextInboxAsync(long afterId = 0)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(15));
        await foreach (ImInboxEvent e in Client.WatchInboxAsync(afterId, cts.Token))
        {
            return e;
        }

        throw new InvalidOperationException("unreachable");
    }

    public async Task<IReadOnlyList<InboxMessage>> InboxAsync() => await Store.ListUndeliveredAsync(0, 1000, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Registration.DisposeAsync();
        await Msrp.DisposeAsync();
        await Store.DisposeAsync();
        _storeContext.Dispose();
    }
}

internal static class TestText
{
    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    public static string Text(ReadOnlyMemory<byte> b) => Encoding.UTF8.GetString(b.Span);

    public static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
