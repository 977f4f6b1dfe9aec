// SPDX-License-Identifier: MIT
using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Transport;
using Microsoft.Extensions.Time.Testing;

namespace ImUeAgent.Sip.Tests.Transport;

public sealed class SipStreamConnectionTests
{
    private static readonly IPEndPoint Local = new(IPAddress.Loopback, 5060);
    private static readonly SipTransportAddress Peer = new(SipTransportKind.Tcp, new IPEndPoint(IPAddress.Loopback, 40000));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Message =
        "MESSAGE sip:ue@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:40000;branch=z9hG4bK-1\r\nMax-Forwards: 70\r\n" +
        "From: <sip:a@example.com>;tag=1\r\nTo: <sip:ue@example.com>\r\nCall-ID: c1\r\nCSeq: 1 MESSAGE\r\nContent-Length: 5\r\n\r\nhello";

    /// <summary>The connection under test reads from <c>toUs</c> and writes to <c>fromUs</c>.</summary>
    private sealed class Wire
    {
        public Pipe ToUs { get; } = new();

        public Pipe FromUs { get; } = new();

        public IDuplexPipe Side => new Duplex(ToUs.Reader, FromUs.Writer);

        public async Task WriteAsync(string text)
        {
            await ToUs.Writer.WriteAsync(Encoding.UTF8.GetBytes(text), Ct);
        }

        public async Task<string> ReadAsync(int atLeast)
        {
            while (true)
            {
                ReadResult r = await FromUs.Reader.ReadAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Ct);
                if (r.Buffer.Length >= atLeast || r.IsCompleted)
                {
                    string s = Encoding.UTF8.GetString(r.Buffer.ToArray());
                    FromUs.Reader.AdvanceTo(r.Buffer.End);
                    return s;
                }

                FromUs.Reader.AdvanceTo(r.Buffer.Start, r.Buffer.End);
            }
        }

