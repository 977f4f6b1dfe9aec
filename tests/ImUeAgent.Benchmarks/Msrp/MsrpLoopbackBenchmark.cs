// SPDX-License-Identifier: MIT
using System.Buffers;
using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using ImUeAgent.Msrp.Sessions;
using ImUeAgent.Msrp.Transport;

namespace ImUeAgent.Benchmarks.Msrp;

/// <summary>
/// A 100 MB message through an MSRP session over loopback TCP (chunked SEND, per-chunk 200 responses, reassembly
/// into a counting sink) against a plain socket copy of the same bytes. Ratio = MSRP time / socket time; the MSRP
/// throughput relative to the socket is 1 / Ratio (goal ≥ 0.7). Allocated must not grow with <see cref="Megabytes"/>.
/// <see cref="Content"/> Text is CRLF-terminated 72-byte lines with "-------" rulers: the end-line searches on both
/// sides must not slow down on bodies full of CRLFs and dashes.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 6)]
public class MsrpLoopbackBenchmark
{
    private static readonly byte[] s_random = CreatePattern();
    private static readonly byte[] s_text = CreateText();
    private MsrpEndpoint? _a;
    private MsrpEndpoint? _b;
    private MsrpTcpListener? _la;
    private MsrpTcpListener? _lb;
    private MsrpSession? _session;
    private CountingHandler? _handler;
    private Socket? _listener;
    private Socket? _client;
    private Socket? _server;

    public enum BodyContent
    {
        Random,
        Text,
    }

    [Params(10, 100)]
    public int Megabytes { get; set; }

    [Params(BodyContent.Random, BodyContent.Text)]
    public BodyContent Content { get; set; }

    private long Size => Megabytes * 1024L * 1024L;

    private byte[] Pattern => Content == BodyContent.Text ? s_text : s_random;

    private static byte[] CreatePattern()
    {
        var b = new byte[1 << 20];
        new Random(4975).NextBytes(b);
        return b;
    }

    private static byte[] CreateText()
    {
        var b = new byte[1 << 20];
        var random = new Random(4975);
        for (int i = 0; i < b.Length; i++)
        {
            b[i] = (byte)(' ' + random.Next(95));
        }

        for (int line = 0; line + 72 <= b.Length; line += 72)
        {
            if (line % (72 * 10) == 0)
            {
                b.AsSpan(line, 70).Fill((byte)'-');
            }

            b[line + 70] = (byte)'\r';
            b[line + 71] = (byte)'\n';
        }

        return b;
    }

    [GlobalSetup]
    public void Setup()
    {
        var connector = MsrpTcpTransport.CreateConnector();
        _a = new MsrpEndpoint(new MsrpEndpointOptions { Host = "127.0.0.1" }, connector);
        _b = new MsrpEndpoint(new MsrpEndpointOptions { Host = "127.0.0.1" }, connector);
        _la = new MsrpTcpListener(_a, new IPEndPoint(IPAddress.Loopback, 0));
        _lb = new MsrpTcpListener(_b, new IPEndPoint(IPAddress.Loopback, 0));
        _la.Start();
        _lb.Start();
        var options = new MsrpSessionOptions { ChunkSize = 1 << 20, WritePieceSize = 64 * 1024, MaxMessageSize = 1L << 31 };
        _handler = new CountingHandler();
        _session = _a.CreateSession(new CountingHandler(), options);
        var sb = _b.CreateSession(_handler, options);
        _session.SetRemotePath([sb.LocalUri]);
        sb.SetRemotePath([_session.LocalUri]);
        _session.ConnectAsync().GetAwaiter().GetResult();
        sb.WaitForConnectionAsync().GetAwaiter().GetResult();

        _listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(1);
        _client = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _client.Connect(_listener.LocalEndPoint!);
        _server = _listener.Accept();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _la!.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _lb!.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _a!.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _b!.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _client!.Dispose();
        _server!.Dispose();
        _listener!.Dispose();
    }

    [Benchmark(Baseline = true)]
    public async Task<long> PlainSocketCopy()
    {
        long size = Size;
        var receive = Task.Run(async () =>
        {
            var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
            long got = 0;
            while (got < size)
            {
                got += await _server!.ReceiveAsync(buffer.AsMemory(0, 64 * 1024), SocketFlags.None);
            }

            ArrayPool<byte>.Shared.Return(buffer);
            return got;
        });
        var source = new RepeatStream(Pattern, size);
        var chunk = ArrayPool<byte>.Shared.Rent(64 * 1024);
        int n;
        while ((n = await source.ReadAsync(chunk.AsMemory(0, 64 * 1024))) > 0)
        {
            int sent = 0;
            while (sent < n)
            {
                sent += await _client!.SendAsync(chunk.AsMemory(sent, n - sent), SocketFlags.None);
            }
        }

        ArrayPool<byte>.Shared.Return(chunk);
        return await receive;
    }

    [Benchmark]
    public async Task<long> MsrpSessionSend()
    {
        var done = _handler!.Expect();
        var result = await _session!.SendMessageAsync("application/octet-stream", new RepeatStream(Pattern, Size), Size);
        if (!result.IsSuccess)
        {
            throw new InvalidOperationException(result.ToString());
        }

        return await done;
    }

    /// <summary>Serves <c>length</c> bytes by repeating a buffer (memcpy-speed source, no per-byte work).</summary>
    private sealed class RepeatStream(byte[] pattern, long length) : Stream
    {
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int start = (int)(_position % pattern.Length);
            int n = (int)Math.Min(Math.Min(buffer.Length, pattern.Length - start), length - _position);
            pattern.AsSpan(start, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Counts received bytes; completes when a message is whole.</summary>
    private sealed class CountingHandler : IMsrpSessionHandler, IMsrpMessageSink
    {
        private TaskCompletionSource<long> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _bytes;

        public Task<long> Expect()
        {
            _done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            _bytes = 0;
            return _done.Task;
        }

        public MsrpReceiveDecision OnMessageStarted(MsrpSession session, MsrpIncomingMessage message) => MsrpReceiveDecision.Accept(this);

        public ValueTask WriteAsync(long offset, ReadOnlySequence<byte> data, CancellationToken cancellationToken)
        {
            _bytes += data.Length;
            return ValueTask.CompletedTask;
        }

        public ValueTask<int> CompleteAsync(long length, CancellationToken cancellationToken)
        {
            _done.TrySetResult(_bytes);
            return ValueTask.FromResult(200);
        }

        public ValueTask AbortAsync(MsrpIncompleteReason reason, CancellationToken cancellationToken)
        {
            _done.TrySetException(new InvalidOperationException(reason.ToString()));
            return ValueTask.CompletedTask;
        }
    }
}
