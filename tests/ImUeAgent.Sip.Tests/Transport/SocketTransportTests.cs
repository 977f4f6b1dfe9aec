// SPDX-License-Identifier: MIT
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Tests.Ua;
using ImUeAgent.Sip.Transport;

namespace ImUeAgent.Sip.Tests.Transport;

public sealed class SocketTransportTests
{
    private static readonly IPEndPoint AnyLoopback = new(IPAddress.Loopback, 0);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static SipRequest Request(string via = "UDP", string branch = "z9hG4bK-s1") => (SipRequest)SipTestMessages.Parse(
        $"MESSAGE sip:ue@127.0.0.1 SIP/2.0\nVia: SIP/2.0/{via} 127.0.0.1:5060;branch={branch};rport\nMax-Forwards: 70\n" +
        "From: <sip:a@example.com>;tag=1\nTo: <sip:ue@example.com>\nCall-ID: c1\nCSeq: 1 MESSAGE\nContent-Length: 2\n\nhi");

    [Fact]
    public async Task UdpExchangesDatagramsAndCarriesTheSource()
    {
        await using var a = new SipUdpTransport(AnyLoopback);
        await using var b = new SipUdpTransport(AnyLoopback);
        Assert.NotEqual(0, a.LocalEndPoint.Port);
        var inboundB = new InboundCollector();
        a.Start(new InboundCollector().Inbound);
        b.Start(inboundB.Inbound);
        await a.SendAsync(Request(), b.LocalEndPoint, Ct);
        ReceivedSipMessage m = await inboundB.NextAsync();
        Assert.Equal(new SipTransportAddress(SipTransportKind.Udp, a.LocalEndPoint), m.Source);
        Assert.Equal(b.LocalEndPoint, m.LocalEndPoint);
    }

