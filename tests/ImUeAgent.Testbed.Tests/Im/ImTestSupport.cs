// SPDX-License-Identifier: MIT
using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using ImUeAgent.Msrp.Sdp;
using ImUeAgent.Msrp.Sessions;
using ImUeAgent.Msrp.Transport;
using ImUeAgent.Sip.Message;
using ImUeAgent.Testbed.Core;
using ImUeAgent.Testbed.Im;
using ImUeAgent.Testbed.Modem;
using ImUeAgent.Testbed.Tests.Core;
using ImUeAgent.Testbed.Tests.Modem;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImUeAgent.Testbed.Tests.Im;

/// <summary>A core on loopback with the IM server behind it, a fake clock, four subscribers (alice = the card's,
/// bob, carol and dave with digest).</summary>
internal sealed class ImFixture : IAsyncDisposable
{
    public const string Domain = CoreFixture.Domain;
    public const string DaveImpu = "sip:dave@" + Domain;
    public const string AppRef = "*;+g.3gpp.app_ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.rcse.im\";explicit;require";

    private ImFixture(ImsCore core, ImServer im, LineCollector log, SipMessageLog messageLog, SignallingTimeProvider time)
    {
        Core = core;
        Im = im;
        Log = log;
        MessageLog = messageLog;
        Time = time;
    }

    public ImsCore Core { get; }

    public ImServer Im { get; }

    public LineCollector Log { get; }

    public SipMessageLog MessageLog { get; }

    public SignallingTimeProvider Time { get; }

    public static ImFixture Start(ImServerSettings? settings = null)
    {
        var time = new SignallingTimeProvider();
        var log = new LineCollector();
        var messageLog = new SipMessageLog(log, time, ownsWriter: false);
        IReadOnlyList<Subscriber> subscribers =
        [
            .. CoreFixture.DefaultSubscribers(),
            new Subscriber { Impi = "dave@" + Domain, Impus = [DaveImpu], Scheme = AuthenticationScheme.DigestMd5, Password = "dave-secret" },
        ];
        var im = ImServer.Start(settings ?? new ImServerSettings(), Domain, NullLogger.Instance, time);
        var loopback = new IPEndPoint(IPAddress.Loopback, 0);
        var core = ImsCore.Start(new CoreSettings(), new Hss(subscribers, 5), messageLog, NullLogger.Instance, time, loopback, loopback, [im]);
        return new ImFixture(core, im, log, messageLog, time);
    }

    public Task<TestUe> AliceAsync(bool tcp = false) => TestUe.ConnectAsync(tcp ? Core.TcpEndPoint! : Core.UdpEndPoint!, tcp);

    public Task<TestUe> BobAsync(bool tcp = false) =>
        TestUe.ConnectAsync(tcp ? Core.TcpEndPoint! : Core.UdpEndPoint!, tcp, CoreFixture.BobImpi, [CoreFixture.BobImpu], CoreFixture.BobK, CoreFixture.BobOpc);

    public Task<TestUe> CarolAsync(bool tcp = false) =>
        TestUe.ConnectAsync(tcp ? Core.TcpEndPoint! : Core.UdpEndPoint!, tcp, "carol@" + Domain, [CoreFixture.CarolImpu], password: "carol-secret");

    public async ValueTask DisposeAsync()
    {
        await Core.DisposeAsync();
        await Im.DisposeAsync();
        MessageLog.Dispose();
    }

    public static NameAddress ServiceRoute => new(SipUri.Parse("sip:orig@scscf." + Domain + ";lr"));

    /// <summary>A pager MESSAGE from <paramref name="ue"/> through its Service-Route.</summary>
    public static SipMessageBuilder Message(TestUe ue, string to, string text, string? acceptContact = AppRef)
    {
        ue.CallId = Guid.NewGuid().ToString("N");
        var builder = ue.Request(SipMethod.Message, to, to: to).Route(ServiceRoute);
        if (acceptContact is not null)
        {
            builder.Add(SipHeaderId.AcceptContact, acceptContact);
        }

        return builder.Add(SipHeaderId.UserAgent, "IM-client/OMA1.0 test")
            .Body(new MediaType("text", "plain"), Encoding.UTF8.GetBytes(text));
    }

    /// <summary>An in-dialog request from <paramref name="ue"/> after a 2xx (RFC 3261 §12.2.1.1, no route set).</summary>
    public static SipRequest InDialog(TestUe ue, SipMethod method, SipResponse ok, uint cseq) =>
        SipMessageBuilder.Request(method, ok.Headers.Contact[0].Uri!)
            .Via(new ViaValue(ue.Transport, "127.0.0.1", ue.Local.Port, TestUe.Branch(), rport: true))
            .MaxForwards(70)
            .Add(SipHeaderId.From, $"<{ue.Impu}>;tag={ue.Tag}")
            .Add(SipHeaderId.To, ok.Headers.GetValue(SipHeaderId.To)!)
            .CallId(ok.Headers.CallId!)
            .CSeq(cseq, method)
            .BuildRequest();

    public static async Task<string> HttpGetAsync(string url, string method = "GET")
    {
        var uri = new Uri(url);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(uri.Host), uri.Port), TestContext.Current.CancellationToken);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"{method} {uri.PathAndQuery} HTTP/1.1\r\nHost: {uri.Authority}\r\n\r\n"), SocketFlags.None);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TestSupport.Patience);
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
        {
            received.Write(buffer, 0, read);
        }

        return Encoding.UTF8.GetString(received.ToArray());
    }
}

