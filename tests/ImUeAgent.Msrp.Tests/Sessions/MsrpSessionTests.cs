// SPDX-License-Identifier: MIT
using System.Collections.Concurrent;
using System.Text;
using ImUeAgent.Msrp.Framing;
using ImUeAgent.Msrp.Sessions;
using Microsoft.Extensions.Time.Testing;

namespace ImUeAgent.Msrp.Tests.Sessions;

public sealed class MsrpSessionTests
{
    private const string PeerUri = "msrp://peer.example:9000/peersess77;tcp";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static byte[] Bytes(int n, int seed = 1)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    [Fact]
    public async Task Small_message_is_delivered_with_type_and_body()
    {
        await using var pair = await SessionPair.CreateAsync();
        var result = await pair.A.SendMessageAsync("text/plain", "Hello Bob"u8.ToArray(), cancellationToken: Ct);
        Assert.Equal(MsrpSendOutcome.Delivered, result.Outcome);
        Assert.Equal(200, result.StatusCode);
        var received = await pair.HandlerB.FirstReceived.Task.WaitAsync(Ct);
        Assert.Equal("text/plain", received.ContentType);
        Assert.Equal(result.MessageId, received.MessageId);
        Assert.Equal("Hello Bob", Encoding.UTF8.GetString(pair.HandlerB.BodyOf(received.MessageId)));
        Assert.Same(pair.B.Connection, pair.EndpointB.Connections.Single());
    }

    [Fact]
    public async Task Both_directions_work_on_one_connection()
    {
        await using var pair = await SessionPair.CreateAsync();
        var r1 = await pair.B.SendMessageAsync("text/plain", "from B"u8.ToArray(), cancellationToken: Ct);
        Assert.True(r1.IsSuccess);
        var got = await pair.HandlerA.FirstReceived.Task.WaitAsync(Ct);
        Assert.Equal("from B", Encoding.UTF8.GetString(pair.HandlerA.BodyOf(got.MessageId)));
    }

    [Theory]
    [InlineData(100_000, 10_000)]
    [InlineData(5000, 1000)] // small chunks: exact Byte-Range ends, not interruptible
    [InlineData(2048, 2048)]
    [InlineData(0, 1000)]
    public async Task Long_message_is_chunked_and_reassembled(int size, int chunkSize)
    {
        await using var pair = await SessionPair.CreateAsync(new MsrpSessionOptions { ChunkSize = chunkSize, WritePieceSize = 4096 });
        var body = Bytes(size);
        var result = await pair.A.SendMessageAsync("application/octet-stream", body, cancellationToken: Ct);
        Assert.True(result.IsSuccess, result.ToString());
        Assert.True(result.Chunks >= Math.Max(1, (size + chunkSize - 1) / chunkSize), $"chunks {result.Chunks}");
        var received = await pair.HandlerB.FirstReceived.Task.WaitAsync(Ct);
        Assert.Equal(size, received.TotalLength);
        Assert.Equal(body, pair.HandlerB.BodyOf(received.MessageId));
    }

    [Fact]
    public async Task Stream_of_unknown_length_uses_star_totals()
    {
        await using var pair = await SessionPair.CreateAsync(new MsrpSessionOptions { ChunkSize = 8192 });
        var body = Bytes(30_000);
        var result = await pair.A.SendMessageAsync("application/octet-stream", new MemoryStream(body), length: null, cancellationToken: Ct);
        Assert.True(result.IsSuccess, result.ToString());
        var received = await pair.HandlerB.FirstReceived.Task.WaitAsync(Ct);
        Assert.Equal(body, pair.HandlerB.BodyOf(received.MessageId));
    }

