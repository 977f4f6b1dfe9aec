// SPDX-License-Identifier: MIT
using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ImUeAgent.Msrp.Sessions;
using ImUeAgent.Msrp.Tests.Sessions;
using ImUeAgent.Msrp.Transport;

namespace ImUeAgent.Msrp.Tests.Transport;

/// <summary>Bytes b[i] = (i * 31 + 7) mod 256, generated on the fly: a large message that never exists in memory.</summary>
internal sealed class PatternStream(long length) : Stream
{
    private long _position;

    public static byte At(long i) => (byte)((i * 31) + 7);

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = (int)Math.Min(buffer.Length, length - _position);
        for (int i = 0; i < n; i++)
        {
            buffer[i] = At(_position + i);
        }

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

/// <summary>Checks every byte against <see cref="PatternStream"/> at its offset and keeps nothing.</summary>
internal sealed class PatternCheckingSink : IMsrpMessageSink
{
    public long Bytes { get; private set; }

    public long Mismatches { get; private set; }

    public TaskCompletionSource<long> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ValueTask WriteAsync(long offset, ReadOnlySequence<byte> data, CancellationToken cancellationToken)
    {
        long o = offset;
        foreach (var segment in data)
        {
            var span = segment.Span;
            for (int i = 0; i < span.Length; i++)
            {
                if (span[i] != PatternStream.At(o + i))
                {
                    Mismatches++;
                }
            }

            o += span.Length;
        }

        Bytes += data.Length;
        return ValueTask.CompletedTask;
    }

    public ValueTask<int> CompleteAsync(long length, CancellationToken cancellationToken)
    {
        Done.TrySetResult(length);
        return ValueTask.FromResult(200);
    }

    public ValueTask AbortAsync(MsrpIncompleteReason reason, CancellationToken cancellationToken)
    {
        Done.TrySetException(new InvalidOperationException(reason.ToString()));
        return ValueTask.CompletedTask;
    }
}

internal sealed class LoopbackPair : IAsyncDisposable
{
    public required MsrpEndpoint EndpointA { get; init; }

    public required MsrpEndpoint EndpointB { get; init; }

    public required MsrpTcpListener ListenerA { get; init; }

    public required MsrpTcpListener ListenerB { get; init; }

    public required MsrpSession A { get; init; }

    public required MsrpSession B { get; init; }

    public required RecordingHandler HandlerB { get; init; }

    public static async Task<LoopbackPair> CreateAsync(MsrpSessionOptions? options = null, X509Certificate2? certificate = null)
    {
        bool secure = certificate is not null;
        var connector = MsrpTcpTransport.CreateConnector(secure
            ? uri => new SslClientAuthenticationOptions { TargetHost = "localhost", RemoteCertificateValidationCallback = (_, cert, _, _) => cert?.GetCertHashString() == certificate!.GetCertHashString() }
            : null);
        var tls = secure ? new SslServerAuthenticationOptions { ServerCertificate = certificate } : null;
        var a = new MsrpEndpoint(new MsrpEndpointOptions { Host = "127.0.0.1", Secure = secure }, connector);
        var b = new MsrpEndpoint(new MsrpEndpointOptions { Host = "127.0.0.1", Secure = secure }, connector);
        var la = new MsrpTcpListener(a, new IPEndPoint(IPAddress.Loopback, 0), tls);
        var lb = new MsrpTcpListener(b, new IPEndPoint(IPAddress.Loopback, 0), tls);
        la.Start();
        lb.Start();
        var hb = new RecordingHandler();
        var sa = a.CreateSession(new RecordingHandler(), options);
        var sb = b.CreateSession(hb, options);
        sa.SetRemotePath([sb.LocalUri]);
        sb.SetRemotePath([sa.LocalUri]);
        await sa.ConnectAsync(TestContext.Current.CancellationToken);
        await sb.WaitForConnectionAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        return new LoopbackPair { EndpointA = a, EndpointB = b, ListenerA = la, ListenerB = lb, A = sa, B = sb, HandlerB = hb };
    }

    public async ValueTask DisposeAsync()
    {
        await ListenerA.DisposeAsync();
        await ListenerB.DisposeAsync();
        await EndpointA.DisposeAsync();
        await EndpointB.DisposeAsync();
    }
}

public sealed class LoopbackTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sessions_talk_over_loopback_tcp()
    {
        await using var pair = await LoopbackPair.CreateAsync(new MsrpSessionOptions { ChunkSize = 10_000 });
        Assert.NotEqual(0, pair.B.LocalUri.Port);
        Assert.Equal("127.0.0.1", pair.B.LocalUri.Host);
        var body = new byte[123_456];
        new Random(3).NextBytes(body);
        var result = await pair.A.SendMessageAsync("application/octet-stream", body, cancellationToken: Ct);
        Assert.True(result.IsSuccess, result.ToString());
        var m = await pair.HandlerB.FirstReceived.Task.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        Assert.Equal(body, pair.HandlerB.BodyOf(m.MessageId));
    }

    [Fact]
    public async Task Sessions_talk_over_loopback_tls()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var certificate = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pfx), null);
        await using var pair = await LoopbackPair.CreateAsync(null, certificate);
        Assert.True(pair.A.LocalUri.IsSecure);
        Assert.StartsWith("msrps://127.0.0.1:", pair.A.LocalUri.ToString(), StringComparison.Ordinal);
        var result = await pair.A.SendMessageAsync("text/plain", Encoding.UTF8.GetBytes("over TLS"), cancellationToken: Ct);
        Assert.True(result.IsSuccess, result.ToString());
        var m = await pair.HandlerB.FirstReceived.Task.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        Assert.Equal("over TLS", Encoding.UTF8.GetString(pair.HandlerB.BodyOf(m.MessageId)));
    }

    [Fact]
    public async Task Peer_disappearing_mid_message_is_reported_not_crashing()
    {
        await using var pair = await LoopbackPair.CreateAsync(new MsrpSessionOptions { ChunkSize = 1 << 20, MaxMessageSize = 1L << 30 });
        var sink = new PatternCheckingSink();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.HandlerB.Decide = _ =>
        {
            started.TrySetResult();
            return MsrpReceiveDecision.Accept(sink);
        };
        var send = pair.A.SendMessageAsync("application/octet-stream", new PatternStream(200_000_000), 200_000_000, cancellationToken: Ct);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        pair.A.Connection!.Close("test pulls the plug");
        var result = await send.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        Assert.Equal(MsrpSendOutcome.ConnectionLost, result.Outcome);
        Assert.Equal(MsrpIncompleteReason.ConnectionLost, await pair.HandlerB.FirstIncomplete.Task.WaitAsync(TimeSpan.FromSeconds(20), Ct));
    }
}

[CollectionDefinition(nameof(MemoryMeasurements), DisableParallelization = true)]
public sealed class MemoryMeasurements;
