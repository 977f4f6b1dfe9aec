// SPDX-License-Identifier: MIT
using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using ImUeAgent.Msrp.Sessions;
using ImUeAgent.Msrp.Transport;

namespace ImUeAgent.Msrp.Tests.Sessions;

/// <summary>
/// One direction of an in-memory link that behaves like a TCP stream where these tests need it: bytes sent after the
/// receiver has gone vanish (as into a socket the peer closed), and the end of the stream (the FIN) can be held back
/// while it is "in flight", so the sender keeps seeing an open connection for as long as the test wants.
/// </summary>
internal sealed class LinkDirection
{
    private readonly Pipe _from = new();
    private readonly Pipe _to = new();
    private readonly TaskCompletionSource _endReached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _bytesLost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _releaseEnd = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public LinkDirection(bool holdEnd)
    {
        if (!holdEnd)
        {
            _releaseEnd.SetResult();
        }

        _ = PumpAsync();
    }

    /// <summary>The sending side's output.</summary>
    public PipeWriter Writer => _from.Writer;

    /// <summary>The receiving side's input.</summary>
    public PipeReader Reader => _to.Reader;

    /// <summary>The sender ended the stream; with a held end, the receiver has not seen it yet.</summary>
    public Task EndReached => _endReached.Task;

    /// <summary>Bytes were sent after the receiver had stopped reading.</summary>
    public Task BytesLost => _bytesLost.Task;

    public void ReleaseEnd() => _releaseEnd.TrySetResult();

    private async Task PumpAsync()
    {
        bool receiverGone = false;
        while (true)
        {
            var read = await _from.Reader.ReadAsync();
            var buffer = read.Buffer;
            if (!buffer.IsEmpty)
            {
                if (!receiverGone)
                {
                    foreach (var segment in buffer)
                    {
                        _to.Writer.Write(segment.Span);
                    }

                    receiverGone = (await _to.Writer.FlushAsync()).IsCompleted;
                }

                if (receiverGone)
                {
                    _bytesLost.TrySetResult();
                }
            }

            _from.Reader.AdvanceTo(buffer.End);
            if (read.IsCompleted)
            {
                break;
            }
        }

        await _from.Reader.CompleteAsync();
        _endReached.TrySetResult();
        await _releaseEnd.Task;
        await _to.Writer.CompleteAsync();
    }
}

/// <summary>Holds the first body bytes of a message until released (the read loop waits inside the sink).</summary>
internal sealed class GateSink : IMsrpMessageSink
{
    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask WriteAsync(long offset, ReadOnlySequence<byte> data, CancellationToken cancellationToken)
    {
        Entered.TrySetResult();
        await Release.Task.WaitAsync(cancellationToken);
    }

    public ValueTask<int> CompleteAsync(long length, CancellationToken cancellationToken) => ValueTask.FromResult(200);

    public ValueTask AbortAsync(MsrpIncompleteReason reason, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}

/// <summary>
/// RFC 4975 §5.4 connection reuse when the peer closes a connection as its last session ends: a new session to the
/// same authority must not be lost to that close.
/// </summary>
public sealed class ConnectionReuseTests
{
    private const string PeerUri = "msrp://peer.example:9000/peersess77;tcp";

    /// <summary>A bound on every wait, so a regression fails the test instead of hanging it (never a sleep).</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Endpoint B (passive) and endpoint A whose connector links to B; the first link holds B's FIN.</summary>
    private sealed class LinkedEndpoints : IAsyncDisposable
    {
        private int _connects;

        public LinkedEndpoints(bool holdFirstFin)
        {
            B = new MsrpEndpoint(new MsrpEndpointOptions { Host = "b.example", Port = 7002 });
            A = new MsrpEndpoint(new MsrpEndpointOptions { Host = "a.example", Port = 7001 }, (_, _) =>
            {
                bool first = Interlocked.Increment(ref _connects) == 1;
                var aToB = new LinkDirection(holdEnd: false);
                var bToA = new LinkDirection(holdEnd: first && holdFirstFin);
                lock (Links)
                {
                    Links.Add((aToB, bToA));
                }

                B.AddConnection(new DuplexPipe(aToB.Reader, bToA.Writer));
                return ValueTask.FromResult<IDuplexPipe>(new DuplexPipe(bToA.Reader, aToB.Writer));
            });
        }

        public MsrpEndpoint A { get; }

        public MsrpEndpoint B { get; }

        public List<(LinkDirection AToB, LinkDirection BToA)> Links { get; } = [];

        public int Connects => Volatile.Read(ref _connects);