    [Fact]
    public async Task Two_messages_interleave_between_chunks()
    {
        var journal = new ConcurrentQueue<(string Tag, long Offset, long Length)>();
        var options = new MsrpSessionOptions { ChunkSize = 1 << 20, WritePieceSize = 4096 };
        await using var pair = await SessionPair.CreateAsync(options);
        pair.HandlerB.Decide = m => MsrpReceiveDecision.Accept(new JournalSink(m.MessageId, journal));
        var gate = new SemaphoreSlim(0);
        var big1 = pair.A.SendMessageAsync("application/octet-stream", new GatedStream(Bytes(600_000, 1), gate), 600_000, new MsrpSendOptions { MessageId = "first-msg" }, Ct);
        gate.Release(2); // the first message holds the connection, mid-chunk, waiting for its source
        var big2 = pair.A.SendMessageAsync("application/octet-stream", Bytes(600_000, 2), new MsrpSendOptions { MessageId = "second-msg" }, Ct);
        gate.Release(100_000);
        var results = await Task.WhenAll(big1, big2).WaitAsync(Ct);
        Assert.All(results, r => Assert.True(r.IsSuccess, r.ToString()));
        // One 1 MiB chunk would carry each message whole; interruption made several chunks of both.
        Assert.True(results[0].Chunks > 1 || results[1].Chunks > 1, $"{results[0].Chunks} / {results[1].Chunks}");
        var order = journal.Select(j => j.Tag).ToList();
        int firstOfSecond = order.IndexOf("second-msg");
        int lastOfFirst = order.LastIndexOf("first-msg");
        Assert.True(firstOfSecond < lastOfFirst, "the second message should start before the first ends");
        Assert.Equal(600_000, journal.Where(j => j.Tag == "first-msg").Sum(j => j.Length));
    }

    [Fact]
    public async Task Success_report_comes_back_with_the_byte_range()
    {
        await using var pair = await SessionPair.CreateAsync(new MsrpSessionOptions { ChunkSize = 4000 });
        var result = await pair.A.SendMessageAsync("text/plain", Bytes(10_000), new MsrpSendOptions { SuccessReport = true }, Ct);
        Assert.True(result.IsSuccess);
        var report = await pair.HandlerA.FirstReport.Task.WaitAsync(Ct);
        Assert.Equal(result.MessageId, report.MessageId);
        Assert.Equal(200, report.StatusCode);
        Assert.Equal(ByteRange.Whole(10_000), report.ByteRange);
    }

    [Fact]
    public async Task Message_over_the_limit_gets_413_sender_stops_and_session_lives()
    {
        await using var pair = await SessionPair.CreateAsync(
            new MsrpSessionOptions { ChunkSize = 4096 },
            new MsrpSessionOptions { MaxMessageSize = 20_000 });
        // Unknown length: the receiver only notices while data flows.
        var big = await pair.A.SendMessageAsync("application/octet-stream", new MemoryStream(Bytes(2_000_000)), length: null, cancellationToken: Ct);
        Assert.Equal(MsrpSendOutcome.Rejected, big.Outcome);
        Assert.Equal(413, big.StatusCode);
        Assert.True(big.BytesSent < 2_000_000, $"sender kept going: {big.BytesSent}");
        Assert.Equal(MsrpIncompleteReason.TooLarge, await pair.HandlerB.FirstIncomplete.Task.WaitAsync(Ct));

        var declared = await pair.A.SendMessageAsync("application/octet-stream", Bytes(30_000), cancellationToken: Ct);
        Assert.Equal(413, declared.StatusCode);

        var small = await pair.A.SendMessageAsync("text/plain", "still here"u8.ToArray(), cancellationToken: Ct);
        Assert.True(small.IsSuccess);
    }

    [Fact]
    public async Task Unaccepted_type_gets_415()
    {
        await using var pair = await SessionPair.CreateAsync(null, new MsrpSessionOptions { AcceptTypes = ["text/plain", "message/*"] });
        Assert.Equal(415, (await pair.A.SendMessageAsync("image/png", Bytes(10), cancellationToken: Ct)).StatusCode);
        Assert.True((await pair.A.SendMessageAsync("message/cpim", Bytes(10), cancellationToken: Ct)).IsSuccess);
        Assert.True((await pair.A.SendMessageAsync("text/plain; charset=utf-8", Bytes(10), cancellationToken: Ct)).IsSuccess);
    }

    [Fact]
    public async Task Application_rejection_status_is_sent()
    {
        await using var pair = await SessionPair.CreateAsync();
        pair.HandlerB.Decide = _ => MsrpReceiveDecision.Reject(403);
        var r = await pair.A.SendMessageAsync("text/plain", Bytes(10), cancellationToken: Ct);
        Assert.Equal(MsrpSendOutcome.Rejected, r.Outcome);
        Assert.Equal(403, r.StatusCode);
    }

    [Fact]
    public async Task Sink_status_is_the_final_response()
    {
        await using var pair = await SessionPair.CreateAsync();
        var sink = new FailingCompleteSink();
        pair.HandlerB.Decide = _ => MsrpReceiveDecision.Accept(sink);
        var r = await pair.A.SendMessageAsync("text/plain", Bytes(10), cancellationToken: Ct);
        Assert.Equal(403, r.StatusCode);
    }