/// <summary>A message an MSRP test endpoint received, and the status it answered.</summary>
internal sealed record ReceivedMsrp(string ContentType, byte[] Body, int Status)
{
    public string Text => Encoding.UTF8.GetString(Body);
}

/// <summary>An MSRP endpoint for a test UE (ImUeAgent.Msrp), collecting what it receives; <c>decide</c> chooses the
/// status of each complete message (a client refusing a part it cannot parse).</summary>
internal sealed class TestMsrp : IAsyncDisposable, IMsrpSessionHandler
{
    private readonly Channel<ReceivedMsrp> _received = Channel.CreateUnbounded<ReceivedMsrp>();
    private readonly Func<string, byte[], int> _decide;

    public TestMsrp(Func<string, byte[], int>? decide = null)
    {
        _decide = decide ?? ((_, _) => 200);
        Endpoint = new MsrpEndpoint(new MsrpEndpointOptions { Host = "127.0.0.1" }, MsrpTcpTransport.CreateConnector());
        Listener = new MsrpTcpListener(Endpoint, new IPEndPoint(IPAddress.Loopback, 0));
        Listener.Start();
        Session = Endpoint.CreateSession(this);
    }

    public MsrpEndpoint Endpoint { get; }

    public MsrpTcpListener Listener { get; }

    public MsrpSession Session { get; }

    public async Task<ReceivedMsrp> ReceiveAsync()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TestSupport.Patience);
        return await _received.Reader.ReadAsync(timeout.Token);
    }

    public MsrpReceiveDecision OnMessageStarted(MsrpSession session, MsrpIncomingMessage message) =>
        MsrpReceiveDecision.Accept(new Sink(this, message.ContentType));

    public async ValueTask DisposeAsync()
    {
        await Listener.DisposeAsync();
        await Endpoint.DisposeAsync();
    }

    private sealed class Sink(TestMsrp owner, string contentType) : IMsrpMessageSink
    {
        private readonly MsrpMemorySink _memory = new(1024 * 1024);

        public ValueTask WriteAsync(long offset, ReadOnlySequence<byte> data, CancellationToken cancellationToken) => _memory.WriteAsync(offset, data, cancellationToken);

        public async ValueTask<int> CompleteAsync(long length, CancellationToken cancellationToken)
        {
            await _memory.CompleteAsync(length, cancellationToken);
            var body = _memory.Data.ToArray();
            var status = owner._decide(contentType, body);
            owner._received.Writer.TryWrite(new ReceivedMsrp(contentType, body, status));
            return status;
        }

        public ValueTask AbortAsync(MsrpIncompleteReason reason, CancellationToken cancellationToken) => _memory.AbortAsync(reason, cancellationToken);
    }
}

/// <summary>The client side of a deferred push (Appendix D.2) at a test UE.</summary>
internal static class PushClient
{
    /// <summary>Takes the push INVITE, answers with an MSRP endpoint, takes <paramref name="sends"/> SENDs, answers the
    /// BYE; returns the INVITE and what arrived.</summary>
    public static async Task<(SipRequest Invite, List<ReceivedMsrp> Sends)> AcceptAsync(TestUe ue, int sends, Func<string, byte[], int>? decide = null,
        MsrpSetup? answerSetup = null)
    {
        var invite = await ue.ReceiveRequestAsync();
        Assert.Equal(SipMethod.Invite, invite.Method);
        await using var msrp = new TestMsrp(decide);
        var offer = MsrpSdp.Read(Encoding.UTF8.GetString(invite.Body.Span));
        string answer;
        MsrpConnectionRole role;
        if (answerSetup is { } forced)
        {
            msrp.Session.SetRemotePath(offer.Path);
            role = forced == MsrpSetup.Active ? MsrpConnectionRole.Active : MsrpConnectionRole.Passive;
            var first = msrp.Session.AdvertisedPath[0];
            answer = MsrpSdp.Build(new MsrpMediaDescription
            {
                Path = msrp.Session.AdvertisedPath, AcceptTypes = ["*"], Setup = forced, Port = first.EffectivePort, ConnectionAddress = first.Host,
            }, "127.0.0.1");
        }
        else
        {
            answer = MsrpSdp.CreateAnswer(msrp.Session, offer, ["*"], null, null, out role);
        }

        var ok = SipMessageBuilder.ResponseTo(invite, 200, toTag: "push" + ue.Tag)
            .Add(SipHeaderId.Contact, $"<{ue.ContactUri}>;+g.oma.sip-im")
            .Body(new MediaType("application", "sdp"), Encoding.UTF8.GetBytes(answer))
            .Build();
        await ue.SendAsync(ok);
        var ack = await ue.ReceiveRequestAsync();
        Assert.Equal(SipMethod.Ack, ack.Method);
        if (role == MsrpConnectionRole.Active)
        {
            await msrp.Session.ConnectAsync(TestContext.Current.CancellationToken);
        }

        var received = new List<ReceivedMsrp>();
        for (var i = 0; i < sends; i++)
        {
            received.Add(await msrp.ReceiveAsync());
        }

        var bye = await ue.ReceiveRequestAsync();
        Assert.Equal(SipMethod.Bye, bye.Method);
        Assert.Equal(invite.Headers.CallId, bye.Headers.CallId);
        await ue.AnswerAsync(bye, 200);
        return (invite, received);
    }

    public static SipRequest ParseSip(byte[] body)
    {
        var parsed = SipParser.Parse(body, SipFraming.Datagram);
        Assert.True(parsed.IsComplete, parsed.ToString());
        return Assert.IsType<SipRequest>(parsed.Message);
    }
}
