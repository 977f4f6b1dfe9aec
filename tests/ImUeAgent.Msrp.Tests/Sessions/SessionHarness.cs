// SPDX-License-Identifier: MIT
using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Text;
using ImUeAgent.Msrp.Sessions;

namespace ImUeAgent.Msrp.Tests.Sessions;

internal sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
{
    public PipeReader Input { get; } = input;

    public PipeWriter Output { get; } = output;

    public static (IDuplexPipe A, IDuplexPipe B) CreatePair()
    {
        var ab = new Pipe();
        var ba = new Pipe();
        return (new DuplexPipe(ba.Reader, ab.Writer), new DuplexPipe(ab.Reader, ba.Writer));
    }
}

/// <summary>Records what a session hands the application; each message goes to a memory sink (or a custom one).</summary>
internal sealed class RecordingHandler : IMsrpSessionHandler
{
    public ConcurrentQueue<(MsrpIncomingMessage Message, MsrpMemorySink Sink)> Started { get; } = new();

    public ConcurrentQueue<MsrpIncomingMessage> Received { get; } = new();

    public ConcurrentQueue<(MsrpIncomingMessage Message, MsrpIncompleteReason Reason)> Incomplete { get; } = new();

    public ConcurrentQueue<MsrpReport> Reports { get; } = new();

    public TaskCompletionSource<MsrpIncomingMessage> FirstReceived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource<MsrpIncompleteReason> FirstIncomplete { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource<MsrpReport> FirstReport { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Func<MsrpIncomingMessage, MsrpReceiveDecision>? Decide { get; set; }

    public MsrpReceiveDecision OnMessageStarted(MsrpSession session, MsrpIncomingMessage message)
    {
        if (Decide is not null)
        {
            return Decide(message);
        }

        var sink = new MsrpMemorySink(session.Options.MaxMessageSize, message.TotalLength);
        Started.Enqueue((message, sink));
        return MsrpReceiveDecision.Accept(sink);
    }

    public void OnMessageReceived(MsrpSession session, MsrpIncomingMessage message)
    {
        Received.Enqueue(message);
        FirstReceived.TrySetResult(message);
    }

    public void OnMessageIncomplete(MsrpSession session, MsrpIncomingMessage message, MsrpIncompleteReason reason)
    {
        Incomplete.Enqueue((message, reason));
        FirstIncomplete.TrySetResult(reason);
    }

    public void OnReport(MsrpSession session, MsrpReport report)
    {
        Reports.Enqueue(report);
        FirstReport.TrySetResult(report);
    }

    private int _closed;

    /// <summary>How many times the session reported its connection closed.</summary>
    public int ClosedCount => Volatile.Read(ref _closed);

    public void OnClosed(MsrpSession session) => Interlocked.Increment(ref _closed);

    public byte[] BodyOf(string messageId) => Started.First(s => s.Message.MessageId == messageId).Sink.Data.ToArray();
}

/// <summary>A sink that logs every write (message, offset, length) into a shared journal and keeps nothing.</summary>
internal sealed class JournalSink(string tag, ConcurrentQueue<(string Tag, long Offset, long Length)> journal) : IMsrpMessageSink
{
    public long Total { get; private set; }

    public ValueTask WriteAsync(long offset, ReadOnlySequence<byte> data, CancellationToken cancellationToken)
    {
        journal.Enqueue((tag, offset, data.Length));
        return ValueTask.CompletedTask;
    }

    public ValueTask<int> CompleteAsync(long length, CancellationToken cancellationToken)
    {
        Total = length;
        return ValueTask.FromResult(200);
    }

    public ValueTask AbortAsync(MsrpIncompleteReason reason, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}

/// <summary>Two endpoints joined by an in-memory duplex pipe: A is active (connects), B passive.</summary>
internal sealed class SessionPair : IAsyncDisposable
{
    private SessionPair(MsrpEndpoint a, MsrpEndpoint b, MsrpSession sa, MsrpSession sb, RecordingHandler ha, RecordingHandler hb)
    {
        EndpointA = a;
        EndpointB = b;
        A = sa;
        B = sb;
        HandlerA = ha;
        HandlerB = hb;
    }

    public MsrpEndpoint EndpointA { get; }

    public MsrpEndpoint EndpointB { get; }

    public MsrpSession A { get; }

    public MsrpSession B { get; }

    public RecordingHandler HandlerA { get; }

    public RecordingHandler HandlerB { get; }

    public static async Task<SessionPair> CreateAsync(MsrpSessionOptions? optionsA = null, MsrpSessionOptions? optionsB = null, TimeProvider? time = null)
    {
        MsrpEndpoint? b = null;
        var a = new MsrpEndpoint(new MsrpEndpointOptions { Host = "a.example", Port = 7001 }, (uri, ct) =>
        {
            var (x, y) = DuplexPipe.CreatePair();
            b!.AddConnection(y);
            return ValueTask.FromResult(x);
        }, timeProvider: time);
        b = new MsrpEndpoint(new MsrpEndpointOptions { Host = "b.example", Port = 7002 }, timeProvider: time);
        var ha = new RecordingHandler();
        var hb = new RecordingHandler();
        var sa = a.CreateSession(ha, optionsA);
        var sb = b.CreateSession(hb, optionsB);
        sa.SetRemotePath([sb.LocalUri]);
        sb.SetRemotePath([sa.LocalUri]);
        await sa.ConnectAsync(TestContext.Current.CancellationToken);
        await sb.WaitForConnectionAsync(TestContext.Current.CancellationToken);
        return new SessionPair(a, b, sa, sb, ha, hb);
    }

    public async ValueTask DisposeAsync()
    {
        await EndpointA.DisposeAsync();
        await EndpointB.DisposeAsync();
    }
}

/// <summary>The far end of a connection driven byte by byte by the test: write raw frames, read parsed ones.</summary>
internal sealed class ScriptedPeer
{
    private readonly IDuplexPipe _pipe;
    private readonly FrameFeeder _feeder = new();
    private int _taken;

    public ScriptedPeer(IDuplexPipe pipe) => _pipe = pipe;

    public async Task SendAsync(string text)
    {
        await _pipe.Output.WriteAsync(Encoding.UTF8.GetBytes(text), TestContext.Current.CancellationToken);
    }

    public async Task SendAsync(byte[] bytes) => await _pipe.Output.WriteAsync(bytes, TestContext.Current.CancellationToken);

    public async Task<ParsedFrame> ReadFrameAsync()
    {
        while (true)
        {
            if (_feeder.Frames.Count > _taken && _feeder.Frames[_taken].Flag is not null)
            {
                return _feeder.Frames[_taken++];
            }

            var read = await _pipe.Input.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
            foreach (var segment in read.Buffer)
            {
                _feeder.Feed(segment.Span);
            }

            _pipe.Input.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted && _feeder.Frames.Count <= _taken)
            {
                throw new EndOfStreamException("connection closed");
            }
        }
    }

    /// <summary>True when nothing (more) arrives before the other side has answered a later probe.</summary>
    public int Unread => _feeder.Frames.Count - _taken;

    public void Close() => _pipe.Output.Complete();
}

/// <summary>A stream that hands out one 1000-byte read per gate release.</summary>
internal sealed class GatedStream(byte[] data, SemaphoreSlim gate) : Stream
{
    private int _position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => data.Length;

    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await gate.WaitAsync(cancellationToken);
        int n = Math.Min(Math.Min(buffer.Length, 1000), data.Length - _position);
        data.AsSpan(_position, n).CopyTo(buffer.Span);
        _position += n;
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
