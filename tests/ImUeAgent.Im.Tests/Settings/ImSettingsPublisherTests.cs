// SPDX-License-Identifier: MIT
using ImUeAgent.Im.Content;
using ImUeAgent.Im.Settings;
using ImUeAgent.Ims.Registration;
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Transport;
using Microsoft.Extensions.Time.Testing;

namespace ImUeAgent.Im.Tests.Settings;

public sealed class ImSettingsPublisherTests : IAsyncDisposable
{
    private const string AppRefPredicate = "+g.3gpp.app_ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.xyz\";explicit;require";
    private const string UserAgent = "IM-client/OMA1.0 imue-agent/0.1.0";
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly ImSettings Offline = new()
    {
        IncomingSessionBarring = true,
        IncomingPagerLargeModeBarring = false,
        Invisibility = true,
        OfflineDelivery = false,
        SessionModeHistory = true,
        PagerLargeModeHistory = false,
        IncomingFileTransferBarring = true,
    };

    private readonly InMemorySipNetwork _network = new();
    private readonly FakeTimeProvider _time = new(T0);
    private readonly SettingsTestCore _core;
    private ImsRegistration? _registration;
    private ImSettingsPublisher? _publisher;

    public ImSettingsPublisherTests()
    {
        _core = new SettingsTestCore(_network, _time);
    }

    private async Task<ImSettingsPublisher> StartAsync(ImSettings? settings = null, uint expires = 3600, bool register = true)
    {
        _registration = _core.CreateRegistration();
        _publisher = new ImSettingsPublisher(_registration, settings ?? Offline, new ImSettingsPublisherSettings
        {
            Expires = expires,
            UserAgent = UserAgent,
            ApplicationFeatureTags = [AppRefPredicate],
        }, _time, null, random: () => 0.0);
        _publisher.Start();
        if (register)
        {
            _registration.Start();
            await WaitRegisteredAsync();
        }

        return _publisher;
    }

