// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Net;
using System.Threading.Channels;
using ImUeAgent.Ims.Registration;
using ImUeAgent.Sip.Dialogs;
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Transactions;
using ImUeAgent.Sip.Transport;
using ImUeAgent.Sip.Ua;
using Microsoft.Extensions.Time.Testing;

namespace ImUeAgent.Im.Tests.Settings;

/// <summary>
/// The other side of an <c>ImSettingsPublisher</c> on the in-memory SIP network: a P-CSCF/registrar answering REGISTER
/// with 200 (granting <see cref="RegistrationExpires"/>, Service-Route and P-Associated-URI) and an RFC 3903 event
/// state compositor for Event: poc-settings (a fresh SIP-ETag per 2xx, 412 for an unknown SIP-If-Match, Expires 0
/// removes). <see cref="PublishScript"/> overrides answers one PUBLISH at a time (a function returning null drops the
/// request: a timeout). Every PUBLISH is recorded with its fake-clock time.
/// </summary>
internal sealed class SettingsTestCore : IAsyncDisposable
{
    public static readonly IPEndPoint PcscfEndPoint = new(IPAddress.Parse("10.0.0.1"), 5060);
    public static readonly IPAddress UeAddress = IPAddress.Parse("10.0.0.2");
    public const string Impu = "sip:alice@ims.test";

    private readonly FakeTimeProvider _time;
    private readonly Channel<(SipRequest Request, DateTimeOffset At)> _publishes = Channel.CreateUnbounded<(SipRequest, DateTimeOffset)>();
    private readonly Channel<SipRequest> _registers = Channel.CreateUnbounded<SipRequest>();
    private int _etagCounter;

    public SettingsTestCore(InMemorySipNetwork network, FakeTimeProvider time)
    {
        Network = network;
        _time = time;
        Ua = new SipUserAgent(new SipTransportLayer([
            network.CreateTransport(SipTransportKind.Udp, PcscfEndPoint),
            network.CreateTransport(SipTransportKind.Tcp, PcscfEndPoint)], timeProvider: time), timeProvider: time);
        Ua.SetHandler(SipMethod.Register, OnRegister);
        Ua.SetHandler(SipMethod.Publish, OnPublish);
        Ua.Start();
    }

    public InMemorySipNetwork Network { get; }

    public SipUserAgent Ua { get; }

    /// <summary>What the registrar grants.</summary>
    public uint RegistrationExpires { get; set; } = 600000;

    /// <summary>P-Associated-URI of the 200 to REGISTER.</summary>
    public string AssociatedUris { get; set; } = "<" + Impu + ">, <tel:+15550100>";

    /// <summary>Scripted answers to PUBLISH, first in first used; null drops the request.</summary>
    public Queue<Func<SipRequest, SipResponse?>> PublishScript { get; } = new();

    /// <summary>The compositor's current entity tag (null: nothing published).</summary>
    public string? CurrentETag { get; private set; }

    public int RegisterCount { get; private set; }

    public async Task<(SipRequest Request, DateTimeOffset At)> NextPublishAsync()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(10));
        return await _publishes.Reader.ReadAsync(cts.Token);
    }

    public bool TryNextPublish(out (SipRequest Request, DateTimeOffset At) publish) => _publishes.Reader.TryRead(out publish);

    public async Task<SipRequest> NextRegisterAsync()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(10));
        return await _registers.Reader.ReadAsync(cts.Token);
    }

    /// <summary>A registration of <see cref="Impu"/> by digest (no AKA) through this core, not started.</summary>
    public ImsRegistration CreateRegistration() => new(new ImsRegistrationSettings
    {
        Impi = "alice@ims.test",
        Impus = [Impu],
        HomeDomain = "ims.test",
        Pcscfs = [new PcscfAddress(PcscfEndPoint.Address)],
        LocalAddress = UeAddress,
        ContactFeatureTags = ["+g.oma.sip-im"],
        SubscribeRegEvent = false,
        Digest = new DigestRegistrationCredentials("alice@ims.test", "secret"),
    }, null, _time, null,
        a => new SipUserAgent(new SipTransportLayer([
            Network.CreateTransport(SipTransportKind.Udp, new IPEndPoint(a, 5060)),
            Network.CreateTransport(SipTransportKind.Tcp, new IPEndPoint(a, 5060))], timeProvider: _time), timeProvider: _time),
        random: () => 0.0);

    public static SipResponse Answer(SipRequest r, int status, params (string Name, string Value)[] headers)
    {
        SipMessageBuilder b = SipMessageBuilder.ResponseTo(r, status, toTag: "esc");
        foreach ((string name, string value) in headers)
        {
            b.Add(name, value);
        }

        return b.BuildResponse();
    }

    private ValueTask OnRegister(SipServerTransaction tx, SipDialog? dialog)
    {
        SipRequest r = tx.Request;
        RegisterCount++;
        _registers.Writer.TryWrite(r);
        uint asked = r.Headers.Contact.Single().Expires ?? r.Headers.Expires ?? 3600;
        SipMessageBuilder ok = SipMessageBuilder.ResponseTo(r, 200, toTag: "reg");
        if (asked > 0)
        {
            uint granted = Math.Min(asked, RegistrationExpires);
            ok.Add(SipHeaderId.Contact, r.Headers.GetValue(SipHeaderId.Contact) + ";expires=" + granted.ToString(CultureInfo.InvariantCulture));
        }

        tx.Respond(ok.Add(SipHeaderId.ServiceRoute, "<sip:orig@scscf.ims.test;lr>")
            .Add(SipHeaderId.PAssociatedUri, AssociatedUris)
            .BuildResponse());
        return ValueTask.CompletedTask;
    }

    private ValueTask OnPublish(SipServerTransaction tx, SipDialog? dialog)
    {
        SipRequest r = tx.Request;
        _publishes.Writer.TryWrite((r, _time.GetUtcNow()));
        if (PublishScript.TryDequeue(out Func<SipRequest, SipResponse?>? scripted))
        {
            if (scripted(r) is { } answer)
            {
                tx.Respond(answer);
            }

            return ValueTask.CompletedTask;
        }

        tx.Respond(Compose(r));
        return ValueTask.CompletedTask;
    }

    /// <summary>RFC 3903 §6, the compositor's steps for one PUBLISH.</summary>
    private SipResponse Compose(SipRequest r)
    {
        string? ifMatch = r.Headers.GetValue("SIP-If-Match");
        if (ifMatch is not null && ifMatch != CurrentETag)
        {
            return Answer(r, 412);
        }

        uint expires = r.Headers.Expires ?? 3600;
        if (expires == 0)
        {
            CurrentETag = null;
            return Answer(r, 200, ("SIP-ETag", ifMatch ?? "none"), ("Expires", "0"));
        }

        if (ifMatch is null && r.Body.IsEmpty)
        {
            return Answer(r, 400);
        }

        CurrentETag = "etag" + Interlocked.Increment(ref _etagCounter).ToString(CultureInfo.InvariantCulture);
        return Answer(r, 200, ("SIP-ETag", CurrentETag), ("Expires", expires.ToString(CultureInfo.InvariantCulture)));
    }

    public ValueTask DisposeAsync() => Ua.DisposeAsync();
}
