// SPDX-License-Identifier: MIT
using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using ImUeAgent.Sip.Message;
using ImUeAgent.Testbed.Core;
using ImUeAgent.Testbed.Modem;
using ImUeAgent.Testbed.Tests.Modem;
using ImUeAgent.Uicc.Aka;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace ImUeAgent.Testbed.Tests.Core;

/// <summary>Collects the JSON lines of the core's message log.</summary>
internal sealed class LineCollector : TextWriter
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly StringBuilder _current = new();

    public override Encoding Encoding => Encoding.UTF8;

    public IReadOnlyList<string> Lines => [.. _lines];

    public override void Write(char value)
    {
        lock (_current)
        {
            if (value == '\n')
            {
                _lines.Enqueue(_current.ToString().TrimEnd('\r'));
                _current.Clear();
            }
            else
            {
                _current.Append(value);
            }
        }
    }

    public IEnumerable<JsonElement> Entries() => Lines.Select(l => JsonDocument.Parse(l).RootElement);
}

/// <summary>A core on loopback (port 0, UDP and TCP) with a fake clock and its log in memory.</summary>
internal sealed class CoreFixture : IAsyncDisposable
{
    public const string Domain = "ims.mnc001.mcc001.3gppnetwork.org";
    public const string Impi = "001010123456789@ims.mnc001.mcc001.3gppnetwork.org";
    public const string Impu = "sip:001010123456789@ims.mnc001.mcc001.3gppnetwork.org";
    public const string Tel = "tel:+15550123456";
    public const string BobImpi = "001010000000002@ims.mnc001.mcc001.3gppnetwork.org";
    public const string BobImpu = "sip:001010000000002@ims.mnc001.mcc001.3gppnetwork.org";
    public const string CarolImpu = "sip:carol@ims.mnc001.mcc001.3gppnetwork.org";

    /// <summary>Bob's key: TS 35.208 test set 2.</summary>
    public static readonly byte[] BobK = Convert.FromHexString("0396eb317b6d1c36f19c1c84cd6ffd16");
    public static readonly byte[] BobOpc = Convert.FromHexString("53c15671c60a4b731c55b4a441c0bde2");

    private CoreFixture(ImsCore core, LineCollector log, SipMessageLog messageLog, SignallingTimeProvider time)
    {
        Core = core;
        Log = log;
        MessageLog = messageLog;
        Time = time;
    }

    public ImsCore Core { get; }

    public LineCollector Log { get; }

    public SipMessageLog MessageLog { get; }

    public SignallingTimeProvider Time { get; }

    public IPEndPoint Udp => Core.UdpEndPoint!;

    public IPEndPoint Tcp => Core.TcpEndPoint!;

    public static IReadOnlyList<Subscriber> DefaultSubscribers(AuthenticationScheme scheme = AuthenticationScheme.AkaV1) =>
    [
        new Subscriber { Impi = Impi, Impus = [Impu, Tel], Scheme = scheme, K = CardSettings.TestSet1K, Opc = CardSettings.TestSet1Opc },
        new Subscriber { Impi = BobImpi, Impus = [BobImpu], K = BobK, Opc = BobOpc },
        new Subscriber { Impi = "carol@" + Domain, Impus = [CarolImpu], Scheme = AuthenticationScheme.DigestMd5, Password = "carol-secret" },
    ];

    public static CoreFixture Start(CoreSettings? settings = null, IReadOnlyList<Subscriber>? subscribers = null, int indBits = 5,
        IReadOnlyList<IApplicationServer>? applicationServers = null)
    {
        var time = new SignallingTimeProvider();
        var log = new LineCollector();
        var messageLog = new SipMessageLog(log, time, ownsWriter: false);
        var loopback = new IPEndPoint(IPAddress.Loopback, 0);
        var core = ImsCore.Start(settings ?? new CoreSettings(), new Hss(subscribers ?? DefaultSubscribers(), indBits), messageLog, NullLogger.Instance, time,
            loopback, loopback, applicationServers);
        return new CoreFixture(core, log, messageLog, time);
    }