    [Fact]
    public async Task UdpMalformedRequestIsAnsweredAndMalformedResponseDropped()
    {
        await using var ue = new SipUdpTransport(AnyLoopback);
        var inbound = new InboundCollector();
        ue.Start(inbound.Inbound);
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        peer.Bind(AnyLoopback);
        byte[] bad = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Request().ToArray()).Replace("Max-Forwards: 70", "Max-Forwards: lots", StringComparison.Ordinal));
        await peer.SendToAsync(bad, ue.LocalEndPoint, Ct);
        byte[] reply = new byte[4096];
        int n = await peer.ReceiveAsync(reply, Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.StartsWith("SIP/2.0 400 Bad Request - Malformed Max-Forwards\r\n", Encoding.UTF8.GetString(reply, 0, n), StringComparison.Ordinal);

        byte[] badResponse = Encoding.UTF8.GetBytes("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK-1\r\nCSeq: 1 NOPE X\r\n\r\n");
        await peer.SendToAsync(badResponse, ue.LocalEndPoint, Ct);
        await peer.SendToAsync(Request().ToArray(), ue.LocalEndPoint, Ct);
        await inbound.NextAsync();
        Assert.Equal(1, inbound.Inbound.DroppedResponses);
        Assert.Equal(1, inbound.Inbound.RejectedRequests);
    }

    [Fact]
    public async Task TcpReusesOneConnectionBothWays()
    {
        await using var ue = new SipStreamTransport(SipTransportKind.Tcp, AnyLoopback);
        await using var server = new SipStreamTransport(SipTransportKind.Tcp, AnyLoopback);
        var ueIn = new InboundCollector();
        var serverIn = new InboundCollector();
        ue.Start(ueIn.Inbound);
        server.Start(serverIn.Inbound);
        SipRequest request = Request("TCP");
        await ue.SendAsync(request, server.LocalEndPoint, Ct);
        await ue.SendAsync(Request("TCP", "z9hG4bK-s2"), server.LocalEndPoint, Ct);
        ReceivedSipMessage first = await serverIn.NextAsync();
        await serverIn.NextAsync();
        Assert.Equal(SipTransportKind.Tcp, first.Source.Transport);
        // The response goes back to the source endpoint: the connection it came on.
        await server.SendAsync(SipMessageBuilder.ResponseTo((SipRequest)first.Message, 200, toTag: "x").BuildResponse(), first.Source.EndPoint, Ct);
        ReceivedSipMessage response = await ueIn.NextAsync();
        Assert.Equal(200, ((SipResponse)response.Message).StatusCode);
        Assert.Equal(1, ue.ConnectionCount);
        Assert.Equal(1, server.ConnectionCount);
    }

    [Fact]
    public async Task A_connection_the_peer_closes_is_reported_once_and_our_own_close_is_not()
    {
        await using var ue = new SipStreamTransport(SipTransportKind.Tcp, AnyLoopback, new SipStreamTransportOptions { Listen = false });
        var server = new SipStreamTransport(SipTransportKind.Tcp, AnyLoopback);
        var closed = new List<(SipTransportAddress Remote, SipConnectionCloseReason Reason)>();
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ue.ConnectionClosed += (remote, reason) =>
        {
            lock (closed)
            {
                closed.Add((remote, reason));
            }

            first.TrySetResult();
        };
        var serverIn = new InboundCollector();
        ue.Start(new InboundCollector().Inbound);
        server.Start(serverIn.Inbound);
        await ue.SendAsync(Request("TCP"), server.LocalEndPoint, Ct);
        await serverIn.NextAsync();

        // The server goes away while the UE sends nothing: the UE's read loop sees the FIN at once.
        await server.DisposeAsync();
        await first.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(new SipTransportAddress(SipTransportKind.Tcp, server.LocalEndPoint), closed[0].Remote);
        Assert.Equal(SipConnectionCloseReason.PeerClosed, closed[0].Reason);
        Assert.Equal(0, ue.ConnectionCount);

        await ue.DisposeAsync();
        lock (closed)
        {
            Assert.Single(closed);
        }
    }

    [Fact]
    public void A_socket_is_tied_to_an_existing_interface_and_an_unknown_one_is_refused_with_its_name()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "SO_BINDTODEVICE is Linux");
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        Assert.True(SocketTuning.TryBindToDevice(socket, null, out var none));
        Assert.Null(none);
        Assert.False(SocketTuning.TryBindToDevice(socket, "imue-no-such0", out var error));
        Assert.StartsWith("imue-no-such0: ", error, StringComparison.Ordinal);
        if (Environment.UserName == "root")
        {
            Assert.True(SocketTuning.TryBindToDevice(socket, "lo", out _));
        }
    }

    [Fact]
    public void Kernel_keep_alive_is_set_on_the_socket()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        SocketTuning.ApplyKeepAlive(socket, new TcpKeepAliveOptions { Idle = TimeSpan.FromSeconds(45), Interval = TimeSpan.FromSeconds(7), Count = 4 });
        Assert.Equal(1, (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)!);
        Assert.Equal(45, (int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime)!);
        Assert.Equal(7, (int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval)!);
        Assert.Equal(4, (int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount)!);
    }

    [Fact]
    public async Task TcpConnectFailureIsAnIOException()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(AnyLoopback);
        var closedPort = (IPEndPoint)probe.LocalEndPoint!;   // bound, never listening
        await using var ue = new SipStreamTransport(SipTransportKind.Tcp, AnyLoopback, new SipStreamTransportOptions { Listen = false });
        ue.Start(new InboundCollector().Inbound);
        await Assert.ThrowsAsync<IOException>(async () => await ue.SendAsync(Request("TCP"), closedPort, Ct));
    }

    private static (X509Certificate2 Ca, X509Certificate2 Server) CreateCertificates(string serverName)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=ImUeAgent Test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        X509Certificate2 ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=" + serverName, serverKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(serverName);
        serverRequest.CertificateExtensions.Add(san.Build());
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using X509Certificate2 signed = serverRequest.Create(ca, now.AddDays(-1), now.AddDays(10), [1, 2, 3, 4]);
        using X509Certificate2 withKey = signed.CopyWithPrivateKey(serverKey);
        X509Certificate2 server = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        return (X509CertificateLoader.LoadCertificate(ca.Export(X509ContentType.Cert)), server);
    }

    [Fact]
    public async Task TlsValidatesTheServerAgainstTheConfiguredCaWithSni()
    {
        (X509Certificate2 ca, X509Certificate2 cert) = CreateCertificates("pcscf.ims.test");
        await using var server = new SipStreamTransport(SipTransportKind.Tls, AnyLoopback, new SipStreamTransportOptions { ServerCertificate = cert });
        var serverIn = new InboundCollector();
        server.Start(serverIn.Inbound);
        await using var ue = new SipStreamTransport(SipTransportKind.Tls, AnyLoopback, new SipStreamTransportOptions
        {
            Listen = false,
            ServerName = "pcscf.ims.test",
            TrustedCertificateAuthorities = [ca],
        });
        ue.Start(new InboundCollector().Inbound);
        await ue.SendAsync(Request("TLS"), server.LocalEndPoint, Ct);
        ReceivedSipMessage m = await serverIn.NextAsync();
        Assert.Equal(SipTransportKind.Tls, m.Source.Transport);
    }

    [Theory]
    [InlineData("pcscf.ims.test", false)]   // chain not anchored in our CA
    [InlineData("other.ims.test", true)]    // name mismatch
    public async Task TlsRefusesAnUntrustedServer(string sni, bool trustTheRightCa)
    {
        (X509Certificate2 ca, X509Certificate2 cert) = CreateCertificates("pcscf.ims.test");
        (X509Certificate2 otherCa, _) = CreateCertificates("x.test");
        await using var server = new SipStreamTransport(SipTransportKind.Tls, AnyLoopback, new SipStreamTransportOptions { ServerCertificate = cert });
        server.Start(new InboundCollector().Inbound);
        await using var ue = new SipStreamTransport(SipTransportKind.Tls, AnyLoopback, new SipStreamTransportOptions
        {
            Listen = false,
            ServerName = sni,
            TrustedCertificateAuthorities = [trustTheRightCa ? ca : otherCa],
        });
        ue.Start(new InboundCollector().Inbound);
        await Assert.ThrowsAsync<IOException>(async () => await ue.SendAsync(Request("TLS"), server.LocalEndPoint, Ct));
    }

    [Fact]
    public void LargeUdpRequestsSwitchToTcp()
    {
        var network = new InMemorySipNetwork();
        var udp = network.CreateTransport(SipTransportKind.Udp, new IPEndPoint(IPAddress.Loopback, 5060));
        var tcp = network.CreateTransport(SipTransportKind.Tcp, new IPEndPoint(IPAddress.Loopback, 5060));
        var both = new SipTransportLayer([udp, tcp]);
        Assert.Equal(SipTransportKind.Udp, both.ChooseTransport(SipTransportKind.Udp, 1300));
        Assert.Equal(SipTransportKind.Tcp, both.ChooseTransport(SipTransportKind.Udp, 1301));
        var udpOnly = new SipTransportLayer([udp], new SipTransportLayerOptions { MtuLimit = 900 });
        Assert.Equal(SipTransportKind.Udp, udpOnly.ChooseTransport(SipTransportKind.Udp, 5000));
        var small = new SipTransportLayer([udp, tcp], new SipTransportLayerOptions { MtuLimit = 900 });
        Assert.Equal(SipTransportKind.Tcp, small.ChooseTransport(SipTransportKind.Udp, 901));
    }
}
