// SPDX-License-Identifier: MIT
using System.Globalization;
using ImUeAgent.Sip.Message;
using ImUeAgent.Testbed.Core;

namespace ImUeAgent.Testbed.Im;

/// <summary>
/// The conference event package at the focus (RFC 4575, RFC 6665; OMA SIMPLE IM 7.1.1.2: the client of a group
/// session subscribes to it): SUBSCRIBE Event: conference to the conference URI from a user on the conference's list →
/// 200 and a NOTIFY with the full conference-info, then a partial NOTIFY (the users that changed, each whole) on every
/// join and leave; the subscription ends by expiry, unsubscribe, a failed NOTIFY, or the end of the conference
/// (terminated;reason=noresource).
/// </summary>
internal sealed partial class ImServer
{
    private static readonly MediaType ConferenceInfoType = new("application", ConferenceInfo.MediaSubtype);

    private async ValueTask OnConferenceSubscribeAsync(Conference conference, ApplicationServerRequest request, CancellationToken cancellationToken)
    {
        var sip = request.Request;
        if (!string.Equals(sip.Headers.Event?.Token, "conference", StringComparison.OrdinalIgnoreCase))
        {
            // RFC 6665 §4.2.1.1: an event package the notifier does not serve at this URI.
            await RefuseAsync(request, 489, "Bad Event", b => b.Add(SipHeaderId.AllowEvents, "conference"), cancellationToken).ConfigureAwait(false);
            return;
        }

        var user = request.ServedUser!;
        bool member;
        lock (conference.Gate)
        {
            member = conference.Participants.Any(p => ReferenceEquals(Core.FindSubscriber(SipUri.Parse(p.Identity)), user));
        }

        if (!member)
        {
            // RFC 4575 §3.6: the focus decides who may watch; here, the users the conference was set up for.
            await RefuseAsync(request, 403, "Forbidden - Not on this conference's list", null, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (sip.Headers.Accept is { Count: > 0 } accept
            && !accept.Any(a => a.Is("application", ConferenceInfo.MediaSubtype) || a.Is("application", "*") || a.Is("*", "*")))
        {
            await RefuseAsync(request, 406, "Not Acceptable - application/conference-info+xml only", null, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (sip.Headers.Contact is not { Count: > 0 } contacts || contacts[0].Uri is not { } remoteTarget || sip.Headers.From?.Tag is null)
        {
            await RefuseAsync(request, 400, "Bad Request - SUBSCRIBE needs a Contact and a From tag", null, cancellationToken).ConfigureAwait(false);
            return;
        }

        int count;
        lock (conference.Gate)
        {
            count = conference.Subscriptions.Count;
        }

        if (count >= MaxConferenceSubscriptions)
        {
            await RefuseAsync(request, 503, "Service Unavailable - Too many subscriptions", null, cancellationToken).ConfigureAwait(false);
            return;
        }

        var granted = Math.Min(sip.Headers.Expires ?? _settings.MaxConferenceSubscriptionExpires, _settings.MaxConferenceSubscriptionExpires);
        var watcher = Core.AssertedIdentityOf(sip) ?? user.Impus[0];
        var toTag = NewToken();
        var dialog = new FocusDialog(sip.Headers.CallId!, sip.Headers.GetValue(SipHeaderId.To)! + ";tag=" + toTag, sip.Headers.GetValue(SipHeaderId.From)!,
            remoteTarget);
        var subscription = new ConferenceSubscription(dialog, watcher, sip.Headers.GetValue(SipHeaderId.Event)!);
        var contact = Core.ApplicationServerUri(conference.User, request.Flow.Transport);
        // RFC 6665 §4.2.1.1: 200 (202 is deprecated), the granted Expires, the notifier's Contact.
        await Core.AnswerAsync(sip, request.Flow, 200, toTag, b =>
        {
            b.Add(SipHeaderId.Expires, granted.ToString(CultureInfo.InvariantCulture));
            b.Add(SipHeaderId.Contact, "<" + contact + ">;isfocus");
            b.Add(SipHeaderId.AllowEvents, "conference");
        }, cancellationToken).ConfigureAwait(false);

        _logger.ConferenceSubscribed(conference.Uri, watcher, granted);
        StartSubscription(conference, subscription, granted, added: false);
        // The NOTIFYs leave from their own task, after the 200 (RFC 6665 §4.2.1.2: one at once with the full state).
        Run(token => RunSubscriptionAsync(conference, subscription, token));
    }

    /// <summary>A refresh or an unsubscribe inside the subscription's dialog (RFC 6665 §4.1.2.2, §4.1.2.3).</summary>
    private async ValueTask OnConferenceResubscribeAsync(Conference conference, ConferenceSubscription subscription, ApplicationServerRequest request,
        CancellationToken cancellationToken)
    {
        var sip = request.Request;
        var granted = Math.Min(sip.Headers.Expires ?? _settings.MaxConferenceSubscriptionExpires, _settings.MaxConferenceSubscriptionExpires);
        await Core.RespondAsync(sip, request.Flow, 200, addHeaders: b => b.Add(SipHeaderId.Expires, granted.ToString(CultureInfo.InvariantCulture)),
            cancellationToken: cancellationToken).ConfigureAwait(false);
        StartSubscription(conference, subscription, granted, added: true);
    }

    /// <summary>Sets a subscription's lifetime and queues the full state: active with the time left, or — zero (a fetch
    /// or an unsubscribe) or a conference that has just ended — terminated, ending the subscription.</summary>
    private void StartSubscription(Conference conference, ConferenceSubscription subscription, uint granted, bool added)
    {
        var now = _time.GetUtcNow();
        lock (conference.Gate)
        {
            if (added && !conference.Subscriptions.Contains(subscription))
            {
                // Ended meanwhile (a failed NOTIFY): the 200 went out, nothing more will.
                return;
            }

            subscription.ExpiresAt = now + TimeSpan.FromSeconds(granted);
            var body = BuildDocumentLocked(conference, subscription, full: true, conference.Participants);
            if (granted == 0 || conference.Ended)
            {
                EnqueueLocked(conference, subscription, new ConferenceNotify(body, conference.Ended ? "terminated;reason=noresource" : "terminated;reason=timeout"));
                RemoveSubscriptionLocked(conference, subscription);
                return;
            }

            if (!added)
            {
                conference.Subscriptions.Add(subscription);
            }

            if (EnqueueLocked(conference, subscription, new ConferenceNotify(body, ActiveState(subscription, now))))
            {
                var due = TimeSpan.FromSeconds(granted);
                if (subscription.Timer is { } timer)
                {
                    timer.Change(due, Timeout.InfiniteTimeSpan);
                }
                else
                {
                    subscription.Timer = _time.CreateTimer(_ => OnSubscriptionTimer(conference, subscription), null, due, Timeout.InfiniteTimeSpan);
                }
            }
        }
    }

    /// <summary>RFC 6665 §4.2.2: at expiry the notifier sends a last NOTIFY, terminated;reason=timeout.</summary>
    private void OnSubscriptionTimer(Conference conference, ConferenceSubscription subscription)
    {
        lock (conference.Gate)
        {
            if (!conference.Subscriptions.Contains(subscription) || subscription.ExpiresAt > _time.GetUtcNow())
            {
                return;
            }

            EnqueueLocked(conference, subscription, new ConferenceNotify(BuildDocumentLocked(conference, subscription, full: true, conference.Participants),
                "terminated;reason=timeout"));
            RemoveSubscriptionLocked(conference, subscription);
        }

        _logger.ConferenceSubscriptionEnded(conference.Uri, subscription.Watcher, "expired");
    }

    private async Task RunSubscriptionAsync(Conference conference, ConferenceSubscription subscription, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var notify in subscription.Queue.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                var dialog = subscription.Dialog;
                var request = FocusRequest(conference, dialog, "NOTIFY", dialog.NextCSeq(), b => b
                    .Add(SipHeaderId.Event, subscription.EventHeader)
                    .Add(SipHeaderId.SubscriptionState, notify.SubscriptionState)) with
                {
                    ContentType = ConferenceInfoType,
                    Body = notify.Body,
                };
                var outcome = await Core.SendRequestAsync(request, cancellationToken).ConfigureAwait(false);
                if (outcome.Response is not { IsSuccess: true })
                {
                    // RFC 6665 §4.2.2: a NOTIFY that fails (481, a timeout, another error) ends the subscription.
                    lock (conference.Gate)
                    {
                        RemoveSubscriptionLocked(conference, subscription);
                    }

                    _logger.ConferenceSubscriptionEnded(conference.Uri, subscription.Watcher, "NOTIFY " + (outcome.Response?.StatusCode.ToString(CultureInfo.InvariantCulture)
                        ?? outcome.Failure.ToString()));
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The server stops.
        }
    }

    /// <summary>Under the gate: a partial NOTIFY with the users in <paramref name="changed"/> to every subscription.</summary>
    private void NotifyChangedLocked(Conference conference, IReadOnlyList<ConferenceParticipant> changed, DateTimeOffset now)
    {
        foreach (var subscription in conference.Subscriptions.ToList())
        {
            EnqueueLocked(conference, subscription, new ConferenceNotify(BuildDocumentLocked(conference, subscription, full: false, changed),
                ActiveState(subscription, now)));
        }
    }

    /// <summary>Under the gate, when the conference ends: the last (partial) NOTIFY to every subscription, inactive, with
    /// the users <paramref name="changed"/> by the end; terminated;reason=noresource (RFC 6665 §4.2.2).</summary>
    private void EndSubscriptionsLocked(Conference conference, IReadOnlyList<ConferenceParticipant> changed)
    {
        foreach (var subscription in conference.Subscriptions.ToList())
        {
            EnqueueLocked(conference, subscription, new ConferenceNotify(BuildDocumentLocked(conference, subscription, full: false, changed),
                "terminated;reason=noresource"));
            RemoveSubscriptionLocked(conference, subscription);
            _logger.ConferenceSubscriptionEnded(conference.Uri, subscription.Watcher, "conference released");
        }
    }

    /// <summary>Queues a NOTIFY; a subscriber too far behind loses its subscription (bounded memory).</summary>
    private bool EnqueueLocked(Conference conference, ConferenceSubscription subscription, ConferenceNotify notify)
    {
        if (subscription.Queue.Writer.TryWrite(notify))
        {
            return true;
        }

        RemoveSubscriptionLocked(conference, subscription);
        _logger.ConferenceSubscriptionEnded(conference.Uri, subscription.Watcher, "too many NOTIFYs pending");
        return false;
    }

    /// <summary>Ends a subscription: what is queued still goes, then its task ends.</summary>
    private static void RemoveSubscriptionLocked(Conference conference, ConferenceSubscription subscription)
    {
        conference.Subscriptions.Remove(subscription);
        subscription.Timer?.Dispose();
        subscription.Timer = null;
        subscription.Queue.Writer.TryComplete();
    }

    /// <summary>RFC 4575 §5.1: the version counts the documents sent to this subscriber.</summary>
    private static byte[] BuildDocumentLocked(Conference conference, ConferenceSubscription subscription, bool full, IEnumerable<ConferenceParticipant> users)
    {
        subscription.Version++;
        return ConferenceInfo.Build(new ConferenceInfoDocument
        {
            Entity = conference.Uri,
            Full = full,
            Version = subscription.Version,
            Subject = conference.Subject,
            UserCount = conference.UserCount,
            Active = !conference.Ended,
            Users = [.. users.Select(p => p.Snapshot())],
        });
    }

    private static string ActiveState(ConferenceSubscription subscription, DateTimeOffset now) =>
        "active;expires=" + Math.Max(0, (long)Math.Ceiling((subscription.ExpiresAt - now).TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    /// <summary>On server stop: timers off, queues closed (the tasks end with the server's stop token).</summary>
    private void StopConferences()
    {
        foreach (var conference in _conferences.Values)
        {
            lock (conference.Gate)
            {
                foreach (var subscription in conference.Subscriptions.ToList())
                {
                    RemoveSubscriptionLocked(conference, subscription);
                }

                foreach (var participant in conference.Participants)
                {
                    participant.Outbox.Writer.TryComplete();
                }
            }
        }
    }
}
