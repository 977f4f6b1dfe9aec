// SPDX-License-Identifier: MIT
using System.Collections.Concurrent;
using System.Net;
using System.Text;
using ImUeAgent.Sip.Auth;
using ImUeAgent.Sip.Dialogs;
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Transactions;
using ImUeAgent.Sip.Transport;
using ImUeAgent.Sip.Ua;
using Microsoft.Extensions.Time.Testing;

namespace ImUeAgent.Sip.Tests.Ua;

public sealed class SipUserAgentTests : IAsyncDisposable
{
    private const string Impi = "001010123456789@ims.test";
    private const string Realm = "ims.test";
    private const string Nonce = "I1U8vpY3qJ0hiuZNrke/NVXzKLQ1d7m5Sp/6w1Tfr7M=";
    private static readonly byte[] Res = Convert.FromHexString("a54211d5e3ba50bf");
    private static readonly IPEndPoint UeEndPoint = new(IPAddress.Parse("10.0.0.2"), 5060);
    private static readonly IPEndPoint CoreEndPoint = new(IPAddress.Parse("10.0.0.1"), 5060);

    private readonly SipUserAgent _ue;
    private readonly SipUserAgent _core;
    private readonly ConcurrentQueue<SipRequest> _coreSaw = new();

    public SipUserAgentTests()
    {
        var network = new InMemorySipNetwork();
        var time = new FakeTimeProvider();
        _ue = new SipUserAgent(new SipTransportLayer([network.CreateTransport(SipTransportKind.Udp, UeEndPoint)]), timeProvider: time);
        _core = new SipUserAgent(new SipTransportLayer([network.CreateTransport(SipTransportKind.Udp, CoreEndPoint)]), timeProvider: time);
        _ue.Authenticator = new SipAuthenticator([new AkaCredentials(Impi, new Card())]);
        _ue.OutboundProxy = new SipTransportAddress(SipTransportKind.Udp, CoreEndPoint);
        _core.SetHandler(SipMethod.Register, Registrar);
        _core.SetHandler(SipMethod.Message, (tx, _) =>
        {
            _coreSaw.Enqueue(tx.Request);
            tx.Respond(SipMessageBuilder.ResponseTo(tx.Request, 200, toTag: "m1").BuildResponse());
            return ValueTask.CompletedTask;
        });
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class Card : IAkaResponder
    {
        public ValueTask<AkaResponderResult> AuthenticateAsync(ReadOnlyMemory<byte> rand, ReadOnlyMemory<byte> autn, CancellationToken cancellationToken) =>
            ValueTask.FromResult(AkaResponderResult.Success(Res, new byte[16], new byte[16]));
    }

    /// <summary>A registrar that challenges with AKAv1-MD5 and checks the answer with RES (the HSS side's XRES).</summary>
    private ValueTask Registrar(SipServerTransaction tx, SipDialog? dialog)
    {
        SipRequest r = tx.Request;
        _coreSaw.Enqueue(r);
        AuthenticationValue? auth = r.Headers.Authorization is { Count: > 0 } all ? all[0] : null;
        if (auth is null || string.IsNullOrEmpty(auth.Response))
        {
            tx.Respond(SipMessageBuilder.ResponseTo(r, 401, toTag: "reg")
                .Add(SipHeaderId.WwwAuthenticate, $"Digest realm=\"{Realm}\", nonce=\"{Nonce}\", algorithm=AKAv1-MD5, qop=\"auth\"")
                .BuildResponse());
            return ValueTask.CompletedTask;
        }

        string expected = DigestCalculator.ComputeResponse(new DigestInput
        {
            Algorithm = DigestAlgorithm.AkaV1Md5,
            Username = Encoding.UTF8.GetBytes(auth.Username!),
            Realm = Encoding.UTF8.GetBytes(Realm),
            Password = Res,
            Method = "REGISTER"u8,
            DigestUri = Encoding.UTF8.GetBytes(auth.Uri!),
            Nonce = Encoding.UTF8.GetBytes(Nonce),
            NonceCount = Encoding.UTF8.GetBytes(auth.NonceCount!),
            CNonce = Encoding.UTF8.GetBytes(auth.CNonce!),
            Qop = "auth"u8,
        });
        tx.Respond(SipMessageBuilder.ResponseTo(r, expected == auth.Response ? 200 : 403, toTag: "reg")
            .Add(SipHeaderId.ServiceRoute, "<sip:orig@scscf.ims.test;lr>")
            .BuildResponse());
        return ValueTask.CompletedTask;
    }

    private SipMessageBuilder OutOfDialog(SipMethod method, string uri, uint cseq = 1) =>
        SipMessageBuilder.Request(method, SipUri.Parse(uri))
            .From(new NameAddress(SipUri.Parse("sip:" + Impi), null, new SipParameter("tag", SipUserAgent.NewTag())))
            .To(new NameAddress(SipUri.Parse(uri)))
            .CallId(SipUserAgent.NewTag())
            .CSeq(cseq, method)
            .Contact(new ContactValue(new NameAddress(_ue.ContactUri("ue"))));

    [Fact]
    public async Task RegisterIsChallengedAndRetriedWithAkaCredentials()
    {
        _ue.Start();
        _core.Start();
        SipRequest register = OutOfDialog(SipMethod.Register, "sip:" + Realm)
            .Authentication(SipHeaderId.Authorization, SipAuthenticator.InitialImsAuthorization(Impi, Realm, SipUri.Parse("sip:" + Realm)))
            .Add(SipHeaderId.Expires, "600000")
            .BuildRequest();
        SipResponse final = await _ue.SendAsync(register, cancellationToken: Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(200, final.StatusCode);
        SipRequest[] seen = [.. _coreSaw];
        Assert.Equal(2, seen.Length);
        Assert.Equal([1u, 2u], seen.Select(s => s.Headers.CSeq!.Number));
        Assert.Equal(seen[0].Headers.CallId, seen[1].Headers.CallId);
        Assert.NotEqual(seen[0].Headers.TopVia!.Branch, seen[1].Headers.TopVia!.Branch);
        Assert.Equal(string.Empty, seen[0].Headers.Authorization.Single().Nonce);
        Assert.Equal(Nonce, seen[1].Headers.Authorization.Single().Nonce);
        Assert.Equal("600000", seen[1].Headers.GetValue(SipHeaderId.Expires));
        Assert.Equal("UDP", seen[1].Headers.TopVia!.Transport);
        Assert.Equal("10.0.0.2", seen[1].Headers.TopVia!.Host);
        Assert.Equal(["sip:orig@scscf.ims.test;lr"], final.Headers.ServiceRoute.Select(r => r.Uri.ToString()));
    }

    [Fact]
    public async Task PreloadedRouteGoesOnOutOfDialogRequests()
    {
        _ue.Start();
        _core.Start();
        _ue.PreloadedRoute = [new NameAddress(SipUri.Parse("sip:pcscf.ims.test;lr")), new NameAddress(SipUri.Parse("sip:orig@scscf.ims.test;lr"))];
        SipRequest message = OutOfDialog(SipMethod.Message, "sip:bob@ims.test")
            .Body(new MediaType("text", "plain"), Encoding.UTF8.GetBytes("hi"))
            .BuildRequest();
        SipResponse final = await _ue.SendAsync(message, cancellationToken: Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(200, final.StatusCode);
        SipRequest seen = Assert.Single(_coreSaw);
        Assert.Equal(["sip:pcscf.ims.test;lr", "sip:orig@scscf.ims.test;lr"], seen.Headers.Route.Select(r => r.Uri.ToString()));
        Assert.Equal("hi", Encoding.UTF8.GetString(seen.Body.Span));
        Assert.Equal("text/plain", seen.Headers.ContentType!.Name);
    }

    [Fact]
    public async Task InviteAckByeBetweenTwoAgents()
    {
        var acked = new TaskCompletionSource<SipRequest?>(TaskCreationOptions.RunContinuationsAsynchronously);
        SipTransportAddress? inviteSource = null;
        _core.SetHandler(SipMethod.Invite, async (tx, _) =>
        {
            inviteSource = tx.Source;
            var ist = (InviteServerTransaction)tx;
            string tag = SipUserAgent.NewTag();
            SipDialog dialog = SipDialog.CreateUas(tx.Request, tag);
            _core.Dialogs.Add(dialog);
            tx.Respond(SipMessageBuilder.ResponseTo(tx.Request, 180, toTag: tag).BuildResponse());
            tx.Respond(SipMessageBuilder.ResponseTo(tx.Request, 200, toTag: tag).Contact(new ContactValue(new NameAddress(_core.ContactUri("core")))).BuildResponse());
            acked.TrySetResult(await ist.Acknowledged);
        });
        _ue.Start();
        _core.Start();
        var provisional = new List<int>();
        SipRequest invite = OutOfDialog(SipMethod.Invite, "sip:core@10.0.0.1").BuildRequest();
        SipInviteResult result = await _ue.InviteAsync(invite, r => provisional.Add(r.StatusCode), cancellationToken: Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(200, result.Response.StatusCode);
        Assert.Equal([100, 180], provisional);
        Assert.NotNull(result.Dialog);
        Assert.Equal("sip:core@10.0.0.1:5060", result.Dialog.RemoteTarget.ToString());
        SipRequest? ack = await acked.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.NotNull(ack);
        Assert.Equal(SipMethod.Ack, ack.Method);
        Assert.Equal(new SipTransportAddress(SipTransportKind.Udp, UeEndPoint), inviteSource);

        Assert.Equal(1, _core.Dialogs.Count);
        SipResponse byeResponse = await _ue.ByeAsync(result.Dialog, Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(200, byeResponse.StatusCode);
        Assert.Equal(0, _core.Dialogs.Count);
        Assert.Equal(0, _ue.Dialogs.Count);
        Assert.Equal(SipDialogState.Terminated, result.Dialog.State);
    }

    [Fact]
    public async Task Notifies_go_to_the_handler_of_their_event_package_and_an_unknown_package_gets_489()
    {
        var seen = new ConcurrentQueue<string>();
        SipRequestHandler Handler(string name) => (tx, _) =>
        {
            seen.Enqueue(name);
            tx.Respond(SipMessageBuilder.ResponseTo(tx.Request, 200).BuildResponse());
            return ValueTask.CompletedTask;
        };
        _core.SetNotifyHandler("reg", Handler("reg"));
        _core.SetNotifyHandler("conference", Handler("conference"));
        _ue.Start();
        _core.Start();
        async Task<int> NotifyAsync(string package, uint cseq) => (await _ue.SendAsync(
            OutOfDialog(SipMethod.Notify, "sip:core@10.0.0.1", cseq).Add(SipHeaderId.Event, package).Add(SipHeaderId.SubscriptionState, "active").BuildRequest(),
            cancellationToken: Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct)).StatusCode;

        Assert.Equal(200, await NotifyAsync("conference", 1));
        Assert.Equal(200, await NotifyAsync("reg;id=7", 2));
        Assert.Equal(489, await NotifyAsync("presence", 3));
        Assert.Equal(["conference", "reg"], seen);
    }

    [Fact]
    public async Task UnhandledMethodGets501AndUnknownDialog481()
    {
        _ue.Start();
        _core.Start();
        SipResponse info = await _ue.SendAsync(OutOfDialog(SipMethod.Info, "sip:core@10.0.0.1").BuildRequest(), cancellationToken: Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(501, info.StatusCode);
        Assert.Contains("MESSAGE", info.Headers.Allow);

        SipRequest bye = SipMessageBuilder.Request(SipMethod.Bye, SipUri.Parse("sip:core@10.0.0.1"))
            .From(new NameAddress(SipUri.Parse("sip:a@ims.test"), null, new SipParameter("tag", "x1")))
            .To(new NameAddress(SipUri.Parse("sip:core@ims.test"), null, new SipParameter("tag", "nope")))
            .CallId("nodialog").CSeq(5, SipMethod.Bye).BuildRequest();
        SipResponse r = await _ue.SendAsync(bye, cancellationToken: Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(481, r.StatusCode);
    }

    [Fact]
    public async Task WrongAkaAnswerEndsWithTheChallengeNotALoop()
    {
        _core.SetHandler(SipMethod.Register, (tx, _) =>
        {
            _coreSaw.Enqueue(tx.Request);
            tx.Respond(SipMessageBuilder.ResponseTo(tx.Request, 401, toTag: "reg")
                .Add(SipHeaderId.WwwAuthenticate, $"Digest realm=\"{Realm}\", nonce=\"{Nonce}\", algorithm=AKAv1-MD5, qop=\"auth\"")
                .BuildResponse());
            return ValueTask.CompletedTask;
        });
        _ue.Start();
        _core.Start();
        SipResponse final = await _ue.SendAsync(OutOfDialog(SipMethod.Register, "sip:" + Realm).BuildRequest(), cancellationToken: Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(401, final.StatusCode);
        Assert.Equal(2, _coreSaw.Count);   // the same nonce again is not answered twice
    }

    public async ValueTask DisposeAsync()
    {
        await _ue.DisposeAsync();
        await _core.DisposeAsync();
    }
}