    private async Task WaitRegisteredAsync()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(10));
        await foreach (RegistrationState s in _registration!.WatchAsync(cts.Token))
        {
            if (s.Status == RegistrationStatus.Registered)
            {
                return;
            }
        }
    }

    private async Task<ImSettingsPublicationState> WaitForAsync(Func<ImSettingsPublicationState, bool> condition)
    {
        var seen = new TaskCompletionSource<ImSettingsPublicationState>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Handler(ImSettingsPublicationState s)
        {
            if (condition(s))
            {
                seen.TrySetResult(s);
            }
        }

        _publisher!.StateChanged += Handler;
        try
        {
            ImSettingsPublicationState now = _publisher.State;
            if (condition(now))
            {
                return now;
            }

            return await seen.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        }
        finally
        {
            _publisher.StateChanged -= Handler;
        }
    }

    private void AssertNoPublish()
    {
        Assert.False(_core.TryNextPublish(out var p), p.Request is null ? null : "unexpected PUBLISH at " + p.At);
    }

    [Fact]
    public async Task InitialPublishCarriesTheHeadersAndSevenSettingsOf524()
    {
        await StartAsync();
        (SipRequest publish, DateTimeOffset at) = await _core.NextPublishAsync();
        Assert.Equal(T0, at);
        Assert.Equal(SipMethod.Publish, publish.Method);
        // Step 2: Request-URI, and From/To, are the own IM address (the first SIP public identity).
        Assert.Equal(SettingsTestCore.Impu, publish.RequestUri.ToString());
        Assert.Equal(SettingsTestCore.Impu, publish.Headers.From!.Uri.ToString());
        Assert.NotNull(publish.Headers.From.Tag);
        Assert.Equal(SettingsTestCore.Impu, publish.Headers.To!.Uri.ToString());
        // Step 3: the Authenticated Originator's IM Address (P-Preferred-Identity in IMS).
        Assert.Equal("<" + SettingsTestCore.Impu + ">", publish.Headers.GetValue(SipHeaderId.PPreferredIdentity));
        // Step 4: '+g.oma.sip-im' beside the application's predicate, which is kept byte-exact.
        Assert.Equal(["*;+g.oma.sip-im", "*;" + AppRefPredicate], publish.Headers.GetAll(SipHeaderId.AcceptContact).Select(h => h.Value));
        // Step 5, 6, 7.
        Assert.Equal(UserAgent, publish.Headers.UserAgent);
        Assert.Equal("poc-settings", publish.Headers.Event!.Token);
        Assert.Equal(3600u, publish.Headers.Expires);
        Assert.Null(publish.Headers.GetValue("SIP-If-Match"));
        // Through the Service-Route (preloaded route: the P-CSCF, then the S-CSCF).
        Assert.Equal(["sip:10.0.0.1:5060;lr", "sip:orig@scscf.ims.test;lr"], publish.Headers.Route.Select(r => r.Uri.ToString()));
        // Step 8: the body, all seven settings.
        Assert.True(publish.Headers.ContentType!.Is("application", "poc-settings+xml"));
        ContentResult<ImServiceSettings> parsed = ImSettingsDocument.Parse(publish.Body);
        Assert.True(parsed.IsSuccess, parsed.ToString());
        Assert.True(parsed.Value!.IsComplete);
        Assert.Equal(Offline, ImSettings.FromServiceSettings(parsed.Value));

        ImSettingsPublicationState s = await WaitForAsync(s => s.Status == ImSettingsPublicationStatus.Published);
        Assert.Equal(200, s.LastStatusCode);
        Assert.Equal("etag1", s.EntityTag);
        Assert.True(s.HasEntityTag);
        Assert.Equal(T0 + TimeSpan.FromSeconds(3600), s.ExpiresAt);
        Assert.Equal(T0 + TimeSpan.FromSeconds(3000), s.NextAttemptAt);
        Assert.Equal(T0, s.LastPublishedAt);
        Assert.Equal(Offline, s.Settings);
    }

    [Fact]
    public async Task NothingIsPublishedBeforeTheRegistration()
    {
        ImSettingsPublisher publisher = await StartAsync(register: false);
        var other = Offline with { Invisibility = false };
        ImSettingsPublicationState s = await publisher.UpdateAsync(other, TestContext.Current.CancellationToken);
        Assert.Equal(ImSettingsPublicationStatus.Unpublished, s.Status);
        Assert.Equal(other, s.Settings);
        AssertNoPublish();

        _registration!.Start();
        (SipRequest publish, _) = await _core.NextPublishAsync();
        Assert.Equal(other, ImSettings.FromServiceSettings(ImSettingsDocument.Parse(publish.Body).Value!));
    }

    [Fact]
    public async Task RefreshRunsAtExpiryMinus600SecondsWithIfMatchAndNoBody()
    {
        await StartAsync();
        (SipRequest initial, _) = await _core.NextPublishAsync();
        await WaitForAsync(s => s.Status == ImSettingsPublicationStatus.Published);

        _time.Advance(TimeSpan.FromSeconds(2999));
        AssertNoPublish();
        _time.Advance(TimeSpan.FromSeconds(1));
        (SipRequest refresh, DateTimeOffset at) = await _core.NextPublishAsync();
        Assert.Equal(T0 + TimeSpan.FromSeconds(3000), at);
        Assert.Equal("etag1", refresh.Headers.GetValue("SIP-If-Match"));
        Assert.True(refresh.Body.IsEmpty);
        Assert.Null(refresh.Headers.ContentType);
        Assert.Equal("poc-settings", refresh.Headers.Event!.Token);
        Assert.Equal(3600u, refresh.Headers.Expires);
        Assert.Equal(initial.Headers.CallId, refresh.Headers.CallId);
        Assert.Equal(initial.Headers.CSeq!.Number + 1, refresh.Headers.CSeq!.Number);

        ImSettingsPublicationState s = await WaitForAsync(s => s.EntityTag == "etag2");
        Assert.Equal(ImSettingsPublicationStatus.Published, s.Status);
        Assert.Equal(T0 + TimeSpan.FromSeconds(3000 + 3600), s.ExpiresAt);
        Assert.Equal(T0 + TimeSpan.FromSeconds(6000), s.NextAttemptAt);
    }

    [Fact]
    public async Task ShortLifetimeIsRefreshedAtHalfOfIt()
    {
        await StartAsync(expires: 1000);
        await _core.NextPublishAsync();
        await WaitForAsync(s => s.Status == ImSettingsPublicationStatus.Published);
        _time.Advance(TimeSpan.FromSeconds(499));
        AssertNoPublish();
        _time.Advance(TimeSpan.FromSeconds(1));
        (SipRequest refresh, DateTimeOffset at) = await _core.NextPublishAsync();
        Assert.Equal(T0 + TimeSpan.FromSeconds(500), at);
        Assert.Equal("etag1", refresh.Headers.GetValue("SIP-If-Match"));
    }

    [Fact]
    public async Task PreconditionFailedStartsOverWithAFreshInitialPublish()
    {
        await StartAsync();
        await _core.NextPublishAsync();
        await WaitForAsync(s => s.Status == ImSettingsPublicationStatus.Published);
        _core.PublishScript.Enqueue(r => SettingsTestCore.Answer(r, 412));
        _time.Advance(TimeSpan.FromSeconds(3000));

        (SipRequest refresh, _) = await _core.NextPublishAsync();
        Assert.Equal("etag1", refresh.Headers.GetValue("SIP-If-Match"));
        (SipRequest fresh, DateTimeOffset at) = await _core.NextPublishAsync();
        Assert.Equal(T0 + TimeSpan.FromSeconds(3000), at);
        Assert.Null(fresh.Headers.GetValue("SIP-If-Match"));
        Assert.True(fresh.Headers.ContentType!.Is("application", "poc-settings+xml"));
        Assert.Equal(Offline, ImSettings.FromServiceSettings(ImSettingsDocument.Parse(fresh.Body).Value!));

        ImSettingsPublicationState s = await WaitForAsync(s => s.EntityTag == "etag2");
        Assert.Equal(ImSettingsPublicationStatus.Published, s.Status);
        Assert.Equal(200, s.LastStatusCode);
    }

    [Fact]
    public async Task IntervalTooBriefRetriesAtOnceWithMinExpires()
    {
        _core.PublishScript.Enqueue(r => SettingsTestCore.Answer(r, 423, ("Min-Expires", "7200")));
        await StartAsync();
        (SipRequest first, _) = await _core.NextPublishAsync();
        Assert.Equal(3600u, first.Headers.Expires);
        (SipRequest second, DateTimeOffset at) = await _core.NextPublishAsync();
        Assert.Equal(T0, at);
        Assert.Equal(7200u, second.Headers.Expires);
        Assert.False(second.Body.IsEmpty);
        ImSettingsPublicationState s = await WaitForAsync(s => s.Status == ImSettingsPublicationStatus.Published);
        Assert.Equal(T0 + TimeSpan.FromSeconds(7200), s.ExpiresAt);
    }

    [Fact]
    public async Task IntervalTooBriefWithoutMinExpiresBacksOff()
    {
        _core.PublishScript.Enqueue(r => SettingsTestCore.Answer(r, 423));
        await StartAsync();
        await _core.NextPublishAsync();
        ImSettingsPublicationState s = await WaitForAsync(s => s.Status == ImSettingsPublicationStatus.Failed);
        Assert.Equal(ImSettingsFailureReason.IntervalTooBrief, s.FailureReason);
        Assert.Equal(423, s.LastStatusCode);
        // Backoff with random 0: half of the 30 s base.
        Assert.Equal(T0 + TimeSpan.FromSeconds(15), s.NextAttemptAt);
    }

    [Fact]
    public async Task ExpiresNeverExceedsTheRegistrationsRemainingTime()
    {
        _core.RegistrationExpires = 1000;
        await StartAsync();
        (SipRequest publish, _) = await _core.NextPublishAsync();
        Assert.Equal(1000u, publish.Headers.Expires);
        Assert.Equal(T0 + TimeSpan.FromSeconds(1000), _registration!.State.ExpiresAt);
    }

    [Fact]
    public async Task ChooseExpiresKeepsWithinTheRegistrationAndHonoursMinExpires()
    {
        ImSettingsPublisher publisher = await StartAsync(register: false);
        Assert.Equal(3600u, publisher.ChooseExpires(new RegistrationState { ExpiresAt = T0 + TimeSpan.FromSeconds(600000) }, T0));
        Assert.Equal(3600u, publisher.ChooseExpires(new RegistrationState(), T0));
        Assert.Equal(1234u, publisher.ChooseExpires(new RegistrationState { ExpiresAt = T0 + TimeSpan.FromSeconds(1234.9) }, T0));
        Assert.Equal(1u, publisher.ChooseExpires(new RegistrationState { ExpiresAt = T0 + TimeSpan.FromMilliseconds(200) }, T0));
        Assert.Equal(1u, publisher.ChooseExpires(new RegistrationState { ExpiresAt = T0 - TimeSpan.FromSeconds(5) }, T0));
    }

    [Fact]
    public async Task ServerFailureBacksOffExponentiallyAndHonoursRetryAfter()
    {
        _core.PublishScript.Enqueue(r => SettingsTestCore.Answer(r, 500));
        _core.PublishScript.Enqueue(r => SettingsTestCore.Answer(r, 480));
        _core.PublishScript.Enqueue(r => SettingsTestCore.Answer(r, 503, ("Retry-After", "120 (maintenance)")));
        await StartAsync();
        await _core.NextPublishAsync();
        ImSettingsPublicationState s = await WaitForAsync(s => s.Status == ImSettingsPublicationStatus.Failed);
        Assert.Equal(ImSettingsFailureReason.ServerFailure, s.FailureReason);
        Assert.Equal(500, s.LastStatusCode);
        Assert.Equal(T0 + TimeSpan.FromSeconds(15), s.NextAttemptAt);

        _time.Advance(TimeSpan.FromSeconds(14));
        AssertNoPublish();
        _time.Advance(TimeSpan.FromSeconds(1));
        (SipRequest retry, DateTimeOffset at) = await _core.NextPublishAsync();
        Assert.Equal(T0 + TimeSpan.FromSeconds(15), at);
        Assert.Null(retry.Headers.GetValue("SIP-If-Match"));
        s = await WaitForAsync(s => s.LastStatusCode == 480 && s.Status == ImSettingsPublicationStatus.Failed);
        Assert.Equal(ImSettingsFailureReason.Rejected, s.FailureReason);
        Assert.Equal(2, s.ConsecutiveFailures);
        // Second failure: 60 s · 0.5.
        Assert.Equal(at + TimeSpan.FromSeconds(30), s.NextAttemptAt);

        _time.Advance(TimeSpan.FromSeconds(30));
        (_, at) = await _core.NextPublishAsync();
        s = await WaitForAsync(s => s.LastStatusCode == 503);
        Assert.Equal(at + TimeSpan.FromSeconds(120), s.NextAttemptAt);

        _time.Advance(TimeSpan.FromSeconds(120));
        await _core.NextPublishAsync();
        s = await WaitForAsync(s => s.Status == ImSettingsPublicationStatus.Published);
        Assert.Equal(0, s.ConsecutiveFailures);
        Assert.Equal(ImSettingsFailureReason.None, s.FailureReason);
    }

    [Fact]
    public async Task BackoffIsCapped()
    {
        for (int i = 0; i < 12; i++)
        {
            _core.PublishScript.Enqueue(r => SettingsTestCore.Answer(r, 500));
        }

        await StartAsync();
        double[] expected = [15, 30, 60, 120, 240, 480, 900, 900, 900, 900, 900, 900];
        for (int i = 0; i < expected.Length; i++)
        {
            (_, DateTimeOffset at) = await _core.NextPublishAsync();
            int failures = i + 1;
            ImSettingsPublicationState s = await WaitForAsync(s => s.ConsecutiveFailures == failures);
            // min(1800 s, 30 s · 2^n), then the lower half with random 0 (RFC 5626 §4.5 shape).
            Assert.Equal(at + TimeSpan.FromSeconds(expected[i]), s.NextAttemptAt);
            _time.Advance(TimeSpan.FromSeconds(expected[i]));
        }

        await _core.NextPublishAsync();
        await WaitForAsync(s => s.Status == ImSettingsPublicationStatus.Published);
    }

    [Fact]
    public async Task NoAnswerIsATimeoutAndIsRetried()
    {
        _core.PublishScript.Enqueue(_ => null);
        await StartAsync();
        (SipRequest first, _) = await _core.NextPublishAsync();
        // RFC 3261 Timer F: 64·T1 = 32 s. Step through the retransmissions (Timer E) to it.
        for (int i = 0; i < 64 && _publisher!.State.Status != ImSettingsPublicationStatus.Failed; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(500));
            await Task.Yield();
        }

        ImSettingsPublicationState s = await WaitForAsync(s => s.Status == ImSettingsPublicationStatus.Failed);
        Assert.Equal(ImSettingsFailureReason.Timeout, s.FailureReason);
        Assert.Null(s.LastStatusCode);
        Assert.Equal(T0 + TimeSpan.FromSeconds(32 + 15), s.NextAttemptAt);
        while (_core.TryNextPublish(out var retransmission))
        {
            Assert.Equal(first.Headers.CSeq!.Number, retransmission.Request.Headers.CSeq!.Number);
        }

        _time.Advance(TimeSpan.FromSeconds(15));
        (SipRequest retry, _) = await _core.NextPublishAsync();
        Assert.Equal(first.Headers.CSeq!.Number + 1, retry.Headers.CSeq!.Number);
        await WaitForAsync(s => s.Status == ImSettingsPublicationStatus.Published);
    }

    [Fact]
    public async Task UpdateModifiesWithIfMatchAndTheNewBody()
    {
        ImSettingsPublisher publisher = await StartAsync();
        await _core.NextPublishAsync();
        await WaitForAsync(s => s.Status == ImSettingsPublicationStatus.Published);

        ImSettings online = Offline with { OfflineDelivery = true, IncomingSessionBarring = false };
        ImSettingsPublicationState s = await publisher.UpdateAsync(online, TestContext.Current.CancellationToken);
        (SipRequest modify, _) = await _core.NextPublishAsync();
        Assert.Equal("etag1", modify.Headers.GetValue("SIP-If-Match"));
        Assert.Equal(online, ImSettings.FromServiceSettings(ImSettingsDocument.Parse(modify.Body).Value!));
        Assert.Equal(ImSettingsPublicationStatus.Published, s.Status);
        Assert.Equal(200, s.LastStatusCode);
        Assert.Equal("etag2", s.EntityTag);
        Assert.Equal(online, s.Settings);

        // The next refresh carries no body again.
        _time.Advance(TimeSpan.FromSeconds(3000));
        (SipRequest refresh, _) = await _core.NextPublishAsync();
        Assert.Equal("etag2", refresh.Headers.GetValue("SIP-If-Match"));
        Assert.True(refresh.Body.IsEmpty);
    }

    [Fact]
    public async Task StopRemovesThePublicationWithExpiresZero()
    {
        ImSettingsPublisher publisher = await StartAsync();
        await _core.NextPublishAsync();
        await WaitForAsync(s => s.Status == ImSettingsPublicationStatus.Published);

        await publisher.StopAsync(TestContext.Current.CancellationToken);
        (SipRequest remove, _) = await _core.NextPublishAsync();
        Assert.Equal(0u, remove.Headers.Expires);
        Assert.Equal("etag1", remove.Headers.GetValue("SIP-If-Match"));
        Assert.Equal("poc-settings", remove.Headers.Event!.Token);
        Assert.True(remove.Body.IsEmpty);
        Assert.Null(_core.CurrentETag);
        ImSettingsPublicationState s = publisher.State;
        Assert.Equal(ImSettingsPublicationStatus.Stopped, s.Status);
        Assert.False(s.HasEntityTag);
        Assert.Null(s.NextAttemptAt);

        // Stopped: no refresh any more, and updates are refused.
        _time.Advance(TimeSpan.FromSeconds(4000));
        AssertNoPublish();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => publisher.UpdateAsync(Offline, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task StopWithoutAPublicationSendsNothing()
    {
        ImSettingsPublisher publisher = await StartAsync(register: false);
        await publisher.StopAsync(TestContext.Current.CancellationToken);
        Assert.Equal(ImSettingsPublicationStatus.Stopped, publisher.State.Status);
        AssertNoPublish();
    }

    [Fact]
    public async Task ReRegistrationPublishesFromScratch()
    {
        await StartAsync();
        (SipRequest initial, _) = await _core.NextPublishAsync();
        await WaitForAsync(s => s.Status == ImSettingsPublicationStatus.Published);

        _registration!.TriggerRestart("PDN came back");
        (SipRequest again, _) = await _core.NextPublishAsync();
        Assert.Null(again.Headers.GetValue("SIP-If-Match"));
        Assert.False(again.Body.IsEmpty);
        Assert.NotEqual(initial.Headers.CallId, again.Headers.CallId);
        Assert.Equal(1u, again.Headers.CSeq!.Number);
        ImSettingsPublicationState s = await WaitForAsync(s => s.Status == ImSettingsPublicationStatus.Published && s.EntityTag == "etag2");
        Assert.Equal(200, s.LastStatusCode);
    }

    [Fact]
    public async Task NewUserAgentPublishesFromScratchThroughIt()
    {
        await StartAsync();
        await _core.NextPublishAsync();
        await WaitForAsync(s => s.Status == ImSettingsPublicationStatus.Published);

        var newAddress = System.Net.IPAddress.Parse("10.0.0.9");
        _registration!.TriggerRestart("new PDN address", newAddress);
        (SipRequest again, _) = await _core.NextPublishAsync();
        Assert.Null(again.Headers.GetValue("SIP-If-Match"));
        Assert.Equal("10.0.0.9", again.Headers.Via[0].Host);
        await WaitForAsync(s => s.Status == ImSettingsPublicationStatus.Published && s.EntityTag == "etag2");
    }

    [Fact]
    public async Task LosingTheRegistrationSuspendsThePublication()
    {
        await StartAsync();
        await _core.NextPublishAsync();
        await WaitForAsync(s => s.Status == ImSettingsPublicationStatus.Published);

        await _registration!.StopAsync(TestContext.Current.CancellationToken);
        ImSettingsPublicationState s = await WaitForAsync(s => s.Status == ImSettingsPublicationStatus.Unpublished);
        Assert.False(s.HasEntityTag);
        Assert.Null(s.NextAttemptAt);
        _time.Advance(TimeSpan.FromSeconds(4000));
        AssertNoPublish();
    }

    [Fact]
    public async Task NoSipIdentityMeansNoPublish()
    {
        _core.AssociatedUris = "<tel:+15550100>";
        await StartAsync();
        ImSettingsPublicationState s = await WaitForAsync(s => s.Status == ImSettingsPublicationStatus.Failed);
        Assert.Equal(ImSettingsFailureReason.NoImAddress, s.FailureReason);
        Assert.Null(s.NextAttemptAt);
        AssertNoPublish();
    }

    [Fact]
    public async Task ARefreshedRegistrationWithASipIdentityEndsTheNoImAddressFailure()
    {
        _core.AssociatedUris = "<tel:+15550100>";
        _core.RegistrationExpires = 1000;
        await StartAsync();
        await WaitForAsync(s => s.FailureReason == ImSettingsFailureReason.NoImAddress);
        _core.AssociatedUris = "<tel:+15550100>, <" + SettingsTestCore.Impu + ">";
        // The registration refreshes at half of its 1000 s.
        _time.Advance(TimeSpan.FromSeconds(500));
        (SipRequest publish, DateTimeOffset at) = await _core.NextPublishAsync();
        Assert.Equal(T0 + TimeSpan.FromSeconds(500), at);
        Assert.Equal(SettingsTestCore.Impu, publish.RequestUri.ToString());
        await WaitForAsync(s => s.Status == ImSettingsPublicationStatus.Published);
    }

    [Fact]
    public async Task HandlerExceptionsDoNotStopThePublisher()
    {
        _registration = _core.CreateRegistration();
        _publisher = new ImSettingsPublisher(_registration, Offline, null, _time, null, () => 0.0);
        _publisher.StateChanged += _ => throw new InvalidOperationException("application bug");
        _publisher.Start();
        _registration.Start();
        await _core.NextPublishAsync();
        await WaitForAsync(s => s.Status == ImSettingsPublicationStatus.Published);
    }

    [Fact]
    public void BadOptionsAreRefusedAtConstruction()
    {
        ImsRegistration registration = _core.CreateRegistration();
        _registration = registration;
        Assert.Throws<ArgumentException>(() => new ImSettingsPublisher(registration, Offline, new ImSettingsPublisherSettings { UserAgent = "a\r\nb" }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImSettingsPublisher(registration, Offline, new ImSettingsPublisherSettings { Expires = 0 }));
        Assert.Throws<ArgumentException>(() => new ImSettingsPublisher(registration, Offline, new ImSettingsPublisherSettings { ApplicationFeatureTags = ["not a tag;;"] }));
    }

    [Fact]
    public void SettingsMapOntoTheDocumentBothWays()
    {
        ImServiceSettings doc = Offline.ToServiceSettings();
        Assert.True(doc.IsComplete);
        Assert.Equal(true, doc.IncomingSessionBarring);
        Assert.Equal(false, doc.IncomingPagerLargeModeBarring);
        Assert.Equal(true, doc.Invisibility);
        Assert.Equal(false, doc.OfflineDelivery);
        Assert.Equal(true, doc.SessionModeHistory);
        Assert.Equal(false, doc.PagerLargeModeHistory);
        Assert.Equal(true, doc.IncomingFileTransferBarring);
        Assert.Equal(Offline, ImSettings.FromServiceSettings(doc));
        Assert.Equal(new ImSettings(), ImSettings.FromServiceSettings(new ImServiceSettings()));
        Assert.True(new ImSettings().OfflineDelivery);
    }

    public async ValueTask DisposeAsync()
    {
        if (_publisher is not null)
        {
            await _publisher.DisposeAsync();
        }

        if (_registration is not null)
        {
            await _registration.DisposeAsync();
        }

        await _core.DisposeAsync();
    }
}