        public (MsrpSession A, RecordingHandler HandlerA, MsrpSession B, RecordingHandler HandlerB) CreateSessions()
        {
            var ha = new RecordingHandler();
            var hb = new RecordingHandler();
            var sa = A.CreateSession(ha);
            var sb = B.CreateSession(hb);
            sa.SetRemotePath([sb.LocalUri]);
            sb.SetRemotePath([sa.LocalUri]);
            return (sa, ha, sb, hb);
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var (aToB, bToA) in Links)
            {
                aToB.ReleaseEnd();
                bToA.ReleaseEnd();
            }

            await A.DisposeAsync();
            await B.DisposeAsync();
        }
    }

    [Fact]
    public async Task Session_after_the_peer_closed_the_reused_connection_binds_on_a_new_one()
    {
        await using var net = new LinkedEndpoints(holdFirstFin: true);
        var (a1, _, b1, hb1) = net.CreateSessions();
        await a1.ConnectAsync(Ct).WaitAsync(Bound, Ct);
        await b1.WaitForConnectionAsync(Ct).WaitAsync(Bound, Ct);
        Assert.True((await a1.SendMessageAsync("text/plain", "first session"u8.ToArray(), cancellationToken: Ct)).IsSuccess);
        await hb1.FirstReceived.Task.WaitAsync(Bound, Ct);
        var oldA = a1.Connection!;
        var oldB = b1.Connection!;

        // The next session is negotiated (SDP) before the first one's connection goes away.
        var (a2, ha2, b2, hb2) = net.CreateSessions();

        // Session 1 ends on both sides; B, which did not open the connection, closes it with its last session.
        await a1.DisposeAsync();
        await b1.DisposeAsync();
        await oldB.Completion.WaitAsync(Bound, Ct);
        await net.Links[0].BToA.EndReached.WaitAsync(Bound, Ct);
        Assert.False(oldA.IsClosing); // B's FIN is still on its way: A cannot know yet

        // A reuses the connection (RFC 4975 §5.4); its binding SEND goes into a socket B no longer reads.
        var connect = a2.ConnectAsync(Ct);
        await net.Links[0].AToB.BytesLost.WaitAsync(Bound, Ct);
        Assert.Same(oldA, a2.Connection);
        Assert.False(connect.IsCompleted);

        // The FIN arrives: the SEND is lost without a response, so the session moves to a new connection.
        net.Links[0].BToA.ReleaseEnd();
        await connect.WaitAsync(Bound, Ct);
        Assert.Equal(2, net.Connects);
        Assert.NotSame(oldA, a2.Connection);
        Assert.Same(a2.Connection, Assert.Single(net.A.Connections, c => !c.IsClosing));
        Assert.NotSame(oldB, await b2.WaitForConnectionAsync(Ct).WaitAsync(Bound, Ct));

        var result = await a2.SendMessageAsync("text/plain", "second session"u8.ToArray(), cancellationToken: Ct);
        Assert.True(result.IsSuccess, result.ToString());
        var received = await hb2.FirstReceived.Task.WaitAsync(Bound, Ct);
        Assert.Equal("second session", Encoding.UTF8.GetString(hb2.BodyOf(received.MessageId)));

        // The lost connection was the connect's business, not the session's: the application heard nothing of it.
        await oldA.Completion.WaitAsync(Bound, Ct);
        Assert.Equal(0, ha2.ClosedCount);
        Assert.Same(a2.Connection, Assert.Single(net.A.Connections));
    }

    [Fact]
    public async Task Retry_on_a_new_connection_happens_once()
    {
        await using var net = new LinkedEndpoints(holdFirstFin: true);
        var (a1, _, b1, _) = net.CreateSessions();
        await a1.ConnectAsync(Ct).WaitAsync(Bound, Ct);
        await b1.WaitForConnectionAsync(Ct).WaitAsync(Bound, Ct);
        var oldB = b1.Connection!;
        var (a2, ha2, b2, _) = net.CreateSessions();
        b2.SetRemotePath([MsrpUri.Parse(PeerUri)]); // B answers the new session 481: it is not the session A talks to
        await a1.DisposeAsync();
        await b1.DisposeAsync();
        await oldB.Completion.WaitAsync(Bound, Ct);
        await net.Links[0].BToA.EndReached.WaitAsync(Bound, Ct);

        var connect = a2.ConnectAsync(Ct);
        await net.Links[0].AToB.BytesLost.WaitAsync(Bound, Ct);
        net.Links[0].BToA.ReleaseEnd();

        // The retry gets a response (481): only a connection lost without any response is retried, and only once.
        var error = await Assert.ThrowsAsync<MsrpSessionException>(() => connect.WaitAsync(Bound, Ct));
        Assert.Equal(481, error.StatusCode);
        Assert.Equal(2, net.Connects);
    }

