// SPDX-License-Identifier: MIT
using System.Globalization;
using ImUeAgent.Sip.Message;
using ImUeAgent.Testbed.Core;

namespace ImUeAgent.Testbed.Im;

/// <summary>Deferred storage of pager-mode messages (12.2.2.3) and the IM Service Settings PUBLISH (5.2.4).</summary>
internal sealed partial class ImServer
{
    /// <summary>12.2.2.3 for a MESSAGE to a user who is not registered: the complete message is stored (its header
    /// lines byte-exact, P-Asserted-Identity only without anonymity, Accept-Contact per the server rule, the receive
    /// Date and the server's Message-ID added) and the sender gets 202 Accepted (RFC 3428 §7: accepted, delivery
    /// later).</summary>
    private async ValueTask StoreMessageAsync(ApplicationServerRequest request, CancellationToken cancellationToken)
    {
        var sip = request.Request;
        var user = request.ServedUser!;
        BuildStoredMessage(sip, Core.AssertedIdentityOf(sip), user, out var message);
        if (!Store.TryAdd(message))
        {
            _logger.StoreRefused(user.Impi, "store full");
            await Core.RespondAsync(sip, request.Flow, 480, "Temporarily Unavailable - Deferred store full", cancellationToken: cancellationToken).ConfigureAwait(false);
            return;
        }

        _logger.Stored("pager", message.Id, user.Impi, message.ExpiresAt);
        await Core.RespondAsync(sip, request.Flow, 202, addHeaders: b => b.Add(SipHeaderId.Contact, "<" + ServerUri + ">"), cancellationToken: cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>The stored copy of a MESSAGE (12.2.2.3 steps 1, 2, 4, 6).</summary>
    private SipRequest BuildStoredMessage(SipRequest sip, string? assertedIdentity, Subscriber user, out DeferredMessage message)
    {
        var now = _time.GetUtcNow();
        var anonymous = SipText.WantsAnonymity(sip);
        var identity = anonymous ? null : assertedIdentity;
        var id = DeferredMessage.NewId(Domain);
        var add = new List<(string, string)>();
        if (identity is not null)
        {
            add.Add(("P-Asserted-Identity", "<" + identity + ">"));
        }

        if (!ImAcceptContact.HasSipIm(sip))
        {
            add.Add(("Accept-Contact", ImAcceptContact.SipImValue));
        }

        if (!sip.Headers.Contains(SipHeaderId.Date))
        {
            add.Add(("Date", SipText.Date(now)));
        }

        add.Add(("Message-ID", id));
        var stored = SipText.CopyRequest(sip,
            skip: h => h.Id is SipHeaderId.Route or SipHeaderId.PPreferredIdentity or SipHeaderId.PAssertedIdentity or SipHeaderId.Authorization
                or SipHeaderId.ProxyAuthorization,
            add: add);
        message = new DeferredMessage
        {
            Id = id,
            Mode = DeferredMode.Pager,
            OwnerImpi = user.Impi,
            OwnerImpus = user.Impus,
            ReceivedAt = now,
            ExpiresAt = now + ExpiryOf(sip),
            From = sip.Headers.From?.ToString() ?? string.Empty,
            To = sip.Headers.To?.ToString() ?? string.Empty,
            AssertedIdentity = identity,
            Subject = sip.Headers.Subject,
            ContentType = sip.Headers.ContentType?.ToString() ?? string.Empty,
            Size = sip.Body.Length,
            Request = stored.ToArray(),
        };
        return stored;
    }

    /// <summary>12.2.2.3 step 6: the MESSAGE's Expires when below the local maximum, else the default.</summary>
    private TimeSpan ExpiryOf(SipRequest sip) =>
        sip.Headers.Expires is { } seconds && TimeSpan.FromSeconds(seconds) <= _settings.MaxDeferredExpiry
            ? TimeSpan.FromSeconds(seconds)
            : _settings.DefaultDeferredExpiry;

    /// <summary>Stores a message the server generated for an unregistered member (group fan-out).</summary>
    private void StoreGenerated(SipRequest generated, Subscriber member, string? assertedIdentity)
    {
        BuildStoredMessage(generated, assertedIdentity, member, out var message);
        if (Store.TryAdd(message))
        {
            _logger.Stored("pager", message.Id, member.Impi, message.ExpiresAt);
        }
        else
        {
            _logger.StoreRefused(member.Impi, "store full");
        }
    }

    // ---- 5.2.4 IM Service Settings: PUBLISH Event: poc-settings (RFC 3903) ----

    private async ValueTask OnPublishAsync(ApplicationServerRequest request, CancellationToken cancellationToken)
    {
        var sip = request.Request;
        var user = request.ServedUser!;
        var requested = sip.Headers.Expires ?? 3600;
        var ifMatch = sip.Headers.GetValue("SIP-If-Match");
        _published.TryGetValue(user.Impi, out var current);
        if (ifMatch is not null && (current is null || !string.Equals(current.ETag, ifMatch.Trim(), StringComparison.Ordinal)))
        {
            // RFC 3903 §6 step 3: an unknown entity tag.
            await Core.RespondAsync(sip, request.Flow, 412, cancellationToken: cancellationToken).ConfigureAwait(false);
            return;
        }

        if (requested == 0)
        {
            // RFC 3903 §6 step 4: removal.
            _published.TryRemove(user.Impi, out _);
            await Core.RespondAsync(sip, request.Flow, 200, addHeaders: b => b.Add("SIP-ETag", ifMatch ?? NewToken()).Add(SipHeaderId.Expires, "0"),
                cancellationToken: cancellationToken).ConfigureAwait(false);
            return;
        }

        ImUserSettings? settings;
        if (sip.Body.IsEmpty)
        {
            if (current is null)
            {
                // RFC 3903 §6 step 5: an initial publication carries a body.
                await Core.RespondAsync(sip, request.Flow, 400, "Bad Request - Initial PUBLISH without a body", cancellationToken: cancellationToken).ConfigureAwait(false);
                return;
            }

            settings = current.Settings;
        }
        else if (sip.Headers.ContentType?.Is("application", "poc-settings+xml") != true)
        {
            await Core.RespondAsync(sip, request.Flow, 415, addHeaders: b => b.Add(SipHeaderId.Accept, "application/poc-settings+xml"),
                cancellationToken: cancellationToken).ConfigureAwait(false);
            return;
        }
        else if (ImUserSettings.TryRead(sip.Body, out settings) is var error and not ImContentError.None)
        {
            await Core.RespondAsync(sip, request.Flow, 400, "Bad Request - poc-settings: " + error, cancellationToken: cancellationToken).ConfigureAwait(false);
            return;
        }

        // 5.2.4 step 7: the lifetime is in the registration's range; the server keeps it there.
        var granted = Math.Clamp(requested, 60u, 3600u);
        var etag = NewToken();
        var wasActive = OfflineDeliveryActive(user.Impi);
        _published[user.Impi] = new PublishedSettings(etag, settings!, _time.GetUtcNow() + TimeSpan.FromSeconds(granted));
        _logger.SettingsPublished(user.Impi, Describe(settings!.OfflineDelivery), Describe(settings.PagerLargeModeBarring), granted);
        await Core.RespondAsync(sip, request.Flow, 200,
            addHeaders: b => b.Add("SIP-ETag", etag).Add(SipHeaderId.Expires, granted.ToString(CultureInfo.InvariantCulture)),
            cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!wasActive && OfflineDeliveryActive(user.Impi) && Core.IsRegistered(SipUri.Parse(user.Impus[0])))
        {
            // Offline delivery switched on while registered: what waits is pushed now.
            StartPush(user);
        }
    }

    /// <summary>The 12.1.2 metadata document of a user (null: not a user of this network).</summary>
    internal byte[]? DeferredListDocument(string impu)
    {
        if (!SipUri.TryParse(impu, out var uri) || _core?.FindSubscriber(uri) is not { } user)
        {
            return null;
        }

        return Im.DeferredListDocument.Build(Store.List(user.Impi));
    }

    private static string Describe(bool? value) => value switch
    {
        true => "active",
        false => "inactive",
        _ => "unset",
    };
}
