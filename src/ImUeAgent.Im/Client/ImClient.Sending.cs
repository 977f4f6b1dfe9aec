// SPDX-License-Identifier: MIT
using ImUeAgent.Im.Client.Pager;
using ImUeAgent.Im.Content;
using ImUeAgent.Im.FeatureTags;
using ImUeAgent.Im.Store;
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Transactions;
using ImUeAgent.Sip.Ua;

namespace ImUeAgent.Im.Client;

public sealed partial class ImClient
{
    /// <summary>The sender loop: while registered, claims the next due outbox message, sends it and records the
    /// outcome; otherwise sleeps until a message is enqueued, the registration changes or a retry falls due.</summary>
    private async Task RunSenderAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Task wake = _senderWake.WaitAsync();
            try
            {
                if (!IsRegistered)
                {
                    await wake.WaitAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }

                OutboxMessage? message = await _store.ClaimNextDueAsync(_time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
                if (message is null)
                {
                    await SleepUntilDueAsync(wake, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                await PublishOutboxAsync().ConfigureAwait(false);
                AttemptOutcome outcome = await AttemptAsync(message, cancellationToken).ConfigureAwait(false);
                await RecordAsync(message, outcome, cancellationToken).ConfigureAwait(false);
                await PublishOutboxAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is MessageStoreException or ObjectDisposedException)
            {
                // The store refused a write: the claimed message stays 'sending' and is re-queued at the next open.
                ClientLog.StoreFailed(_logger, e, "sending from the outbox");
                await Task.Delay(_settings.RetryBaseDelay, _time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task SleepUntilDueAsync(Task wake, CancellationToken cancellationToken)
    {
        DateTimeOffset? due = await _store.GetNextDueTimeAsync(cancellationToken).ConfigureAwait(false);
        if (due is null)
        {
            await wake.WaitAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        TimeSpan delay = due.Value - _time.GetUtcNow();
        if (delay <= TimeSpan.Zero)
        {
            return;
        }

        using var cancelDelay = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task sleep = Task.Delay(delay, _time, cancelDelay.Token);
        await Task.WhenAny(wake, sleep).ConfigureAwait(false);
        await cancelDelay.CancelAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>One attempt: pager mode (8.1.1) when the whole serialized MESSAGE is below the limit (or above it with
    /// a connection-oriented transport known end to end), Large Message Mode (9) otherwise.</summary>
    private async Task<AttemptOutcome> AttemptAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        Originator? originator = OwnOriginator(_settings.RequestAnonymity);
        if (originator is null)
        {
            return AttemptOutcome.Transient(null, "not registered");
        }

        if (!MimeMediaType.TryParse(message.ContentType, out MediaType? contentType))
        {
            return AttemptOutcome.Permanent(OutboxFailureReason.Rejected, null, "Content-Type");
        }

        ClientFeatureTagPolicy policy;
        try
        {
            policy = PolicyFor(message.FeatureTags);
        }
        catch (ArgumentException)
        {
            return AttemptOutcome.Permanent(OutboxFailureReason.Rejected, null, "feature tags");
        }

        SipUserAgent userAgent = _registration.UserAgent;
        OutgoingPayload payload = OutgoingRequestFactory.BuildPayload(message, contentType, originator, _time.GetUtcNow());
        try
        {
            bool large = message.ModeHint == DeliveryModeHint.LargeMessage;
            if (!large)
            {
                SipRequest request = OutgoingRequestFactory.BuildMessage(message.Recipients, _settings.ConferenceFactoryUri, payload, originator, policy,
                    _settings.UserAgent, SipUserAgent.NewTag());
                int size = OutgoingRequestFactory.PredictWireLength(request, userAgent);
                large = message.ModeHint != DeliveryModeHint.Pager && size >= _settings.PagerSizeLimit && !_settings.AssumeConnectionOrientedTransport;
                if (!large)
                {
                    AttemptOutcome pager = await SendPagerAsync(userAgent, request, cancellationToken).ConfigureAwait(false);
                    ClientLog.Sent(_logger, message.Id, "pager", size, pager.StatusCode ?? 0);
                    // RFC 3428 §8: 413 (or 513) to a MESSAGE means too large for pager mode: try a session (9).
                    if (pager.Reason != OutboxFailureReason.TooLarge || message.ModeHint == DeliveryModeHint.Pager)
                    {
                        return pager;
                    }
                }
            }

            IReadOnlyList<string> wrapped = payload.ContentType.Is("message", "cpim") ? [contentType.Name, Imdn.ContentType] : [];
            AttemptOutcome result = await _large.SendAsync(userAgent, message.Recipients, payload, message.MessageId, wrapped, originator, policy, cancellationToken)
                .ConfigureAwait(false);
            ClientLog.Sent(_logger, message.Id, "large", payload.Body.Length, result.StatusCode ?? 0);
            return result;
        }
        catch (ImSendException e)
        {
            return AttemptOutcome.Permanent(OutboxFailureReason.Rejected, null, e.Error.ToString());
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException)
        {
            // No route to the P-CSCF right now (transport gone, UA being replaced): another attempt later.
            return AttemptOutcome.Transient(null, e.GetType().Name);
        }
    }

    private static async Task<AttemptOutcome> SendPagerAsync(SipUserAgent userAgent, SipRequest request, CancellationToken cancellationToken)
    {
        try
        {
            // A non-INVITE transaction cannot be cancelled (RFC 3261 §9.1): stop waiting on shutdown instead; the
            // message stays 'sending' and is re-queued when the store is opened again.
            SipResponse response = await userAgent.SendAsync(request, cancellationToken: cancellationToken).WaitAsync(cancellationToken).ConfigureAwait(false);
            return AttemptOutcome.FromSip(response.StatusCode);
        }
        catch (SipTransactionException e)
        {
            return AttemptOutcome.Transient(null, "MESSAGE " + e.Error);
        }
    }

    private async Task RecordAsync(OutboxMessage message, AttemptOutcome outcome, CancellationToken cancellationToken)
    {
        switch (outcome.Result)
        {
            case AttemptResult.Sent:
                await _store.MarkSentAsync(message.Id, cancellationToken).ConfigureAwait(false);
                break;
            case AttemptResult.Transient when message.Attempts >= _settings.MaxAttempts:
                ClientLog.SendFailed(_logger, message.Id, OutboxFailureReason.AttemptsExhausted, outcome.StatusCode);
                await _store.MarkFailedAsync(message.Id, OutboxFailureReason.AttemptsExhausted, outcome.StatusCode, cancellationToken).ConfigureAwait(false);
                break;
            case AttemptResult.Transient:
                DateTimeOffset at = _time.GetUtcNow() + RetryDelay(message.Attempts);
                ClientLog.RetryScheduled(_logger, message.Id, outcome.StatusCode, outcome.Detail, at);
                await _store.ScheduleRetryAsync(message.Id, at, outcome.StatusCode, cancellationToken).ConfigureAwait(false);
                break;
            default:
                ClientLog.SendFailed(_logger, message.Id, outcome.Reason, outcome.StatusCode);
                await _store.MarkFailedAsync(message.Id, outcome.Reason, outcome.StatusCode, cancellationToken).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>Exponential backoff: base × 2^(attempts−1), capped.</summary>
    internal TimeSpan RetryDelay(int attempts)
    {
        double factor = Math.Pow(2, Math.Clamp(attempts - 1, 0, 30));
        TimeSpan delay = TimeSpan.FromTicks((long)Math.Min(_settings.RetryBaseDelay.Ticks * factor, _settings.RetryMaxDelay.Ticks));
        return delay;
    }
}
