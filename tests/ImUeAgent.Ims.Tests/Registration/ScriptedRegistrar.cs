// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Net;
using System.Text;
using System.Threading.Channels;
using ImUeAgent.Sip.Auth;
using ImUeAgent.Sip.Dialogs;
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Transactions;
using ImUeAgent.Sip.Transport;
using ImUeAgent.Sip.Ua;
using Microsoft.Extensions.Time.Testing;

namespace ImUeAgent.Ims.Tests.Registration;

/// <summary>A scripted P-CSCF/registrar on the in-memory network: AKA challenges from <see cref="TestHss"/>, checks the
/// digest with XRES, answers 200 with Service-Route and P-Associated-URI; <see cref="Script"/> overrides responses
/// one request at a time (null drops the request: a timeout). Every REGISTER is recorded with its fake-clock time.</summary>
internal sealed class ScriptedRegistrar : IAsyncDisposable
{
    public const string Realm = "ims.test";
    private readonly FakeTimeProvider _time;
    private readonly TestHss _hss;
    private readonly Channel<(SipRequest Request, DateTimeOffset At)> _registers = Channel.CreateUnbounded<(SipRequest, DateTimeOffset)>();
    private readonly Channel<SipRequest> _subscribes = Channel.CreateUnbounded<SipRequest>();
    private SipDialog? _notifyDialog;

    public ScriptedRegistrar(InMemorySipNetwork network, IPEndPoint endPoint, FakeTimeProvider time, TestHss hss, SipTransportKind kind = SipTransportKind.Udp)
    {
        _time = time;
        _hss = hss;
        EndPoint = endPoint;
        Ua = new SipUserAgent(new SipTransportLayer([network.CreateTransport(kind, endPoint)], timeProvider: time), timeProvider: time);
        Ua.SetHandler(SipMethod.Register, OnRegister);
        Ua.SetHandler(SipMethod.Subscribe, OnSubscribe);
        Ua.Start();
    }

    public SipUserAgent Ua { get; }

    public IPEndPoint EndPoint { get; }

    /// <summary>Scripted answers, first in first used; a function returning null drops the request.</summary>
    public Queue<Func<SipRequest, SipResponse?>> Script { get; } = new();

    /// <summary>Drop every REGISTER (a dead P-CSCF).</summary>
    public bool Silent { get; set; }

    public uint? MinExpires { get; set; }

    /// <summary>Caps the granted expiry; null grants what was asked.</summary>
    public uint? MaxExpires { get; set; }

    public int RegisterCount { get; private set; }

    public SipRequest? LastSubscribe { get; private set; }

