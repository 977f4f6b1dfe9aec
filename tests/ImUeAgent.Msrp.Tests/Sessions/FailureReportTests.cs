// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Msrp.Framing;
using ImUeAgent.Msrp.Sessions;
using Microsoft.Extensions.Time.Testing;

namespace ImUeAgent.Msrp.Tests.Sessions;

/// <summary>
/// RFC 4975 §7.1.2 failure REPORTs: the receiver gives up a message whose chunks stop coming (inactivity timeout on
/// the session's TimeProvider) and reports 408 when Failure-Report allows; the sender ends a message on a failure
/// REPORT or a transaction timeout and tells the application with the status code.
/// </summary>
public sealed class FailureReportTests
{
    private const string PeerUri = "msrp://peer.example:9000/peersess77;tcp";
    private const string Bob = "msrp://b.example:7002/bobsess1;tcp";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Send(string tid, string messageId, string byteRange, string body, char flag = '+', string extra = "") =>
        $"MSRP {tid} SEND\r\nTo-Path: {Bob}\r\nFrom-Path: {PeerUri}\r\nMessage-ID: {messageId}\r\n{extra}Byte-Range: {byteRange}\r\n" +
        $"Content-Type: text/plain\r\n\r\n{body}\r\n-------{tid}{flag}\r\n";

    private sealed record Passive(MsrpEndpoint Endpoint, MsrpSession Session, RecordingHandler Handler, ScriptedPeer Peer, FakeTimeProvider Time);

    private static async Task<Passive> PassiveAsync(TimeSpan? timeout = null)
    {
        var time = new FakeTimeProvider();
        var endpoint = new MsrpEndpoint(new MsrpEndpointOptions { Host = "b.example", Port = 7002 }, timeProvider: time);
        var handler = new RecordingHandler();
        var options = new MsrpSessionOptions { IncomingMessageTimeout = timeout ?? TimeSpan.FromSeconds(120) };
        var session = endpoint.CreateSession(handler, options, sessionId: "bobsess1");
        session.SetRemotePath([MsrpUri.Parse(PeerUri)]);
        var (near, far) = DuplexPipe.CreatePair();
        endpoint.AddConnection(near);
        await Task.Yield();
        return new Passive(endpoint, session, handler, new ScriptedPeer(far), time);
    }

    [Fact]
    public async Task Stalled_message_is_given_up_after_the_timeout_with_a_408_report()
    {
        var p = await PassiveAsync();
        await using var _e = p.Endpoint;
        await p.Peer.SendAsync(Send("tid00001", "msgstall", "1-10/30", "0123456789"));
        Assert.Equal(200, (await p.Peer.ReadFrameAsync()).StatusCode);
        var (started, sink) = Assert.Single(p.Handler.Started);

        p.Time.Advance(TimeSpan.FromSeconds(119));
        Assert.Empty(p.Handler.Incomplete);
        p.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(MsrpIncompleteReason.TimedOut, await p.Handler.FirstIncomplete.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct));
        await Assert.ThrowsAsync<InvalidOperationException>(() => sink.Completed); // the sink was aborted, its buffer dropped

