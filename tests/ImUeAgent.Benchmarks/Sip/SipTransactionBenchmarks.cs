// SPDX-License-Identifier: MIT
using System.Net;
using System.Text;
using BenchmarkDotNet.Attributes;
using ImUeAgent.Sip.Auth;
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Transactions;
using ImUeAgent.Sip.Transport;

namespace ImUeAgent.Benchmarks.Sip;

/// <summary>
/// Digest responses (MD5, SHA-256, AKAv2 password) and a whole non-INVITE client transaction (create, send, match
/// the 200, Completed, Timer K) through the transaction layer with a sender that does nothing. Not measured yet on
/// the target: run with bench/run.sh SipTransactionBenchmarks.
/// </summary>
[MemoryDiagnoser]
public class SipTransactionBenchmarks
{
    private static readonly byte[] User = "001010123456789@ims.mnc001.mcc001.3gppnetwork.org"u8.ToArray();
    private static readonly byte[] Realm = "ims.mnc001.mcc001.3gppnetwork.org"u8.ToArray();
    private static readonly byte[] Res = Convert.FromHexString("a54211d5e3ba50bf");
    private static readonly byte[] Ck = Convert.FromHexString("b40ba9a3c58b2a05bbf0d987b21bf8cb");
    private static readonly byte[] Ik = Convert.FromHexString("f769bcd751044604127672711c6d3441");
    private static readonly SipTransportAddress Peer = new(SipTransportKind.Tcp, new IPEndPoint(IPAddress.Loopback, 5060));

    private SipTransactionLayer _layer = null!;
    private int _n;

    [GlobalSetup]
    public void Setup()
    {
        _layer = new SipTransactionLayer(new NullSender());
    }

    [GlobalCleanup]
    public void Cleanup() => _layer.Dispose();

    [Benchmark]
    public string DigestMd5Qop() => Compute(DigestAlgorithm.Md5, "secret"u8);

    [Benchmark]
    public string DigestSha256Qop() => Compute(DigestAlgorithm.Sha256, "secret"u8);

    [Benchmark]
    public string AkaV1Response() => Compute(DigestAlgorithm.AkaV1Md5, Res);

    [Benchmark]
    public int AkaV2Password()
    {
        Span<byte> password = stackalloc byte[24];
        return DigestCalculator.AkaV2Password(Res, Ik, Ck, password);
    }

    /// <summary>Client transaction over TCP (no retransmission timers): request out, 200 in, terminated.</summary>
    [Benchmark]
    public int NonInviteClientTransaction()
    {
        SipRequest request = Message("z9hG4bK-bench-" + _n++);
        SipClientTransaction tx = _layer.SendRequest(request, Peer);
        _layer.OnMessageReceived(new ReceivedSipMessage(SipMessageBuilder.ResponseTo(request, 200, toTag: "t").BuildResponse(), Peer, Peer.EndPoint));
        return tx.FinalResponse.Result.StatusCode;
    }

    private static string Compute(DigestAlgorithm algorithm, ReadOnlySpan<byte> password) => DigestCalculator.ComputeResponse(new DigestInput
    {
        Algorithm = algorithm,
        Username = User,
        Realm = Realm,
        Password = password,
        Method = "REGISTER"u8,
        DigestUri = "sip:ims.mnc001.mcc001.3gppnetwork.org"u8,
        Nonce = "I1U8vpY3qJ0hiuZNrke/NVXzKLQ1d7m5Sp/6w1Tfr7M="u8,
        NonceCount = "00000001"u8,
        CNonce = "0a4f113b"u8,
        Qop = "auth"u8,
    });

    private static SipRequest Message(string branch) => SipMessageBuilder.Request(SipMethod.Message, SipUri.Parse("sip:bob@ims.test"))
        .Via(new ViaValue("TCP", "127.0.0.1", 5060, branch, rport: true))
        .MaxForwards(70)
        .From(new NameAddress(SipUri.Parse("sip:alice@ims.test"), null, new SipParameter("tag", "a1")))
        .To(new NameAddress(SipUri.Parse("sip:bob@ims.test")))
        .CallId("bench@127.0.0.1")
        .CSeq(1, SipMethod.Message)
        .Body(new MediaType("text", "plain"), Encoding.UTF8.GetBytes("hi"))
        .BuildRequest();

    private sealed class NullSender : ISipSender
    {
        public ValueTask SendAsync(SipMessage message, SipTransportAddress destination, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