    [Fact]
    public async Task Fresh_connection_lost_before_the_binding_response_fails_the_connect_and_tells_the_handler()
    {
        var (near, far) = DuplexPipe.CreatePair();
        int connects = 0;
        await using var endpoint = new MsrpEndpoint(new MsrpEndpointOptions { Host = "a.example", Port = 1 }, (_, _) =>
        {
            Interlocked.Increment(ref connects);
            return ValueTask.FromResult(near);
        });
        var handler = new RecordingHandler();
        var session = endpoint.CreateSession(handler);
        session.SetRemotePath([MsrpUri.Parse(PeerUri)]);
        var connect = session.ConnectAsync(Ct);
        var peer = new ScriptedPeer(far);
        Assert.Equal("SEND", (await peer.ReadFrameAsync()).Method);
        peer.Close(); // the peer hangs up without answering

        var error = await Assert.ThrowsAsync<MsrpSessionException>(() => connect.WaitAsync(Bound, Ct));
        Assert.Contains("ConnectionLost", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, connects); // a connection opened for this session is not retried
        await session.Connection!.Completion.WaitAsync(Bound, Ct);
        Assert.Equal(1, handler.ClosedCount);
    }

    [Fact]
    public async Task Connection_whose_peer_ended_its_side_is_not_reused()
    {
        var pipes = new List<IDuplexPipe>();
        await using var endpoint = new MsrpEndpoint(new MsrpEndpointOptions { Host = "a.example", Port = 1 }, (_, _) =>
        {
            var (near, far) = DuplexPipe.CreatePair();
            lock (pipes)
            {
                pipes.Add(far);
            }

            return ValueTask.FromResult(near);
        });
        var handler = new RecordingHandler();
        var sink = new GateSink();
        handler.Decide = _ => MsrpReceiveDecision.Accept(sink);
        var session = endpoint.CreateSession(handler, new MsrpSessionOptions { SendBindingSend = false }, sessionId: "alicese1");
        var target = MsrpUri.Parse(PeerUri);
        session.SetRemotePath([target]);
        await session.ConnectAsync(Ct).WaitAsync(Bound, Ct);
        var old = session.Connection!;

        // The peer's last SEND and its FIN arrive in one read: the read loop is still inside the sink (not closed
        // yet) when the next session looks for a connection.
        var send = $"MSRP tidfin01 SEND\r\nTo-Path: {session.LocalUri}\r\nFrom-Path: {PeerUri}\r\nMessage-ID: lastmsg1\r\n" +
            "Byte-Range: 1-4/4\r\nContent-Type: text/plain\r\n\r\nbye!\r\n-------tidfin01$\r\n";
        pipes[0].Output.Write(Encoding.ASCII.GetBytes(send));
        await pipes[0].Output.CompleteAsync();
        await sink.Entered.Task.WaitAsync(Bound, Ct);
        Assert.False(old.IsClosed);
        Assert.True(old.IsClosing);

        var next = await endpoint.GetOrOpenConnectionAsync(target, Ct);
        Assert.NotSame(old, next);
        Assert.Equal(2, pipes.Count);

        sink.Release.SetResult();
        await old.Completion.WaitAsync(Bound, Ct);
        Assert.Equal("lastmsg1", (await handler.FirstReceived.Task.WaitAsync(Bound, Ct)).MessageId); // what came with the FIN still counts
    }

    [Fact]
    public async Task Back_to_back_sessions_over_tcp_survive_the_peer_closing_each_connection()
    {
        var connector = MsrpTcpTransport.CreateConnector();
        await using var a = new MsrpEndpoint(new MsrpEndpointOptions { Host = "127.0.0.1" }, connector);
        await using var b = new MsrpEndpoint(new MsrpEndpointOptions { Host = "127.0.0.1" }, connector);
        await using var listener = new MsrpTcpListener(b, new IPEndPoint(IPAddress.Loopback, 0));
        listener.Start();
        for (int round = 0; round < 20; round++)
        {
            var hb = new RecordingHandler();
            var sa = a.CreateSession(new RecordingHandler());
            var sb = b.CreateSession(hb);
            sa.SetRemotePath([sb.LocalUri]);
            sb.SetRemotePath([sa.LocalUri]);
            await sa.ConnectAsync(Ct).WaitAsync(Bound, Ct);
            await sb.WaitForConnectionAsync(Ct).WaitAsync(Bound, Ct);
            var result = await sa.SendMessageAsync("text/plain", Encoding.UTF8.GetBytes($"round {round}"), cancellationToken: Ct);
            Assert.True(result.IsSuccess, $"round {round}: {result}");
            await hb.FirstReceived.Task.WaitAsync(Bound, Ct);

            // Session ends; B closes the connection, and the next round starts at once.
            await sa.DisposeAsync();
            await sb.DisposeAsync();
        }
    }
}