        var report = await p.Peer.ReadFrameAsync();
        Assert.Equal("REPORT", report.Method);
        Assert.Equal("msgstall", report.MessageId);
        Assert.Equal(PeerUri, report.ToPath);
        Assert.Equal(Bob, report.FromPath);
        Assert.Equal(new ByteRange(1, 30, 30), report.ByteRange);
        Assert.Contains("Status: 000 408 Request Timeout\r\n", report.RawHead, StringComparison.Ordinal);
        Assert.DoesNotContain("Failure-Report", report.RawHead, StringComparison.Ordinal);
        Assert.Equal(10, started.BytesReceived);
    }

    [Fact]
    public async Task Chunks_keep_a_message_alive_and_the_timer_counts_from_the_last_one()
    {
        var p = await PassiveAsync();
        await using var _e = p.Endpoint;
        await p.Peer.SendAsync(Send("tid00001", "msgslow1", "1-3/9", "abc"));
        Assert.Equal(200, (await p.Peer.ReadFrameAsync()).StatusCode);
        p.Time.Advance(TimeSpan.FromSeconds(100));
        await p.Peer.SendAsync(Send("tid00002", "msgslow1", "4-6/9", "def"));
        Assert.Equal(200, (await p.Peer.ReadFrameAsync()).StatusCode);
        p.Time.Advance(TimeSpan.FromSeconds(119)); // 219 s in, 119 s after the second chunk
        Assert.Empty(p.Handler.Incomplete);
        p.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(MsrpIncompleteReason.TimedOut, await p.Handler.FirstIncomplete.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct));
        Assert.Equal(6, p.Handler.Incomplete.Single().Message.BytesReceived);
    }

    [Fact]
    public async Task Later_chunks_of_a_given_up_message_get_413_until_the_tombstone_expires()
    {
        var p = await PassiveAsync();
        await using var _e = p.Endpoint;
        await p.Peer.SendAsync(Send("tid00001", "msglate1", "1-3/6", "abc"));
        Assert.Equal(200, (await p.Peer.ReadFrameAsync()).StatusCode);
        p.Time.Advance(TimeSpan.FromSeconds(120));
        await p.Handler.FirstIncomplete.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal("REPORT", (await p.Peer.ReadFrameAsync()).Method);

        await p.Peer.SendAsync(Send("tid00002", "msglate1", "4-6/6", "def", '$'));
        var late = await p.Peer.ReadFrameAsync();
        Assert.Equal("tid00002", late.TransactionId);
        Assert.Equal(413, late.StatusCode);
        Assert.Empty(p.Handler.Received);
        Assert.Single(p.Handler.Started); // not started over

        // The last chunk went by ('$'): the tombstone is gone, the same Message-ID may start afresh.
        await p.Peer.SendAsync(Send("tid00003", "msglate1", "1-6/6", "abcdef", '$'));
        Assert.Equal(200, (await p.Peer.ReadFrameAsync()).StatusCode);
        await p.Handler.FirstReceived.Task.WaitAsync(Ct);
        Assert.Equal("abcdef", Encoding.ASCII.GetString(p.Handler.Started.Last().Sink.Data.Span));
    }

    [Fact]
    public async Task Tombstone_leaves_after_another_quiet_timeout()
    {
        var p = await PassiveAsync(TimeSpan.FromSeconds(60));
        await using var _e = p.Endpoint;
        await p.Peer.SendAsync(Send("tid00001", "msgtomb1", "1-3/6", "abc"));
        Assert.Equal(200, (await p.Peer.ReadFrameAsync()).StatusCode);
        p.Time.Advance(TimeSpan.FromSeconds(60));
        await p.Handler.FirstIncomplete.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal("REPORT", (await p.Peer.ReadFrameAsync()).Method);
        p.Time.Advance(TimeSpan.FromSeconds(60));

        await p.Peer.SendAsync(Send("tid00002", "msgtomb1", "4-6/6", "def", '$'));
        Assert.Equal(200, (await p.Peer.ReadFrameAsync()).StatusCode); // a new message now (its first 3 bytes never came)
        Assert.Equal(2, p.Handler.Started.Count);
    }

    [Fact]
    public async Task Message_stalled_mid_chunk_is_given_up_and_the_chunk_answered_413()
    {
        var p = await PassiveAsync();
        await using var _e = p.Endpoint;
        var text = Send("tid00001", "msgmid01", "1-100/100", new string('x', 100), '$');
        int cut = text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4 + 40;
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        p.Handler.Decide = _ =>
        {
            started.TrySetResult();
            return MsrpReceiveDecision.Accept(new MsrpMemorySink(1000));
        };
        await p.Peer.SendAsync(text[..cut]);
        await started.Task.WaitAsync(Ct);
        await AdvanceUntilAsync(p.Time, p.Handler.FirstIncomplete.Task, TimeSpan.FromSeconds(120));
        Assert.Equal(MsrpIncompleteReason.TimedOut, await p.Handler.FirstIncomplete.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct));

        await p.Peer.SendAsync(text[cut..]);
        var frames = new[] { await p.Peer.ReadFrameAsync(), await p.Peer.ReadFrameAsync() };
        Assert.Contains(frames, f => f.Method == "REPORT" && f.RawHead.Contains("Status: 000 408", StringComparison.Ordinal));
        Assert.Contains(frames, f => f.TransactionId == "tid00001" && f.StatusCode == 413);
        Assert.Empty(p.Handler.Received);
    }

    [Theory]
    [InlineData("Failure-Report: no\r\n", false)]
    [InlineData("Failure-Report: partial\r\n", true)]
    [InlineData("", true)]
    public async Task Failure_report_header_decides_whether_the_408_report_goes_back(string header, bool expectReport)
    {
        var p = await PassiveAsync();
        await using var _e = p.Endpoint;
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        p.Handler.Decide = _ =>
        {
            started.TrySetResult();
            return MsrpReceiveDecision.Accept(new MsrpMemorySink(1000));
        };
        await p.Peer.SendAsync(Send("tid00001", "msgfr001", "1-3/6", "abc", extra: header));
        if (header.Length == 0)
        {
            Assert.Equal(200, (await p.Peer.ReadFrameAsync()).StatusCode); // only 'yes' answers a successful chunk
        }

        await started.Task.WaitAsync(Ct);
        await AdvanceUntilAsync(p.Time, p.Handler.FirstIncomplete.Task, TimeSpan.FromSeconds(120));
        Assert.Equal(MsrpIncompleteReason.TimedOut, await p.Handler.FirstIncomplete.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct));

        // A probe behind it: whatever the session sends before the probe's 200 was sent before the probe was read.
        await p.Peer.SendAsync(Send("probe001", "probe001", "1-1/1", "p", '$'));
        var next = await p.Peer.ReadFrameAsync();
        if (expectReport)
        {
            Assert.Equal("REPORT", next.Method);
            Assert.Equal("msgfr001", next.MessageId);
            next = await p.Peer.ReadFrameAsync();
        }

        Assert.Equal("probe001", next.TransactionId);
        Assert.Equal(200, next.StatusCode);
    }

    [Fact]
    public async Task Timeout_can_be_disabled()
    {
        var p = await PassiveAsync(Timeout.InfiniteTimeSpan);
        await using var _e = p.Endpoint;
        await p.Peer.SendAsync(Send("tid00001", "msgnotim", "1-3/6", "abc"));
        Assert.Equal(200, (await p.Peer.ReadFrameAsync()).StatusCode);
        p.Time.Advance(TimeSpan.FromHours(1));
        await p.Peer.SendAsync(Send("tid00002", "msgnotim", "4-6/6", "def", '$'));
        Assert.Equal(200, (await p.Peer.ReadFrameAsync()).StatusCode);
        Assert.Equal("abcdef", Encoding.ASCII.GetString(p.Handler.BodyOf("msgnotim")[..6]));
        Assert.Empty(p.Handler.Incomplete);
    }

    private static async Task<(MsrpEndpoint Endpoint, MsrpSession Session, RecordingHandler Handler, ScriptedPeer Peer, FakeTimeProvider Time)> ActiveAsync(MsrpSessionOptions? options = null)
    {
        var time = new FakeTimeProvider();
        var (near, far) = DuplexPipe.CreatePair();
        var endpoint = new MsrpEndpoint(new MsrpEndpointOptions { Host = "a.example", Port = 1 }, (_, _) => ValueTask.FromResult(near), timeProvider: time);
        var handler = new RecordingHandler();
        var session = endpoint.CreateSession(handler, options ?? new MsrpSessionOptions { SendBindingSend = false, ChunkSize = 1000 });
        session.SetRemotePath([MsrpUri.Parse(PeerUri)]);
        await session.ConnectAsync(Ct);
        return (endpoint, session, handler, new ScriptedPeer(far), time);
    }

    private static string Report(string tid, string to, string messageId, int status, string comment) =>
        $"MSRP {tid} REPORT\r\nTo-Path: {to}\r\nFrom-Path: {PeerUri}\r\nMessage-ID: {messageId}\r\nByte-Range: 1-*/100000\r\n" +
        $"Status: 000 {status} {comment}\r\n-------{tid}$\r\n";

    private static string Probe(string to) =>
        $"MSRP probe001 SEND\r\nTo-Path: {to}\r\nFrom-Path: {PeerUri}\r\nMessage-ID: probe001\r\nFailure-Report: no\r\nByte-Range: 1-1/1\r\n" +
        "Content-Type: text/plain\r\n\r\np\r\n-------probe001$\r\n";

    [Fact]
    public async Task Failure_report_ends_a_message_being_sent_with_its_status()
    {
        var (endpoint, session, handler, peer, _) = await ActiveAsync();
        await using var _e = endpoint;
        var gate = new SemaphoreSlim(0);
        var send = session.SendMessageAsync("text/plain", new GatedStream(new byte[100_000], gate), 100_000, new MsrpSendOptions { MessageId = "msgsent1" }, Ct);
        gate.Release(3);
        var first = await peer.ReadFrameAsync();
        Assert.Equal("msgsent1", first.MessageId);
        await peer.SendAsync($"MSRP {first.TransactionId} 200 OK\r\nTo-Path: {session.LocalUri}\r\nFrom-Path: {PeerUri}\r\n-------{first.TransactionId}$\r\n");
        await peer.SendAsync(Report("rep00001", session.LocalUri.ToString(), "msgsent1", 408, "Request Timeout"));
        await peer.SendAsync(Probe(session.LocalUri.ToString()));
        await handler.FirstReceived.Task.WaitAsync(Ct); // the REPORT before it was handled by then

        gate.Release(1000);
        var drain = Task.Run(async () =>
        {
            while (!send.IsCompleted)
            {
                await peer.ReadFrameAsync();
            }
        }, Ct);
        var result = await send.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        Assert.Equal(MsrpSendOutcome.FailureReported, result.Outcome);
        Assert.Equal(408, result.StatusCode);
        Assert.False(result.IsSuccess);
        Assert.InRange(result.BytesSent, 1000, 4000); // stopped at once, not after 100 KB
        var report = await handler.FirstReport.Task.WaitAsync(Ct);
        Assert.False(report.IsSuccess);
        Assert.Equal(408, report.StatusCode);
    }

    [Fact]
    public async Task Failure_report_after_delivery_reaches_the_application_with_its_status()
    {
        var (endpoint, session, handler, peer, _) = await ActiveAsync();
        await using var _e = endpoint;
        var send = session.SendMessageAsync("text/plain", "hello"u8.ToArray(), new MsrpSendOptions { MessageId = "msgdone1" }, Ct);
        var frame = await peer.ReadFrameAsync();
        await peer.SendAsync($"MSRP {frame.TransactionId} 200 OK\r\nTo-Path: {session.LocalUri}\r\nFrom-Path: {PeerUri}\r\n-------{frame.TransactionId}$\r\n");
        Assert.Equal(MsrpSendOutcome.Delivered, (await send.WaitAsync(Ct)).Outcome);
        await peer.SendAsync(Report("rep00001", session.LocalUri.ToString(), "msgdone1", 403, "Forbidden"));
        var report = await handler.FirstReport.Task.WaitAsync(Ct);
        Assert.Equal("msgdone1", report.MessageId);
        Assert.Equal(403, report.StatusCode);
        Assert.False(report.IsSuccess);
    }

    [Fact]
    public async Task Success_report_does_not_end_a_message_being_sent()
    {
        var (endpoint, session, handler, peer, _) = await ActiveAsync();
        await using var _e = endpoint;
        var gate = new SemaphoreSlim(0);
        var send = session.SendMessageAsync("text/plain", new GatedStream(new byte[3000], gate), 3000, new MsrpSendOptions { MessageId = "msgok001" }, Ct);
        gate.Release(1);
        var first = await peer.ReadFrameAsync();
        await peer.SendAsync(Report("rep00001", session.LocalUri.ToString(), "msgok001", 200, "OK"));
        await peer.SendAsync(Probe(session.LocalUri.ToString()));
        await handler.FirstReceived.Task.WaitAsync(Ct);
        gate.Release(10);
        var frames = new List<ParsedFrame> { first };
        while (frames.Count < 3)
        {
            frames.Add(await peer.ReadFrameAsync());
        }

        foreach (var f in frames)
        {
            await peer.SendAsync($"MSRP {f.TransactionId} 200 OK\r\nTo-Path: {session.LocalUri}\r\nFrom-Path: {PeerUri}\r\n-------{f.TransactionId}$\r\n");
        }

        var result = await send.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        Assert.Equal(MsrpSendOutcome.Delivered, result.Outcome);
        Assert.Equal(3000, result.BytesSent);
    }

    [Fact]
    public async Task Unanswered_chunk_times_out_and_the_message_fails_with_408()
    {
        var (endpoint, session, _, peer, time) = await ActiveAsync();
        await using var _e = endpoint;
        var send = session.SendMessageAsync("text/plain", new byte[2500], new MsrpSendOptions { MessageId = "msgto001" }, Ct);
        var frames = new List<ParsedFrame>();
        while (frames.Count < 3)
        {
            frames.Add(await peer.ReadFrameAsync()); // chunks go out without waiting for responses
        }

        Assert.All(frames, f => Assert.Equal("msgto001", f.MessageId));
        foreach (var f in frames.Take(2))
        {
            await peer.SendAsync($"MSRP {f.TransactionId} 200 OK\r\nTo-Path: {session.LocalUri}\r\nFrom-Path: {PeerUri}\r\n-------{f.TransactionId}$\r\n");
        }

        time.Advance(TimeSpan.FromSeconds(29));
        Assert.False(send.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        var result = await send.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(MsrpSendOutcome.TimedOut, result.Outcome);
        Assert.Equal(408, result.StatusCode);
        Assert.Equal(3, result.Chunks);
    }

    [Fact]
    public async Task Receiver_timeout_report_fails_the_stalled_send_end_to_end()
    {
        var time = new FakeTimeProvider();
        await using var pair = await SessionPair.CreateAsync(
            new MsrpSessionOptions { ChunkSize = 1000, TransactionTimeout = TimeSpan.FromMinutes(10) }, // only B's timer matters
            new MsrpSessionOptions { IncomingMessageTimeout = TimeSpan.FromSeconds(10) },
            time);
        var gate = new SemaphoreSlim(0);
        var twoChunksIn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.HandlerB.Decide = _ => MsrpReceiveDecision.Accept(new SignallingSink(2000, twoChunksIn));
        var send = pair.A.SendMessageAsync("text/plain", new GatedStream(new byte[10_000], gate), 10_000, new MsrpSendOptions { MessageId = "msge2e01" }, Ct);
        gate.Release(2); // two chunks, then the source stalls
        await twoChunksIn.Task.WaitAsync(Ct);
        await AdvanceUntilAsync(time, pair.HandlerB.FirstIncomplete.Task, TimeSpan.FromSeconds(1));
        Assert.Equal(MsrpIncompleteReason.TimedOut, await pair.HandlerB.FirstIncomplete.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct));
        var report = await pair.HandlerA.FirstReport.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(408, report.StatusCode);
        gate.Release(100);
        var result = await send.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(MsrpSendOutcome.FailureReported, result.Outcome);
        Assert.Equal(408, result.StatusCode);
        Assert.True(result.BytesSent < 10_000, $"sent {result.BytesSent}");
    }

    /// <summary>
    /// Moves fake time on until <paramref name="done"/> completes: the read loop may still be inside the sink when the
    /// first sweep runs (then the message counts as active), so time keeps moving in steps, yielding in between.
    /// </summary>
    private static async Task AdvanceUntilAsync(FakeTimeProvider time, Task done, TimeSpan step)
    {
        for (int i = 0; i < 10_000 && !done.IsCompleted; i++)
        {
            time.Advance(step);
            await Task.Yield();
        }
    }

    /// <summary>Keeps nothing; signals once <c>threshold</c> bytes have come in.</summary>
    private sealed class SignallingSink(long threshold, TaskCompletionSource reached) : IMsrpMessageSink
    {
        private long _bytes;

        public ValueTask WriteAsync(long offset, System.Buffers.ReadOnlySequence<byte> data, CancellationToken cancellationToken)
        {
            _bytes += data.Length;
            if (_bytes >= threshold)
            {
                reached.TrySetResult();
            }

            return ValueTask.CompletedTask;
        }

        public ValueTask<int> CompleteAsync(long length, CancellationToken cancellationToken) => ValueTask.FromResult(200);

        public ValueTask AbortAsync(MsrpIncompleteReason reason, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
