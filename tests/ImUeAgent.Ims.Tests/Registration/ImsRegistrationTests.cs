// SPDX-License-Identifier: MIT
using System.Net;
using ImUeAgent.Ims.Auth;
using ImUeAgent.Ims.Registration;
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Transport;
using ImUeAgent.Sip.Ua;
using ImUeAgent.Uicc.Isim;
using Microsoft.Extensions.Time.Testing;

namespace ImUeAgent.Ims.Tests.Registration;

public sealed class ImsRegistrationTests : IAsyncDisposable
{
    private const string Impi = "alice.private@ims.test";
    private const string Impu = "sip:alice@ims.test";
    private const string IcsiTag = "+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg\"";
    private static readonly IPAddress UeAddress = IPAddress.Parse("10.0.0.2");
    private static readonly IPEndPoint Primary = new(IPAddress.Parse("10.0.0.1"), 5060);
    private static readonly IPEndPoint Secondary = new(IPAddress.Parse("10.0.0.3"), 5060);
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly InMemorySipNetwork _network = new();
    private readonly FakeTimeProvider _time = new(T0);
    private readonly TestHss _hss = new(1000);
    private TestIsim _card;
    private readonly ScriptedRegistrar _primary;
    private ScriptedRegistrar? _secondary;
    private ImsRegistration? _registration;

    public ImsRegistrationTests()
    {
        _card = new TestIsim(new ImsIdentity(Impi, [Impu], "ims.test"), 0);
        _primary = new ScriptedRegistrar(_network, Primary, _time, _hss);
    }

    private ImsRegistration Start(bool withSecondary = false, PcscfAddress? only = null, DigestRegistrationCredentials? digest = null)
    {
        var settings = new ImsRegistrationSettings
        {
            Impi = Impi,
            Impus = [Impu],
            HomeDomain = "ims.test",
            Pcscfs = only is not null ? [only] : withSecondary ? [new PcscfAddress(Primary.Address), new PcscfAddress(Secondary.Address)] : [new PcscfAddress(Primary.Address)],
            LocalAddress = UeAddress,
            InstanceId = InstanceId.FromImei("352099001761481"),
            ContactFeatureTags = ["+g.oma.sip-im", IcsiTag],
            UserAgent = "IM-client/OMA1.0 imue-agent/0.1.0",
            Digest = digest,
        };
        _registration = new ImsRegistration(settings, new AkaResponderAdapter(_card), _time, null,
            address => new SipUserAgent(new SipTransportLayer([
                _network.CreateTransport(SipTransportKind.Udp, new IPEndPoint(address, 5060)),
                _network.CreateTransport(SipTransportKind.Tcp, new IPEndPoint(address, 5060))], timeProvider: _time), timeProvider: _time),
            random: () => 0.0);
        _registration.Start();
        return _registration;
    }