    public Task<string> ControlAsync(string line) => Core.ControlAsync(line, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        await Core.DisposeAsync();
        MessageLog.Dispose();
    }
}

/// <summary>The UE side: a socket on loopback, messages built with SipMessageBuilder, IMS AKA computed here with
/// Milenage as a card would (independently of the core's code).</summary>
internal sealed class TestUe : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly IPEndPoint _core;
    private readonly Channel<SipMessage> _received = Channel.CreateUnbounded<SipMessage>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;
    private int _cseq;

    private TestUe(Socket socket, IPEndPoint core, bool tcp, string impi, IReadOnlyList<string> impus)
    {
        _socket = socket;
        _core = core;
        IsTcp = tcp;
        Impi = impi;
        Impus = impus;
        Local = (IPEndPoint)socket.LocalEndPoint!;
        _reader = tcp ? Task.Run(ReadStreamAsync) : Task.Run(ReadDatagramsAsync);
    }

    public bool IsTcp { get; }

    public string Transport => IsTcp ? "TCP" : "UDP";

    public string Impi { get; }

    public IReadOnlyList<string> Impus { get; }

    public string Impu => Impus[0];

    public IPEndPoint Local { get; }

    public byte[] K { get; init; } = CardSettings.TestSet1K;

    public byte[] Opc { get; init; } = CardSettings.TestSet1Opc;

    public string? Password { get; init; }

    public string CallId { get; set; } = Guid.NewGuid().ToString("N");

    public string Tag { get; } = Guid.NewGuid().ToString("N")[..8];

    public string ContactUri => $"sip:ue@{Local}" + (IsTcp ? ";transport=tcp" : string.Empty);

    public IReadOnlyList<string> ServiceRoute { get; set; } = [];

    public static async Task<TestUe> ConnectAsync(IPEndPoint core, bool tcp, string impi = CoreFixture.Impi, IReadOnlyList<string>? impus = null,
        byte[]? k = null, byte[]? opc = null, string? password = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, tcp ? SocketType.Stream : SocketType.Dgram, tcp ? ProtocolType.Tcp : ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        if (tcp)
        {
            await socket.ConnectAsync(core);
        }

        return new TestUe(socket, core, tcp, impi, impus ?? [CoreFixture.Impu, CoreFixture.Tel])
        {
            K = k ?? CardSettings.TestSet1K,
            Opc = opc ?? CardSettings.TestSet1Opc,
            Password = password,
        };
    }

    public uint NextCSeq() => (uint)Interlocked.Increment(ref _cseq);

    public static string Branch() => "z9hG4bK" + Guid.NewGuid().ToString("N")[..16];

    public SipMessageBuilder Request(SipMethod method, string requestUri, string? to = null, uint? cseq = null, string? branch = null)
    {
        return SipMessageBuilder.Request(method, SipUri.Parse(requestUri))
            .Via(new ViaValue(Transport, "127.0.0.1", Local.Port, branch ?? Branch(), rport: true))
            .MaxForwards(70)
            .Add(SipHeaderId.From, $"<{Impu}>;tag={Tag}")
            .Add(SipHeaderId.To, $"<{to ?? Impu}>")
            .CallId(CallId)
            .CSeq(cseq ?? NextCSeq(), method);
    }

    /// <summary>REGISTER per TS 24.229 §5.1.1.2 with the given Authorization (null: none).</summary>
    public SipRequest Register(string? authorization, uint expires = 600, bool path = false, string? contact = null)
    {
        var b = Request(SipMethod.Register, "sip:" + CoreFixture.Domain)
            .Add(SipHeaderId.Contact, $"<{contact ?? ContactUri}>;expires={expires.ToString(CultureInfo.InvariantCulture)}")
            .Add(SipHeaderId.Expires, expires.ToString(CultureInfo.InvariantCulture));
        if (path)
        {
            b.Add(SipHeaderId.Supported, "path").Add(SipHeaderId.Path, "<sip:edge.example.net;lr>");
        }

        if (authorization is not null)
        {
            b.Add(SipHeaderId.Authorization, authorization);
        }

        return b.BuildRequest();
    }

    public string InitialAuthorization() =>
        $"Digest username=\"{Impi}\", realm=\"{CoreFixture.Domain}\", uri=\"sip:{CoreFixture.Domain}\", nonce=\"\", response=\"\"";

    public async Task SendAsync(SipMessage message)
    {
        if (IsTcp)
        {
            await _socket.SendAsync(message.Raw, SocketFlags.None);
        }
        else
        {
            await _socket.SendToAsync(message.Raw, SocketFlags.None, _core);
        }
    }

    public async Task<SipMessage> ReceiveAsync()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TestSupport.Patience);
        return await _received.Reader.ReadAsync(timeout.Token);
    }

    public async Task<SipResponse> ReceiveResponseAsync() => Assert.IsType<SipResponse>(await ReceiveAsync());

    public async Task<SipRequest> ReceiveRequestAsync() => Assert.IsType<SipRequest>(await ReceiveAsync());

    public bool TryReceive(out SipMessage? message) => _received.Reader.TryRead(out message);

    public async Task<SipResponse> SendAndReceiveAsync(SipMessage message)
    {
        await SendAsync(message);
        return await ReceiveResponseAsync();
    }

    /// <summary>Answers a request with a plain response (copying Via, From, To + tag, Call-ID, CSeq).</summary>
    public async Task AnswerAsync(SipRequest request, int status) =>
        await SendAsync(SipMessageBuilder.ResponseTo(request, status, toTag: "ue" + Tag).Build());

    /// <summary>An OPTIONS round trip to the core itself: messages from one socket are handled in order, so when its
    /// 200 is back everything sent before it (e.g. a 200 to a NOTIFY) has been processed.</summary>
    public async Task SyncAsync()
    {
        var options = Request(SipMethod.Options, $"sip:{_core}").BuildRequest();
        Assert.Equal(200, (await SendAndReceiveAsync(options)).StatusCode);
    }

    /// <summary>Runs the whole registration: initial REGISTER, 401, AKA (or MD5) answer, 200.</summary>
    public async Task<SipResponse> RegisterAsync(uint expires = 600)
    {
        var challenge = await SendAndReceiveAsync(Register(Password is null ? InitialAuthorization() : null, expires));
        Assert.Equal(401, challenge.StatusCode);
        var ok = await SendAndReceiveAsync(Register(Answer(challenge), expires));
        Assert.Equal(200, ok.StatusCode);
        ServiceRoute = [.. ok.Headers.ServiceRoute.Select(r => r.ToString())];
        return ok;
    }

    /// <summary>The Authorization answering a 401: AKA as the card computes it (RES as password), or MD5.</summary>
    public string Answer(SipResponse challenge, byte[]? overrideRes = null, string method = "REGISTER")
    {
        var www = challenge.Headers.WwwAuthenticate[0];
        byte[] password;
        if (Password is not null)
        {
            password = Encoding.UTF8.GetBytes(Password);
        }
        else
        {
            var aka = Aka(www.Nonce!);
            Assert.True(aka.MacValid, "the network's MAC-A must verify");
            password = overrideRes ?? aka.Res;
            if (string.Equals(www.Algorithm, "AKAv2-MD5", StringComparison.OrdinalIgnoreCase))
            {
                var key = aka.Res.Concat(aka.Ik).Concat(aka.Ck).ToArray();
#pragma warning disable CA5351 // RFC 4169 defines HMAC-MD5.
                password = Encoding.ASCII.GetBytes(Convert.ToBase64String(HMACMD5.HashData(key, "http-digest-akav2-password"u8)));
#pragma warning restore CA5351
            }
        }

        var uri = "sip:" + CoreFixture.Domain;
        var cnonce = "0a4f113b";
        var response = DigestResponse(Impi, www.Realm!, password, method, uri, www.Nonce!, "auth", "00000001", cnonce);
        return $"Digest username=\"{Impi}\", realm=\"{www.Realm}\", uri=\"{uri}\", nonce=\"{www.Nonce}\", response=\"{response}\", algorithm={www.Algorithm}, qop=auth, nc=00000001, cnonce=\"{cnonce}\"";
    }

    /// <summary>What the card computes for a nonce: SQN (opened with AK), MAC-A check, RES, CK, IK.</summary>
    public (ulong Sqn, bool MacValid, byte[] Res, byte[] Ck, byte[] Ik, byte[] Rand) Aka(string nonce)
    {
        var bytes = Convert.FromBase64String(nonce);
        Assert.Equal(32, bytes.Length);
        var rand = bytes[..16];
        var autn = bytes[16..32];
        using var milenage = new Milenage(K, Opc);
        var res = new byte[8];
        var ck = new byte[16];
        var ik = new byte[16];
        var ak = new byte[6];
        milenage.F2345(rand, res, ck, ik, ak);
        var sqn = new byte[6];
        for (var i = 0; i < 6; i++)
        {
            sqn[i] = (byte)(autn[i] ^ ak[i]);
        }

        var mac = new byte[8];
        milenage.F1(rand, sqn, autn.AsSpan(6, 2), mac);
        return (Milenage.ReadSqn(sqn), mac.AsSpan().SequenceEqual(autn.AsSpan(8)), res, ck, ik, rand);
    }

    /// <summary>AUTS for a re-synchronisation with the card's SQN_MS (TS 33.102 §6.3.3).</summary>
    public string Auts(string nonce, ulong sqnMs)
    {
        var rand = Convert.FromBase64String(nonce)[..16];
        using var milenage = new Milenage(K, Opc);
        var sqn = new byte[6];
        Milenage.WriteSqn(sqnMs, sqn);
        var auts = new byte[14];
        milenage.ComputeAuts(rand, sqn, auts);
        return Convert.ToBase64String(auts);
    }

    /// <summary>RFC 2617 §3.2.2.1, written here independently of the core.</summary>
    public static string DigestResponse(string user, string realm, byte[] password, string method, string uri, string nonce, string qop, string nc, string cnonce)
    {
#pragma warning disable CA5351 // RFC 2617 defines MD5.
        static string H(byte[] data) => Convert.ToHexStringLower(MD5.HashData(data));
#pragma warning restore CA5351
        var ha1 = H([.. Encoding.UTF8.GetBytes($"{user}:{realm}:"), .. password]);
        var ha2 = H(Encoding.UTF8.GetBytes($"{method}:{uri}"));
        return H(Encoding.UTF8.GetBytes($"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}"));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        try
        {
            await _reader;
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException or IOException)
        {
            // Closed.
        }

        _stop.Dispose();
    }

    private async Task ReadDatagramsAsync()
    {
        var buffer = new byte[65535];
        while (!_stop.IsCancellationRequested)
        {
            var result = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
            var parsed = SipParser.Parse(buffer.AsMemory(0, result.ReceivedBytes), SipFraming.Datagram);
            if (parsed.IsComplete)
            {
                _received.Writer.TryWrite(parsed.Message!);
            }
        }
    }

    private async Task ReadStreamAsync()
    {
        var reader = PipeReader.Create(new NetworkStream(_socket, ownsSocket: false));
        while (!_stop.IsCancellationRequested)
        {
            var read = await reader.ReadAsync(_stop.Token);
            var buffer = read.Buffer;
            while (true)
            {
                var parsed = SipParser.Parse(buffer, SipFraming.Stream);
                if (parsed.Status is SipParseStatus.Incomplete or SipParseStatus.Error)
                {
                    break;
                }

                if (parsed.IsComplete)
                {
                    _received.Writer.TryWrite(parsed.Message!);
                }

                buffer = buffer.Slice(parsed.Consumed);
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (read.IsCompleted)
            {
                _received.Writer.TryComplete();
                return;
            }
        }
    }
}