        private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
        {
            public PipeReader Input => input;

            public PipeWriter Output => output;
        }
    }

    [Fact]
    public async Task FramesMessagesSplitAtEveryPoint()
    {
        var wire = new Wire();
        var inbound = new InboundCollector();
        var c = new SipStreamConnection(wire.Side, Peer, Local);
        c.Start(inbound.Inbound);
        string two = Message + Message;
        for (int i = 0; i < two.Length; i += 7)
        {
            await wire.WriteAsync(two.Substring(i, Math.Min(7, two.Length - i)));
        }

        for (int i = 0; i < 2; i++)
        {
            ReceivedSipMessage m = await inbound.NextAsync();
            Assert.Equal("hello", Encoding.UTF8.GetString(m.Message.Body.Span));
            Assert.Equal(Peer, m.Source);
        }

        await c.DisposeAsync();
        Assert.Equal(SipConnectionCloseReason.LocalClose, await c.Closed);
    }

    [Fact]
    public async Task PeerClosingMidMessageIsItsOwnReason()
    {
        var wire = new Wire();
        var c = new SipStreamConnection(wire.Side, Peer, Local);
        c.Start(new InboundCollector().Inbound);
        await wire.WriteAsync(Message[..60]);
        await wire.ToUs.Writer.CompleteAsync();
        Assert.Equal(SipConnectionCloseReason.PeerClosedMidMessage, await c.Closed.WaitAsync(TimeSpan.FromSeconds(10), Ct));
    }

    [Fact]
    public async Task PeerClosingBetweenMessagesIsANormalClose()
    {
        var wire = new Wire();
        var inbound = new InboundCollector();
        var c = new SipStreamConnection(wire.Side, Peer, Local);
        c.Start(inbound.Inbound);
        await wire.WriteAsync(Message);
        await inbound.NextAsync();
        await wire.ToUs.Writer.CompleteAsync();
        Assert.Equal(SipConnectionCloseReason.PeerClosed, await c.Closed.WaitAsync(TimeSpan.FromSeconds(10), Ct));
    }

    [Fact]
    public async Task UnframableStreamIsClosed()
    {
        var wire = new Wire();
        var c = new SipStreamConnection(wire.Side, Peer, Local);
        c.Start(new InboundCollector().Inbound);
        await wire.WriteAsync("MESSAGE sip:ue@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK-1\r\nCall-ID: x\r\n\r\n");
        Assert.Equal(SipConnectionCloseReason.FramingError, await c.Closed.WaitAsync(TimeSpan.FromSeconds(10), Ct));
    }

    [Fact]
    public async Task MalformedRequestGets400NamingTheProblemAndTheStreamContinues()
    {
        var wire = new Wire();
        var inbound = new InboundCollector();
        var c = new SipStreamConnection(wire.Side, Peer, Local);
        c.Start(inbound.Inbound);
        await wire.WriteAsync(Message.Replace("CSeq: 1 MESSAGE", "CSeq: one MESSAGE", StringComparison.Ordinal) + Message);
        string reply = await wire.ReadAsync(20);
        Assert.StartsWith("SIP/2.0 400 Bad Request - Malformed CSeq\r\n", reply, StringComparison.Ordinal);
        Assert.Contains("Call-ID: c1", reply, StringComparison.Ordinal);
        Assert.Equal("c1", (await inbound.NextAsync()).Message.Headers.CallId);
        Assert.Equal(1, inbound.Inbound.RejectedRequests);
    }

    [Fact]
    public async Task MissingRequiredHeaderGets400()
    {
        var wire = new Wire();
        var c = new SipStreamConnection(wire.Side, Peer, Local);
        c.Start(new InboundCollector().Inbound);
        await wire.WriteAsync(Message.Replace("Call-ID: c1\r\n", string.Empty, StringComparison.Ordinal));
        Assert.StartsWith("SIP/2.0 400 Bad Request - Missing Call-ID\r\n", await wire.ReadAsync(20), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MalformedResponseIsDroppedWithoutAnswer()
    {
        var wire = new Wire();
        var inbound = new InboundCollector();
        var c = new SipStreamConnection(wire.Side, Peer, Local);
        c.Start(inbound.Inbound);
        string bad = "SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK-1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: x MESSAGE\r\nContent-Length: 0\r\n\r\n";
        await wire.WriteAsync(bad + bad + Message);
        Assert.Equal(SipMethod.Message, ((SipRequest)(await inbound.NextAsync()).Message).Method);
        Assert.Equal(2, inbound.Inbound.DroppedResponses);
        await c.DisposeAsync();
        Assert.Equal(string.Empty, await wire.ReadAsync(1));
    }

    [Fact]
    public async Task DoubleCrlfPingIsAnsweredWithASingleCrlf()
    {
        var wire = new Wire();
        var c = new SipStreamConnection(wire.Side, Peer, Local);
        c.Start(new InboundCollector().Inbound);
        await wire.WriteAsync("\r\n");
        await wire.WriteAsync("\r\n");   // a ping split across reads
        Assert.Equal("\r\n", await wire.ReadAsync(2));
        Assert.Equal(1, c.PingsReceived);
    }

    [Fact]
    public async Task PingWithoutPongClosesAfterTheTimeout()
    {
        var time = new FakeTimeProvider();
        var wire = new Wire();
        var c = new SipStreamConnection(wire.Side, Peer, Local, keepAlive: new SipKeepAliveOptions { PingInterval = TimeSpan.FromSeconds(30) }, timeProvider: time);
        c.Start(new InboundCollector().Inbound);
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal("\r\n\r\n", await wire.ReadAsync(4));
        time.Advance(TimeSpan.FromSeconds(9));
        Assert.False(c.Closed.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(SipConnectionCloseReason.KeepAliveTimeout, await c.Closed.WaitAsync(TimeSpan.FromSeconds(10), Ct));
    }

    [Fact]
    public async Task PongKeepsTheConnection()
    {
        var time = new FakeTimeProvider();
        var wire = new Wire();
        var inbound = new InboundCollector();
        var c = new SipStreamConnection(wire.Side, Peer, Local, keepAlive: new SipKeepAliveOptions { PingInterval = TimeSpan.FromSeconds(30) }, timeProvider: time);
        c.Start(inbound.Inbound);
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal("\r\n\r\n", await wire.ReadAsync(4));
        await wire.WriteAsync("\r\n" + Message);
        await inbound.NextAsync();   // read in order: the pong was handled first
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.False(c.Closed.IsCompleted);
        Assert.Equal(1, c.PongsReceived);
        Assert.Equal(0, c.PingsReceived);
    }
}