    private async Task<RegistrationState> WaitForAsync(Func<RegistrationState, bool> condition)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(10));
        await foreach (RegistrationState s in _registration!.WatchAsync(cts.Token))
        {
            if (condition(s))
            {
                return s;
            }
        }

        throw new InvalidOperationException("unreachable");
    }

    /// <summary>Initial REGISTER (401) and the answered one (200); returns the second.</summary>
    private async Task<SipRequest> RegisterAsync()
    {
        await _primary.NextRegisterAsync();
        (SipRequest answered, _) = await _primary.NextRegisterAsync();
        await WaitForAsync(s => s.Status == RegistrationStatus.Registered && s.RegEventSubscribed);
        await _primary.NextSubscribeAsync();
        return answered;
    }

    private void AssertNoRegister()
    {
        Assert.False(_primary.TryNextRegister(out var r), r.Request is null ? null : "unexpected REGISTER at " + r.At);
    }

    [Fact]
    public async Task AkaRegistrationBuildsTheRequestsOfTs24229AndLearnsRouteAndIdentities()
    {
        ImsRegistration reg = Start();
        (SipRequest initial, _) = await _primary.NextRegisterAsync();
        Assert.Equal("sip:ims.test", initial.RequestUri.ToString());
        AuthenticationValue auth0 = Assert.Single(initial.Headers.Authorization);
        Assert.Equal(Impi, auth0.Username);
        Assert.Equal(string.Empty, auth0.Nonce);
        Assert.Equal(string.Empty, auth0.Response);
        Assert.Equal(Impu, initial.Headers.From!.Uri.ToString());
        Assert.Equal(Impu, initial.Headers.To!.Uri.ToString());
        Assert.Equal("<sip:10.0.0.2:5060>;+sip.instance=\"<urn:gsma:imei:35209900-176148-0>\";+g.oma.sip-im;" + IcsiTag, initial.Headers.GetValue(SipHeaderId.Contact));
        Assert.Equal(600000u, initial.Headers.Expires);
        Assert.Equal(["path"], initial.Headers.Supported);
        Assert.Equal("IM-client/OMA1.0 imue-agent/0.1.0", initial.Headers.UserAgent);
        Assert.False(initial.Headers.Contains(SipHeaderId.Route));

        (SipRequest answered, _) = await _primary.NextRegisterAsync();
        Assert.Equal(initial.Headers.CallId, answered.Headers.CallId);
        Assert.Equal(2u, answered.Headers.CSeq!.Number);
        Assert.NotEqual(string.Empty, Assert.Single(answered.Headers.Authorization).Response);

        RegistrationState s = await WaitForAsync(s => s.Status == RegistrationStatus.Registered);
        Assert.Equal(["sip:alice@ims.test", "tel:+15550100"], s.PublicIdentities);
        Assert.Equal(["sip:orig@scscf.ims.test;lr"], s.ServiceRoute);
        Assert.Equal(["sip:term@pcscf.ims.test;lr"], s.Path);
        Assert.Equal(new PcscfAddress(Primary.Address), s.Pcscf);
        Assert.Equal(T0 + TimeSpan.FromSeconds(600000), s.ExpiresAt);
        Assert.Equal(T0 + TimeSpan.FromSeconds(599400), s.NextAttemptAt);
        // One attempt: the challenge and its answer are one pass through the UA's pipeline.
        Assert.Equal(1, s.Attempts);
        Assert.Equal(["sip:10.0.0.1:5060;lr", "sip:orig@scscf.ims.test;lr"], reg.UserAgent.PreloadedRoute.Select(r => r.Uri.ToString()));

        SipRequest subscribe = await _primary.NextSubscribeAsync();
        Assert.Equal("sip:alice@ims.test", subscribe.RequestUri.ToString());
        Assert.Equal("reg", subscribe.Headers.Event!.Token);
        Assert.Equal("application/reginfo+xml", Assert.Single(subscribe.Headers.Accept).Name);
        Assert.Equal(["sip:10.0.0.1:5060;lr", "sip:orig@scscf.ims.test;lr"], subscribe.Headers.Route.Select(r => r.Uri.ToString()));
        await WaitForAsync(s => s.RegEventSubscribed);
    }

    [Fact]
    public async Task RefreshRunsAtExactlyExpiryMinus600SecondsWithCachedCredentials()
    {
        Start();
        SipRequest answered = await RegisterAsync();
        _time.Advance(TimeSpan.FromSeconds(599399));
        AssertNoRegister();
        _time.Advance(TimeSpan.FromSeconds(1));
        (SipRequest refresh, DateTimeOffset at) = await _primary.NextRegisterAsync();
        Assert.Equal(T0 + TimeSpan.FromSeconds(599400), at);
        Assert.Equal(answered.Headers.CallId, refresh.Headers.CallId);
        Assert.Equal(3u, refresh.Headers.CSeq!.Number);
        AuthenticationValue auth = Assert.Single(refresh.Headers.Authorization);
        Assert.Equal(Assert.Single(answered.Headers.Authorization).Nonce, auth.Nonce);
        Assert.Equal("00000002", auth.NonceCount);
        RegistrationState s = await WaitForAsync(s => s.Status == RegistrationStatus.Registered && s.ExpiresAt == at + TimeSpan.FromSeconds(600000));
        Assert.Equal(at + TimeSpan.FromSeconds(599400), s.NextAttemptAt);
        Assert.Equal(3, _primary.RegisterCount);
        SipRequest resubscribe = await _primary.NextSubscribeAsync();
        Assert.Equal("sub", resubscribe.Headers.To!.Tag);
        Assert.Equal(2u, resubscribe.Headers.CSeq!.Number);
    }

    [Fact]
    public async Task RefusedTcpConnectionIsRetriedOnceThenBacksOffAndReconnects()
    {
        var tcpPcscf = new PcscfAddress(Secondary.Address, 5060, SipTransportKind.Tcp);
        Start(only: tcpPcscf);
        RegistrationState failed = await WaitForAsync(s => s.Status == RegistrationStatus.Failed);
        Assert.Equal(RegistrationFailureReason.TransportError, failed.LastFailure!.Reason);
        // The first send and the one reconnect attempt.
        Assert.Equal(2, failed.Attempts);
        Assert.Equal(T0 + TimeSpan.FromSeconds(15), failed.NextAttemptAt);
        _secondary = new ScriptedRegistrar(_network, Secondary, _time, _hss, SipTransportKind.Tcp);
        _time.Advance(TimeSpan.FromSeconds(15));
        (SipRequest first, DateTimeOffset at) = await _secondary.NextRegisterAsync();
        Assert.Equal(T0 + TimeSpan.FromSeconds(15), at);
        Assert.Equal("TCP", first.Headers.TopVia!.Transport);
        Assert.StartsWith("<sip:10.0.0.2:5060;transport=tcp>;+sip.instance=", first.Headers.GetValue(SipHeaderId.Contact), StringComparison.Ordinal);
        await _secondary.NextRegisterAsync();
        RegistrationState s = await WaitForAsync(s => s.Status == RegistrationStatus.Registered);
        Assert.Equal(tcpPcscf, s.Pcscf);
    }

    [Fact]
    public async Task IntervalTooBriefRetriesWithMinExpiresAndANewCallId()
    {
        _primary.MinExpires = 700000;
        Start();
        (SipRequest first, _) = await _primary.NextRegisterAsync();
        (SipRequest second, _) = await _primary.NextRegisterAsync();
        Assert.Equal(600000u, first.Headers.Expires);
        Assert.Equal(700000u, second.Headers.Expires);
        Assert.NotEqual(first.Headers.CallId, second.Headers.CallId);
        await _primary.NextRegisterAsync();
        RegistrationState s = await WaitForAsync(s => s.Status == RegistrationStatus.Registered);
        Assert.Equal(T0 + TimeSpan.FromSeconds(700000), s.ExpiresAt);
        Assert.Equal(RegistrationFailureReason.IntervalTooBrief, s.LastFailure?.Reason);
    }

    [Fact]
    public async Task ServiceUnavailableWithRetryAfterWaitsExactlyThatLong()
    {
        _primary.Script.Enqueue(r => SipMessageBuilder.ResponseTo(r, 503, toTag: "x").Add(SipHeaderId.RetryAfter, "120 (maintenance)").BuildResponse());
        Start();
        (SipRequest first, _) = await _primary.NextRegisterAsync();
        RegistrationState failed = await WaitForAsync(s => s.Status == RegistrationStatus.Failed);
        Assert.Equal(RegistrationFailureReason.ServerFailure, failed.LastFailure!.Reason);
        Assert.Equal(503, failed.LastFailure.StatusCode);
        Assert.Equal(T0 + TimeSpan.FromSeconds(120), failed.NextAttemptAt);
        _time.Advance(TimeSpan.FromSeconds(119));
        AssertNoRegister();
        _time.Advance(TimeSpan.FromSeconds(1));
        (SipRequest retry, DateTimeOffset at) = await _primary.NextRegisterAsync();
        Assert.Equal(T0 + TimeSpan.FromSeconds(120), at);
        Assert.NotEqual(first.Headers.CallId, retry.Headers.CallId);
        Assert.Equal(string.Empty, Assert.Single(retry.Headers.Authorization).Nonce);
        await _primary.NextRegisterAsync();
        await WaitForAsync(s => s.Status == RegistrationStatus.Registered);
    }

    [Fact]
    public async Task ForbiddenIsRetriedOnlyAfterTheRfc5626Backoff()
    {
        _primary.Script.Enqueue(r => SipMessageBuilder.ResponseTo(r, 403, toTag: "x").BuildResponse());
        _primary.Script.Enqueue(r => SipMessageBuilder.ResponseTo(r, 403, toTag: "x").BuildResponse());
        Start();
        (SipRequest first, _) = await _primary.NextRegisterAsync();
        RegistrationState failed = await WaitForAsync(s => s.Status == RegistrationStatus.Failed);
        Assert.Equal(RegistrationFailureReason.Forbidden, failed.LastFailure!.Reason);
        // base-time 30 s * 2^0, random 0 → 50 %: 15 s.
        Assert.Equal(T0 + TimeSpan.FromSeconds(15), failed.NextAttemptAt);
        _time.Advance(TimeSpan.FromSeconds(14));
        AssertNoRegister();
        _time.Advance(TimeSpan.FromSeconds(1));
        (SipRequest second, DateTimeOffset at2) = await _primary.NextRegisterAsync();
        Assert.Equal(T0 + TimeSpan.FromSeconds(15), at2);
        Assert.NotEqual(first.Headers.CallId, second.Headers.CallId);
        failed = await WaitForAsync(s => s.Status == RegistrationStatus.Failed && s.NextAttemptAt > at2);
        // Second failure in a row: 30 s * 2^1 * 50 % = 30 s.
        Assert.Equal(at2 + TimeSpan.FromSeconds(30), failed.NextAttemptAt);
        _time.Advance(TimeSpan.FromSeconds(30));
        await _primary.NextRegisterAsync();
        await _primary.NextRegisterAsync();
        await WaitForAsync(s => s.Status == RegistrationStatus.Registered);
    }

    [Fact]
    public async Task TimeoutMovesToTheSecondaryPcscf()
    {
        _primary.Silent = true;
        _secondary = new ScriptedRegistrar(_network, Secondary, _time, _hss);
        ImsRegistration reg = Start(withSecondary: true);
        (SipRequest first, _) = await _primary.NextRegisterAsync();
        // RFC 3261 §17.1.2.2: Timer F = 64*T1 = 32 s.
        _time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(0, _secondary.RegisterCount);
        _time.Advance(TimeSpan.FromSeconds(1));
        (SipRequest moved, DateTimeOffset at) = await _secondary.NextRegisterAsync();
        Assert.Equal(T0 + TimeSpan.FromSeconds(32), at);
        Assert.NotEqual(first.Headers.CallId, moved.Headers.CallId);
        await _secondary.NextRegisterAsync();
        RegistrationState s = await WaitForAsync(s => s.Status == RegistrationStatus.Registered);
        Assert.Equal(new PcscfAddress(Secondary.Address), s.Pcscf);
        Assert.Equal(RegistrationFailureReason.Timeout, s.LastFailure?.Reason);
        Assert.Equal("sip:10.0.0.3:5060;lr", reg.UserAgent.PreloadedRoute[0].Uri.ToString());
    }

    [Fact]
    public async Task SynchronisationFailureResynchronisesOnceAndRegisters()
    {
        var card = new TestIsim(new ImsIdentity(Impi, [Impu], "ims.test"), 5000);
        _card.Dispose();
        _card = card;
        Start();
        await _primary.NextRegisterAsync();
        (SipRequest withAuts, _) = await _primary.NextRegisterAsync();
        AuthenticationValue auth = Assert.Single(withAuts.Headers.Authorization);
        Assert.NotNull(auth.Auts);
        // RFC 3310 §3.4: the response is computed with an empty password; AUTS rides beside it.
        Assert.False(string.IsNullOrEmpty(auth.Response));
        (SipRequest answered, _) = await _primary.NextRegisterAsync();
        Assert.Null(Assert.Single(answered.Headers.Authorization).Auts);
        await WaitForAsync(s => s.Status == RegistrationStatus.Registered);
        Assert.Equal(1, _hss.Resyncs);
        Assert.Equal(_hss.Sqn, card.HighestSqn);
    }

    [Fact]
    public async Task MacFailureIsReportedAsNetworkNotAuthentic()
    {
        _hss.ForgeMac = true;
        Start();
        await _primary.NextRegisterAsync();
        (SipRequest answer, _) = await _primary.NextRegisterAsync();
        AuthenticationValue auth = Assert.Single(answer.Headers.Authorization);
        Assert.Equal(string.Empty, auth.Response);
        Assert.Null(auth.Auts);
        RegistrationState s = await WaitForAsync(s => s.Status == RegistrationStatus.Failed);
        Assert.Equal(RegistrationFailureReason.NetworkNotAuthentic, s.LastFailure!.Reason);
        Assert.Contains("network not authentic", s.LastFailure.Text, StringComparison.Ordinal);
        Assert.Equal(T0 + TimeSpan.FromSeconds(15), s.NextAttemptAt);
    }

    [Fact]
    public async Task EndlessChallengesStopAsAnAuthenticationLoop()
    {
        for (int i = 0; i < 5; i++)
        {
            _primary.Script.Enqueue(_primary.Challenge);
        }

        Start();
        RegistrationState s = await WaitForAsync(s => s.Status == RegistrationStatus.Failed);
        Assert.Equal(RegistrationFailureReason.AuthenticationLoop, s.LastFailure!.Reason);
        Assert.Equal(401, s.LastFailure.StatusCode);
        Assert.Equal(4, _primary.RegisterCount);
    }

    [Fact]
    public async Task RegEventDeactivatedRegistersAgainFromScratch()
    {
        Start();
        SipRequest answered = await RegisterAsync();
        SipResponse r = await _primary.NotifyAsync(ScriptedRegistrar.RegInfo(Impu, "terminated", "sip:10.0.0.2:5060", "terminated", "deactivated"));
        Assert.Equal(200, r.StatusCode);
        (SipRequest again, DateTimeOffset at) = await _primary.NextRegisterAsync();
        Assert.Equal(T0, at);
        Assert.NotEqual(answered.Headers.CallId, again.Headers.CallId);
        Assert.Equal(string.Empty, Assert.Single(again.Headers.Authorization).Nonce);
        await _primary.NextRegisterAsync();
        RegistrationState s = await WaitForAsync(s => s.Status == RegistrationStatus.Registered && s.RegEventSubscribed);
        Assert.Equal(RegistrationFailureReason.NetworkDeregistered, s.LastFailure?.Reason);
        await _primary.NextSubscribeAsync();
    }

    [Fact]
    public async Task RegEventShortenedMovesTheRefreshEarlier()
    {
        Start();
        await RegisterAsync();
        _time.Advance(TimeSpan.FromSeconds(100));
        SipResponse r = await _primary.NotifyAsync(ScriptedRegistrar.RegInfo(Impu, "active", "sip:10.0.0.2:5060", "active", "shortened", expires: 1000));
        Assert.Equal(200, r.StatusCode);
        DateTimeOffset t = T0 + TimeSpan.FromSeconds(100);
        await WaitForAsync(s => s.ExpiresAt == t + TimeSpan.FromSeconds(1000) && s.NextAttemptAt == t + TimeSpan.FromSeconds(500));
        _time.Advance(TimeSpan.FromSeconds(499));
        AssertNoRegister();
        _time.Advance(TimeSpan.FromSeconds(1));
        (_, DateTimeOffset at) = await _primary.NextRegisterAsync();
        Assert.Equal(t + TimeSpan.FromSeconds(500), at);
    }

    [Fact]
    public async Task RegEventRejectedTakesTheRegistrationDownWithoutRetry()
    {
        ImsRegistration reg = Start();
        await RegisterAsync();
        await _primary.NotifyAsync(ScriptedRegistrar.RegInfo(Impu, "terminated", "sip:10.0.0.2:5060", "terminated", "rejected"), "terminated;reason=rejected");
        RegistrationState s = await WaitForAsync(s => s.Status == RegistrationStatus.Failed);
        Assert.Equal(RegistrationFailureReason.NetworkDeregistered, s.LastFailure!.Reason);
        Assert.Contains("rejected", s.LastFailure.Text, StringComparison.Ordinal);
        Assert.Null(s.NextAttemptAt);
        Assert.Empty(reg.UserAgent.PreloadedRoute);
        _time.Advance(TimeSpan.FromDays(30));
        AssertNoRegister();
    }

    [Fact]
    public async Task TerminatedSubscriptionIsRenewedWhileRegistered()
    {
        Start();
        await RegisterAsync();
        string firstSubscription = _primary.LastSubscribe!.Headers.CallId!;
        SipResponse r = await _primary.NotifyAsync(ScriptedRegistrar.RegInfo(Impu, "active", "sip:10.0.0.2:5060", "active", "registered", expires: 599000), "terminated;reason=timeout");
        Assert.Equal(200, r.StatusCode);
        SipRequest again = await _primary.NextSubscribeAsync();
        Assert.Null(again.Headers.To!.Tag);
        Assert.NotEqual(firstSubscription, again.Headers.CallId);
        await WaitForAsync(s => s.RegEventSubscribed);
        Assert.Equal(RegistrationStatus.Registered, _registration!.State.Status);
    }

    [Fact]
    public async Task MalformedReginfoIsAnswered400AndChangesNothing()
    {
        Start();
        await RegisterAsync();
        SipResponse r = await _primary.NotifyAsync("<reginfo xmlns=\"urn:ietf:params:xml:ns:reginfo\" version=\"x\"");
        Assert.Equal(400, r.StatusCode);
        Assert.Equal(RegistrationStatus.Registered, _registration!.State.Status);
    }

    [Fact]
    public async Task StopDeregistersWithExpiresZeroInTheSameCallId()
    {
        ImsRegistration reg = Start();
        SipRequest answered = await RegisterAsync();
        Task stop = reg.StopAsync(TestContext.Current.CancellationToken);
        (SipRequest dereg, _) = await _primary.NextRegisterAsync();
        await stop.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Equal(0u, dereg.Headers.Expires);
        Assert.Equal(0u, Assert.Single(dereg.Headers.Contact).Expires);
        Assert.Equal(answered.Headers.CallId, dereg.Headers.CallId);
        Assert.Equal(3u, dereg.Headers.CSeq!.Number);
        Assert.Equal(Assert.Single(answered.Headers.Authorization).Nonce, Assert.Single(dereg.Headers.Authorization).Nonce);
        Assert.Equal(RegistrationStatus.Unregistered, reg.State.Status);
        Assert.Empty(reg.UserAgent.PreloadedRoute);
    }

    [Fact]
    public async Task RequestsFromAnotherHostThanThePcscfGet403()
    {
        ImsRegistration reg = Start();
        reg.UserAgent.SetHandler(SipMethod.Message, reg.RequireRegisteredPcscf((tx, _) =>
        {
            tx.Respond(SipMessageBuilder.ResponseTo(tx.Request, 200, toTag: "m").BuildResponse());
            return ValueTask.CompletedTask;
        }));
        await RegisterAsync();
        await using var stranger = new SipUserAgent(new SipTransportLayer([_network.CreateTransport(SipTransportKind.Udp, new IPEndPoint(IPAddress.Parse("10.0.0.9"), 5060))], timeProvider: _time), timeProvider: _time);
        stranger.Start();
        SipResponse fromStranger = await stranger.SendAsync(Message("sip:10.0.0.2:5060"), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(403, fromStranger.StatusCode);
        SipResponse fromPcscf = await _primary.Ua.SendAsync(Message("sip:10.0.0.2:5060"), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(200, fromPcscf.StatusCode);
        Assert.True(reg.IsFromRegisteredPcscf(new SipTransportAddress(SipTransportKind.Tcp, new IPEndPoint(Primary.Address, 40000))));
    }

    [Fact]
    public async Task A_terminated_binding_of_an_earlier_registration_at_our_address_does_not_end_ours()
    {
        Start();
        SipRequest answered = await RegisterAsync();
        // Full state after a re-registration: the old binding (other Call-ID) unregistered, ours active; in either order.
        string doc = $"""<?xml version="1.0"?><reginfo xmlns="urn:ietf:params:xml:ns:reginfo" version="1" state="full"><registration aor="{Impu}" id="r1" state="active">""" +
            """<contact id="c1" state="terminated" event="unregistered" callid="an-older-call-id"><uri>sip:10.0.0.2:5060</uri></contact>""" +
            $"""<contact id="c2" state="active" event="registered" expires="599000" callid="{answered.Headers.CallId}"><uri>sip:10.0.0.2:5060</uri></contact>""" +
            "</registration></reginfo>";
        SipResponse r = await _primary.NotifyAsync(doc);
        Assert.Equal(200, r.StatusCode);
        await WaitForAsync(s => s.ExpiresAt is not null);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(RegistrationStatus.Registered, _registration!.State.Status);
        AssertNoRegister();

        // The same document naming our own Call-ID as terminated (rejected) does end it.
        string ours = doc.Replace("an-older-call-id", answered.Headers.CallId!, StringComparison.Ordinal)
            .Replace("event=\"unregistered\"", "event=\"rejected\"", StringComparison.Ordinal)
            .Replace($"callid=\"{answered.Headers.CallId}\"><uri>sip:10.0.0.2:5060</uri></contact></registration>", "callid=\"x\"><uri>sip:10.0.0.2:5060</uri></contact></registration>", StringComparison.Ordinal)
            .Replace("version=\"1\"", "version=\"2\"", StringComparison.Ordinal);
        await _primary.NotifyAsync(ours);
        RegistrationState s = await WaitForAsync(s => s.Status == RegistrationStatus.Failed);
        Assert.Contains("rejected", s.LastFailure!.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TriggerRestartRegistersFromScratch()
    {
        ImsRegistration reg = Start();
        SipRequest answered = await RegisterAsync();
        reg.TriggerRestart("IMS PDN back");
        (SipRequest again, _) = await _primary.NextRegisterAsync();
        Assert.NotEqual(answered.Headers.CallId, again.Headers.CallId);
        Assert.Equal(string.Empty, Assert.Single(again.Headers.Authorization).Nonce);
        await _primary.NextRegisterAsync();
        RegistrationState s = await WaitForAsync(s => s.Status == RegistrationStatus.Registered);
        Assert.Equal(RegistrationFailureReason.Restarted, s.LastFailure?.Reason);
        // One attempt: the challenge and its answer are one pass through the UA's pipeline.
        Assert.Equal(1, s.Attempts);
    }

    [Fact]
    public async Task DigestModeAnswersAnMd5ChallengeWithThePassword()
    {
        const string nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
        _primary.Script.Enqueue(r => SipMessageBuilder.ResponseTo(r, 401, toTag: "reg")
            .Add(SipHeaderId.WwwAuthenticate, $"Digest realm=\"ims.test\", nonce=\"{nonce}\", algorithm=MD5, qop=\"auth\"").BuildResponse());
        _primary.Script.Enqueue(r =>
        {
            AuthenticationValue a = r.Headers.Authorization.Single();
            string expected = ImUeAgent.Sip.Auth.DigestCalculator.ComputeResponse(new ImUeAgent.Sip.Auth.DigestInput
            {
                Algorithm = ImUeAgent.Sip.Auth.DigestAlgorithm.Md5,
                Username = "alice"u8,
                Realm = "ims.test"u8,
                Password = "s3cret"u8,
                Method = "REGISTER"u8,
                DigestUri = System.Text.Encoding.UTF8.GetBytes(a.Uri!),
                Nonce = System.Text.Encoding.UTF8.GetBytes(nonce),
                NonceCount = System.Text.Encoding.UTF8.GetBytes(a.NonceCount!),
                CNonce = System.Text.Encoding.UTF8.GetBytes(a.CNonce!),
                Qop = "auth"u8,
            });
            return SipMessageBuilder.ResponseTo(r, expected == a.Response ? 200 : 403, toTag: "reg")
                .Add(SipHeaderId.Contact, r.Headers.GetValue(SipHeaderId.Contact) + ";expires=3600").BuildResponse();
        });
        Start(digest: new DigestRegistrationCredentials("alice", "s3cret", "ims.test"));
        (SipRequest initial, _) = await _primary.NextRegisterAsync();
        Assert.Equal("alice", Assert.Single(initial.Headers.Authorization).Username);
        await _primary.NextRegisterAsync();
        RegistrationState s = await WaitForAsync(s => s.Status == RegistrationStatus.Registered);
        Assert.Equal(T0 + TimeSpan.FromSeconds(3600), s.ExpiresAt);
        Assert.Equal(T0 + TimeSpan.FromSeconds(3000), s.NextAttemptAt);
        Assert.Equal(0, _card.Runs);
        Assert.DoesNotContain("s3cret", new DigestRegistrationCredentials("alice", "s3cret").ToString(), StringComparison.Ordinal);
    }

    private static SipRequest Message(string uri) =>
        SipMessageBuilder.Request(SipMethod.Message, SipUri.Parse(uri))
            .From(new NameAddress(SipUri.Parse("sip:bob@ims.test"), null, new SipParameter("tag", SipUserAgent.NewTag())))
            .To(new NameAddress(SipUri.Parse(Impu)))
            .CallId(SipUserAgent.NewTag())
            .CSeq(1, SipMethod.Message)
            .Body(new MediaType("text", "plain"), "hi"u8.ToArray())
            .BuildRequest();

    public async ValueTask DisposeAsync()
    {
        if (_registration is not null)
        {
            await _registration.DisposeAsync();
        }

        await _primary.DisposeAsync();
        _card.Dispose();
        _hss.Dispose();
        if (_secondary is not null)
        {
            await _secondary.DisposeAsync();
        }
    }
}