    public async Task<(SipRequest Request, DateTimeOffset At)> NextRegisterAsync()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(10));
        return await _registers.Reader.ReadAsync(cts.Token);
    }

    public bool TryNextRegister(out (SipRequest Request, DateTimeOffset At) r) => _registers.Reader.TryRead(out r);

    public async Task<SipRequest> NextSubscribeAsync()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(10));
        return await _subscribes.Reader.ReadAsync(cts.Token);
    }

    /// <summary>Sends a reg-event NOTIFY in the subscription's dialog.</summary>
    public Task<SipResponse> NotifyAsync(string reginfo, string subscriptionState = "active;expires=600000")
    {
        SipDialog dialog = _notifyDialog ?? throw new InvalidOperationException("No SUBSCRIBE yet");
        SipRequest notify = dialog.CreateRequest(SipMethod.Notify)
            .Add(SipHeaderId.Event, "reg")
            .Add(SipHeaderId.SubscriptionState, subscriptionState)
            .Body(new MediaType("application", "reginfo+xml"), Encoding.UTF8.GetBytes(reginfo))
            .BuildRequest();
        return Ua.SendAsync(notify, options: new SipSendOptions { UsePreloadedRoute = false, Authenticate = false });
    }

    public static string RegInfo(string aor, string registrationState, string contactUri, string contactState, string @event, int? expires = null, int version = 1) =>
        $"""<?xml version="1.0"?><reginfo xmlns="urn:ietf:params:xml:ns:reginfo" version="{version}" state="full"><registration aor="{aor}" id="r1" state="{registrationState}"><contact id="c1" state="{contactState}" event="{@event}"{(expires is { } e ? $" expires=\"{e}\"" : "")}><uri>{contactUri}</uri></contact></registration></reginfo>""";

    private ValueTask OnRegister(SipServerTransaction tx, SipDialog? dialog)
    {
        SipRequest r = tx.Request;
        RegisterCount++;
        _registers.Writer.TryWrite((r, _time.GetUtcNow()));
        if (Script.TryDequeue(out Func<SipRequest, SipResponse?>? scripted))
        {
            if (scripted(r) is { } answer)
            {
                tx.Respond(answer);
            }

            return ValueTask.CompletedTask;
        }

        if (Silent)
        {
            return ValueTask.CompletedTask;
        }

        tx.Respond(Default(r));
        return ValueTask.CompletedTask;
    }

    private SipResponse Default(SipRequest r)
    {
        ContactValue contact = r.Headers.Contact.Single();
        uint asked = contact.Expires ?? r.Headers.Expires ?? 3600;
        if (asked != 0 && MinExpires is { } min && asked < min)
        {
            return SipMessageBuilder.ResponseTo(r, 423, toTag: "reg").Add(SipHeaderId.MinExpires, min.ToString(CultureInfo.InvariantCulture)).BuildResponse();
        }

        AuthenticationValue? auth = r.Headers.Authorization is { Count: > 0 } all ? all[0] : null;
        if (auth is null || string.IsNullOrEmpty(auth.Nonce))
        {
            return Challenge(r);
        }

        if (auth.Auts is { } auts)
        {
            return _hss.Resynchronise(auth.Nonce, Convert.FromBase64String(auts)) ? Challenge(r) : Forbidden(r);
        }

        if (string.IsNullOrEmpty(auth.Response))
        {
            return Forbidden(r);
        }

        byte[]? xres = _hss.Xres(auth.Nonce);
        if (xres is null)
        {
            return Challenge(r);
        }

        string expected = DigestCalculator.ComputeResponse(new DigestInput
        {
            Algorithm = DigestAlgorithm.AkaV1Md5,
            Username = Encoding.UTF8.GetBytes(auth.Username!),
            Realm = Encoding.UTF8.GetBytes(Realm),
            Password = xres,
            Method = "REGISTER"u8,
            DigestUri = Encoding.UTF8.GetBytes(auth.Uri!),
            Nonce = Encoding.UTF8.GetBytes(auth.Nonce),
            NonceCount = Encoding.UTF8.GetBytes(auth.NonceCount!),
            CNonce = Encoding.UTF8.GetBytes(auth.CNonce!),
            Qop = "auth"u8,
        });
        if (expected != auth.Response)
        {
            return Forbidden(r);
        }

        uint granted = MaxExpires is { } max && asked > max ? max : asked;
        SipMessageBuilder ok = SipMessageBuilder.ResponseTo(r, 200, toTag: "reg");
        if (granted > 0)
        {
            ok.Add(SipHeaderId.Contact, r.Headers.GetValue(SipHeaderId.Contact) + ";expires=" + granted.ToString(CultureInfo.InvariantCulture));
        }

        return ok.Add(SipHeaderId.ServiceRoute, "<sip:orig@scscf.ims.test;lr>")
            .Add(SipHeaderId.PAssociatedUri, "<sip:alice@ims.test>, <tel:+15550100>")
            .Add(SipHeaderId.Path, "<sip:term@pcscf.ims.test;lr>")
            .BuildResponse();
    }

    public SipResponse Challenge(SipRequest r) =>
        SipMessageBuilder.ResponseTo(r, 401, toTag: "reg")
            .Add(SipHeaderId.WwwAuthenticate, $"Digest realm=\"{Realm}\", nonce=\"{_hss.NewChallenge()}\", algorithm=AKAv1-MD5, qop=\"auth\"")
            .BuildResponse();

    private static SipResponse Forbidden(SipRequest r) => SipMessageBuilder.ResponseTo(r, 403, toTag: "reg").BuildResponse();

    private ValueTask OnSubscribe(SipServerTransaction tx, SipDialog? dialog)
    {
        SipRequest r = tx.Request;
        if (dialog is null)
        {
            LastSubscribe = r;
            _notifyDialog = SipDialog.CreateUas(r, "sub");
            Ua.Dialogs.Add(_notifyDialog);
        }

        _subscribes.Writer.TryWrite(r);
        tx.Respond(SipMessageBuilder.ResponseTo(r, 200, toTag: "sub")
            .Add(SipHeaderId.Expires, r.Headers.Expires?.ToString(CultureInfo.InvariantCulture) ?? "600000")
            .Contact(new ContactValue(new NameAddress(SipUri.Parse("sip:scscf@" + EndPoint))))
            .BuildResponse());
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => Ua.DisposeAsync();
}