    [Fact]
    public async Task Transaction_timeout_is_408()
    {
        var time = new FakeTimeProvider();
        var (near, far) = DuplexPipe.CreatePair();
        await using var endpoint = new MsrpEndpoint(new MsrpEndpointOptions { Host = "a.example", Port = 1 }, (_, _) => ValueTask.FromResult(near), timeProvider: time);
        var session = endpoint.CreateSession(new RecordingHandler(), new MsrpSessionOptions { SendBindingSend = false });
        session.SetRemotePath([MsrpUri.Parse(PeerUri)]);
        await session.ConnectAsync(Ct);
        var peer = new ScriptedPeer(far);
        var send = session.SendMessageAsync("text/plain", Bytes(10), cancellationToken: Ct);
        var frame = await peer.ReadFrameAsync(); // the peer stays silent
        Assert.Equal("SEND", frame.Method);
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.False(send.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        var result = await send.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(MsrpSendOutcome.TimedOut, result.Outcome);
        Assert.Equal(408, result.StatusCode);
    }

    [Fact]
    public async Task Failure_report_partial_and_no_need_no_response()
    {
        var time = new FakeTimeProvider();
        var (near, far) = DuplexPipe.CreatePair();
        await using var endpoint = new MsrpEndpoint(new MsrpEndpointOptions { Host = "a.example", Port = 1 }, (_, _) => ValueTask.FromResult(near), timeProvider: time);
        var session = endpoint.CreateSession(new RecordingHandler(), new MsrpSessionOptions { SendBindingSend = false });
        session.SetRemotePath([MsrpUri.Parse(PeerUri)]);
        await session.ConnectAsync(Ct);
        var peer = new ScriptedPeer(far);
        var partial = await session.SendMessageAsync("text/plain", Bytes(10), new MsrpSendOptions { FailureReport = MsrpFailureReport.Partial }, Ct);
        var none = await session.SendMessageAsync("text/plain", Bytes(10), new MsrpSendOptions { FailureReport = MsrpFailureReport.No }, Ct);
        Assert.True(partial.IsSuccess);
        Assert.True(none.IsSuccess);
        Assert.Contains("Failure-Report: partial\r\n", (await peer.ReadFrameAsync()).RawHead, StringComparison.Ordinal);
        Assert.Contains("Failure-Report: no\r\n", (await peer.ReadFrameAsync()).RawHead, StringComparison.Ordinal);
        time.Advance(TimeSpan.FromMinutes(1)); // silence is fine
    }

    [Fact]
    public async Task Partial_failure_report_still_hears_errors()
    {
        var (near, far) = DuplexPipe.CreatePair();
        await using var endpoint = new MsrpEndpoint(new MsrpEndpointOptions { Host = "a.example", Port = 1 }, (_, _) => ValueTask.FromResult(near));
        var handler = new RecordingHandler();
        var session = endpoint.CreateSession(handler, new MsrpSessionOptions { SendBindingSend = false, ChunkSize = 1000 });
        session.SetRemotePath([MsrpUri.Parse(PeerUri)]);
        await session.ConnectAsync(Ct);
        var peer = new ScriptedPeer(far);
        var gate = new SemaphoreSlim(0);
        var send = session.SendMessageAsync("text/plain", new GatedStream(Bytes(100_000), gate), 100_000, new MsrpSendOptions { FailureReport = MsrpFailureReport.Partial }, Ct);
        gate.Release(3);
        var first = await peer.ReadFrameAsync();
        await peer.SendAsync($"MSRP {first.TransactionId} 413 Stop\r\nTo-Path: {session.LocalUri}\r\nFrom-Path: {PeerUri}\r\n-------{first.TransactionId}$\r\n");
        // A SEND behind the response: once the application sees it, the 413 has been processed too (same read loop).
        await peer.SendAsync(Send("probe001", session.LocalUri.ToString(), PeerUri, "probe001", "1-1/1", "p", extra: "Failure-Report: no\r\n"));
        await handler.FirstReceived.Task.WaitAsync(Ct);
        gate.Release(1000);
        var drain = Task.Run(async () =>
        {
            while (!send.IsCompleted)
            {
                await peer.ReadFrameAsync();
            }
        }, Ct);
        var result = await send.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        Assert.Equal(MsrpSendOutcome.Rejected, result.Outcome);
        Assert.Equal(413, result.StatusCode);
        Assert.InRange(result.BytesSent, 1000, 4000); // stopped at once, not after 100 KB
    }

    private static string Send(string tid, string to, string from, string messageId, string? byteRange, string body, char flag = '$',
        string contentType = "text/plain", string extra = "")
    {
        var sb = new StringBuilder();
        sb.Append($"MSRP {tid} SEND\r\nTo-Path: {to}\r\nFrom-Path: {from}\r\nMessage-ID: {messageId}\r\n{extra}");
        if (byteRange is not null)
        {
            sb.Append($"Byte-Range: {byteRange}\r\n");
        }

        sb.Append($"Content-Type: {contentType}\r\n\r\n{body}\r\n-------{tid}{flag}\r\n");
        return sb.ToString();
    }

    private static async Task<(MsrpEndpoint Endpoint, MsrpSession Session, RecordingHandler Handler, ScriptedPeer Peer, MsrpConnection Connection)> PassiveAsync(MsrpSessionOptions? options = null)
    {
        var endpoint = new MsrpEndpoint(new MsrpEndpointOptions { Host = "b.example", Port = 7002 });
        var handler = new RecordingHandler();
        var session = endpoint.CreateSession(handler, options, sessionId: "bobsess1");
        session.SetRemotePath([MsrpUri.Parse(PeerUri)]);
        var (near, far) = DuplexPipe.CreatePair();
        var connection = endpoint.AddConnection(near);
        await Task.Yield();
        return (endpoint, session, handler, new ScriptedPeer(far), connection);
    }

    private const string Bob = "msrp://b.example:7002/bobsess1;tcp";

    [Fact]
    public async Task Out_of_order_and_overlapping_chunks_reassemble()
    {
        var (endpoint, session, handler, peer, _) = await PassiveAsync();
        await using var _e = endpoint;
        await peer.SendAsync(Send("tid00003", Bob, PeerUri, "msgooo1", "11-20/20", "KLMNOPQRST"));
        Assert.Equal(200, (await peer.ReadFrameAsync()).StatusCode);
        Assert.Empty(handler.Received);
        await peer.SendAsync(Send("tid00001", Bob, PeerUri, "msgooo1", "1-6/20", "ABCDEF", '+'));
        Assert.Equal(200, (await peer.ReadFrameAsync()).StatusCode);
        Assert.Empty(handler.Received);
        await peer.SendAsync(Send("tid00002", Bob, PeerUri, "msgooo1", "5-12/20", "EFGHIJKL", '+')); // overlaps both sides
        var last = await peer.ReadFrameAsync();
        Assert.Equal("tid00002", last.TransactionId);
        Assert.Equal(200, last.StatusCode);
        var message = await handler.FirstReceived.Task.WaitAsync(Ct);
        Assert.Equal("ABCDEFGHIJKLMNOPQRST", Encoding.ASCII.GetString(handler.BodyOf("msgooo1")));
        Assert.Equal(20, message.BytesReceived);
        Assert.Equal("msrp://peer.example:9000/peersess77;tcp", last.ToPath);
        Assert.Equal(Bob, last.FromPath);
        _ = session;
    }

    [Fact]
    public async Task Star_totals_complete_on_the_last_chunk()
    {
        var (endpoint, _, handler, peer, _) = await PassiveAsync();
        await using var _e = endpoint;
        await peer.SendAsync(Send("tid00001", Bob, PeerUri, "msgstar1", "1-*/*", "abc", '+'));
        await peer.SendAsync(Send("tid00002", Bob, PeerUri, "msgstar1", "4-*/*", "defg", '$'));
        await peer.ReadFrameAsync();
        await peer.ReadFrameAsync();
        var m = await handler.FirstReceived.Task.WaitAsync(Ct);
        Assert.Equal(7, m.TotalLength);
        Assert.Equal("abcdefg", Encoding.ASCII.GetString(handler.BodyOf("msgstar1")));
    }

    [Fact]
    public async Task Aborted_message_is_reported_incomplete()
    {
        var (endpoint, _, handler, peer, _) = await PassiveAsync();
        await using var _e = endpoint;
        await peer.SendAsync(Send("tid00001", Bob, PeerUri, "msgabrt1", "1-*/100", "abc", '#'));
        Assert.Equal(200, (await peer.ReadFrameAsync()).StatusCode);
        Assert.Equal(MsrpIncompleteReason.Aborted, await handler.FirstIncomplete.Task.WaitAsync(Ct));
    }

    [Theory]
    [InlineData("msrp://b.example:7002/nosuchsession;tcp", PeerUri, 481)]
    [InlineData(Bob, "msrp://peer.example:9000/otherpeer;tcp", 481)]
    [InlineData("msrp://b.example:7002;tcp", PeerUri, 481)]
    public async Task Wrong_paths_get_481(string to, string from, int expected)
    {
        var (endpoint, _, _, peer, _) = await PassiveAsync();
        await using var _e = endpoint;
        await peer.SendAsync(Send("tid00001", to, from, "msg00001", "1-3/3", "abc"));
        var r = await peer.ReadFrameAsync();
        Assert.Equal(expected, r.StatusCode);
        Assert.Equal(from, r.ToPath);
    }

    [Theory]
    [InlineData("MSRP tid00001 SEND\r\nTo-Path: {0}\r\nFrom-Path: {1}\r\nMessage-ID: m0001\r\nByte-Range: 9-2/3\r\nContent-Type: text/plain\r\n\r\nabc\r\n-------tid00001$\r\n", 400)]
    [InlineData("MSRP tid00001 SEND\r\nTo-Path: {0}\r\nFrom-Path: {1}\r\nContent-Type: text/plain\r\n\r\nabc\r\n-------tid00001$\r\n", 400)]
    [InlineData("MSRP tid00001 FROB\r\nTo-Path: {0}\r\nFrom-Path: {1}\r\n-------tid00001$\r\n", 501)]
    [InlineData("MSRP tid00001 AUTH\r\nTo-Path: {0}\r\nFrom-Path: {1}\r\n-------tid00001$\r\n", 403)]
    [InlineData("MSRP tid00001 SEND\r\nFrom-Path: {1}\r\nTo-Path: {0}\r\nMessage-ID: m0001\r\n-------tid00001$\r\n", 400)]
    public async Task Bad_requests_get_their_status(string template, int expected)
    {
        var (endpoint, _, _, peer, _) = await PassiveAsync();
        await using var _e = endpoint;
        await peer.SendAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, Bob, PeerUri));
        Assert.Equal(expected, (await peer.ReadFrameAsync()).StatusCode);
    }

    [Fact]
    public async Task Inconsistent_totals_get_423()
    {
        var (endpoint, _, _, peer, _) = await PassiveAsync();
        await using var _e = endpoint;
        await peer.SendAsync(Send("tid00001", Bob, PeerUri, "msgtot01", "1-3/10", "abc", '+'));
        Assert.Equal(200, (await peer.ReadFrameAsync()).StatusCode);
        await peer.SendAsync(Send("tid00002", Bob, PeerUri, "msgtot01", "4-6/12", "def", '+'));
        Assert.Equal(423, (await peer.ReadFrameAsync()).StatusCode);
    }

    [Fact]
    public async Task Report_is_never_answered_and_failure_report_no_is_silent()
    {
        var (endpoint, _, handler, peer, _) = await PassiveAsync();
        await using var _e = endpoint;
        await peer.SendAsync($"MSRP rep00001 REPORT\r\nTo-Path: {Bob}\r\nFrom-Path: {PeerUri}\r\nMessage-ID: m0001\r\nByte-Range: 1-3/3\r\nStatus: 000 200 OK\r\n-------rep00001$\r\n");
        await peer.SendAsync($"MSRP rep00002 REPORT\r\nTo-Path: msrp://b.example:7002/unknown;tcp\r\nFrom-Path: {PeerUri}\r\nMessage-ID: m0001\r\nStatus: 000 200 OK\r\n-------rep00002$\r\n");
        await peer.SendAsync(Send("tid00009", Bob, PeerUri, "msgsil01", "1-3/3", "abc", extra: "Failure-Report: no\r\n"));
        await peer.SendAsync(Send("tid00010", Bob, PeerUri, "msgsil02", "1-3/3", "abc", extra: "Failure-Report: partial\r\n"));
        await peer.SendAsync(Send("tid00011", Bob, PeerUri, "msgsil03", "1-3/3", "abc"));
        var only = await peer.ReadFrameAsync();
        Assert.Equal("tid00011", only.TransactionId); // nothing before it: no answer to REPORTs, 'no' or successful 'partial'
        var report = await handler.FirstReport.Task.WaitAsync(Ct);
        Assert.Equal("m0001", report.MessageId);
        Assert.Equal(3, handler.Received.Count);
    }

    [Fact]
    public async Task Session_bound_to_another_connection_gets_506()
    {
        var (endpoint, _, _, peer, _) = await PassiveAsync();
        await using var _e = endpoint;
        await peer.SendAsync(Send("tid00001", Bob, PeerUri, "msg00001", "1-3/3", "abc"));
        Assert.Equal(200, (await peer.ReadFrameAsync()).StatusCode);
        var (near2, far2) = DuplexPipe.CreatePair();
        endpoint.AddConnection(near2);
        var peer2 = new ScriptedPeer(far2);
        await peer2.SendAsync(Send("tid00002", Bob, PeerUri, "msg00002", "1-3/3", "abc"));
        Assert.Equal(506, (await peer2.ReadFrameAsync()).StatusCode);
    }

    [Fact]
    public async Task Peer_closing_mid_chunk_reports_an_incomplete_message()
    {
        var (endpoint, session, handler, peer, connection) = await PassiveAsync();
        await using var _e = endpoint;
        var text = Send("tid00001", Bob, PeerUri, "msgcut01", "1-100/100", new string('x', 100));
        await peer.SendAsync(text[..(text.Length - 40)]);
        peer.Close();
        Assert.Equal(MsrpIncompleteReason.ConnectionLost, await handler.FirstIncomplete.Task.WaitAsync(Ct));
        await connection.Completion.WaitAsync(Ct);
        Assert.Empty(handler.Received);
        _ = session;
    }

    [Fact]
    public async Task Garbage_closes_the_connection_without_crashing()
    {
        var (endpoint, _, handler, peer, connection) = await PassiveAsync();
        await using var _e = endpoint;
        await peer.SendAsync(Bytes(5000, 9));
        await connection.Completion.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.True(connection.IsClosed);
        Assert.Empty(handler.Received);
    }

    [Fact]
    public async Task Idle_connection_without_sessions_closes()
    {
        var time = new FakeTimeProvider();
        await using var endpoint = new MsrpEndpoint(new MsrpEndpointOptions { Host = "b.example", Port = 1, Connection = new MsrpConnectionOptions { IdleTimeout = TimeSpan.FromSeconds(60) } }, timeProvider: time);
        var (near, _) = DuplexPipe.CreatePair();
        var connection = endpoint.AddConnection(near);
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.False(connection.IsClosed);
        time.Advance(TimeSpan.FromSeconds(2));
        await connection.Completion.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Empty(endpoint.Connections);
    }

    [Fact]
    public async Task Connection_to_the_same_authority_is_reused()
    {
        int connects = 0;
        MsrpEndpoint? b = null;
        await using var a = new MsrpEndpoint(new MsrpEndpointOptions { Host = "a.example", Port = 1 }, (_, _) =>
        {
            Interlocked.Increment(ref connects);
            var (x, y) = DuplexPipe.CreatePair();
            b!.AddConnection(y);
            return ValueTask.FromResult(x);
        });
        await using var bEndpoint = b = new MsrpEndpoint(new MsrpEndpointOptions { Host = "b.example", Port = 2 });
        var b1 = b.CreateSession(new RecordingHandler());
        var b2 = b.CreateSession(new RecordingHandler());
        var a1 = a.CreateSession(new RecordingHandler());
        var a2 = a.CreateSession(new RecordingHandler());
        a1.SetRemotePath([b1.LocalUri]);
        a2.SetRemotePath([b2.LocalUri]);
        b1.SetRemotePath([a1.LocalUri]);
        b2.SetRemotePath([a2.LocalUri]);
        await a1.ConnectAsync(Ct);
        await a2.ConnectAsync(Ct);
        Assert.Equal(1, connects);
        Assert.Same(a1.Connection, a2.Connection);
        Assert.True((await a2.SendMessageAsync("text/plain", "x"u8.ToArray(), cancellationToken: Ct)).IsSuccess);
        Assert.Same(b1.Connection, b2.Connection);
    }

    private sealed class FailingCompleteSink : IMsrpMessageSink
    {
        public ValueTask WriteAsync(long offset, System.Buffers.ReadOnlySequence<byte> data, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask<int> CompleteAsync(long length, CancellationToken cancellationToken) => ValueTask.FromResult(403);

        public ValueTask AbortAsync(MsrpIncompleteReason reason, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
