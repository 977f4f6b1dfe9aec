// SPDX-License-Identifier: MIT
using ImUeAgent.Sip.Message;
using ImUeAgent.Testbed.Core;

namespace ImUeAgent.Testbed.Im;

/// <summary>The Controlling IM Function for pager mode (8.3.2.1): a URI-list MESSAGE to the conference factory (step 7a,
/// RFC 5365) and a MESSAGE to a pre-defined group (step 7b) become one MESSAGE per member; members who are not
/// registered get deferred storage.</summary>
internal sealed partial class ImServer
{
    /// <summary>RFC 3323 §4.1.1.3 / 8.3.2.1 step 4c: the anonymous URI of a Referred-By when privacy was asked.</summary>
    private const string AnonymousUri = "sip:anonymous@anonymous.invalid";

    private async ValueTask<bool> OnFactoryRequestAsync(ApplicationServerRequest request, CancellationToken cancellationToken)
    {
        var sip = request.Request;
        if (sip.Method == SipMethod.Invite)
        {
            // An ad-hoc IM group session (RFC 5366): the focus (ImServer.Conference.cs).
            return await OnFactoryInviteAsync(request, cancellationToken).ConfigureAwait(false);
        }

        if (sip.Method != SipMethod.Message)
        {
            await Core.RespondAsync(sip, request.Flow, 405, addHeaders: b => b.Add(SipHeaderId.Allow, "MESSAGE, INVITE"), cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            return true;
        }

        // RFC 5365 §4: multipart/mixed with a recipient-list part (application/resource-lists+xml) and the message.
        if (sip.Headers.ContentType is not { } type || !type.Is("multipart", "mixed"))
        {
            await Core.RespondAsync(sip, request.Flow, 415, "Unsupported Media Type - a URI-list MESSAGE is multipart/mixed",
                addHeaders: b => b.Add(SipHeaderId.Accept, "multipart/mixed, application/resource-lists+xml"), cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }

        var error = MimeMultipart.TryParse(sip.Body, type.Boundary, out var parts);
        MimePart? list = null, content = null;
        if (error == ImContentError.None)
        {
            list = parts.FirstOrDefault(p => p.MediaType == "application/resource-lists+xml"
                && (p.Header("Content-Disposition")?.StartsWith("recipient-list", StringComparison.OrdinalIgnoreCase) ?? true));
            content = parts.FirstOrDefault(p => !ReferenceEquals(p, list));
            error = list is null ? ImContentError.NoRecipientList : content is null ? ImContentError.NoMessagePart : ImContentError.None;
        }

        var recipients = new List<string>();
        if (error == ImContentError.None)
        {
            error = ResourceListBody.TryRead(list!.Body, _settings.MaxRecipients, out recipients);
        }

        if (error != ImContentError.None)
        {
            var status = error == ImContentError.TooManyRecipients ? 403 : 400;
            await Core.RespondAsync(sip, request.Flow, status, (status == 403 ? "Forbidden - " : "Bad Request - ") + error, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            return true;
        }

        // RFC 5365 §4.1: 202 Accepted, then one MESSAGE per recipient (the sender is not sent its own copy twice).
        await Core.RespondAsync(sip, request.Flow, 202, cancellationToken: cancellationToken).ConfigureAwait(false);
        var anonymous = SipText.WantsAnonymity(sip);
        var identity = Core.AssertedIdentityOf(sip);
        _logger.Exploded("MESSAGE", identity ?? "-", recipients.Count, "ad-hoc");
        var messages = recipients.Select(r => (Recipient: r, Request: BuildFanOutMessage(sip, r, content!, from: null,
            assertedIdentity: anonymous ? null : identity, referredBy: null))).ToList();
        Deliver(messages, anonymous ? null : identity);
        return true;
    }

    private async ValueTask<bool> OnGroupRequestAsync(ApplicationServerRequest request, SipUri group, IReadOnlyList<string> members, CancellationToken cancellationToken)
    {
        var sip = request.Request;
        if (sip.Method != SipMethod.Message)
        {
            await Core.RespondAsync(sip, request.Flow, 501, "Not Implemented - IM group sessions", cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }

        await Core.RespondAsync(sip, request.Flow, 202, cancellationToken: cancellationToken).ConfigureAwait(false);
        var anonymous = SipText.WantsAnonymity(sip);
        var identity = Core.AssertedIdentityOf(sip);
        var sender = request.ServedUser!;
        var content = new MimePart([new("Content-Type", sip.Headers.ContentType?.ToString() ?? "text/plain")], sip.Body);
        // 8.3.2.1 step 4: the asserted identity is the group's; Referred-By names the sender (or nobody, 4c).
        var recipients = members.Where(m => !ReferenceEquals(Core.FindSubscriber(SipUri.Parse(m)), sender)).ToList();
        _logger.Exploded("MESSAGE", identity ?? "-", recipients.Count, "pre-defined group " + group);
        var messages = recipients.Select(r => (Recipient: r, Request: BuildFanOutMessage(sip, r, content, from: "<" + group + ">",
            assertedIdentity: group.ToString(), referredBy: anonymous || identity is null ? "<" + AnonymousUri + ">" : "<" + identity + ">"))).ToList();
        Deliver(messages, group.ToString());
        return true;
    }

    /// <summary>8.3.2.1: one MESSAGE to <paramref name="recipient"/> (step 6) with the received Accept-Contact under the
    /// server rule (step 2), the asserted identity of step 3/4, Referred-By of step 4b/4c, Privacy kept (RFC 3325).</summary>
    private SipRequest BuildFanOutMessage(SipRequest received, string recipient, MimePart content, string? from, string? assertedIdentity, string? referredBy)
    {
        var target = SipUri.Parse(recipient);
        var builder = SipMessageBuilder.Request(SipMethod.Message, target)
            .Add(SipHeaderId.From, (from ?? StripTag(received.Headers.GetValue(SipHeaderId.From)!)) + ";tag=" + NewToken())
            .Add(SipHeaderId.To, "<" + recipient + ">")
            .CallId(NewToken() + NewToken() + "@" + Domain)
            .CSeq(1, SipMethod.Message);
        ImAcceptContact.CopyWithRule(received, builder);
        builder.CopyAll(received, SipHeaderId.RejectContact);
        builder.CopyAll(received, SipHeaderId.RequestDisposition);
        if (assertedIdentity is not null)
        {
            builder.Add(SipHeaderId.PAssertedIdentity, "<" + assertedIdentity + ">");
        }

        if (referredBy is not null)
        {
            builder.Add(SipHeaderId.ReferredBy, referredBy);
        }

        builder.CopyAll(received, SipHeaderId.Privacy);
        builder.CopyAll(received, SipHeaderId.Subject);
        builder.CopyAll(received, SipHeaderId.Date);
        builder.CopyAll(received, SipHeaderId.Expires);
        builder.Add(SipHeaderId.UserAgent, _settings.UserAgent);
        foreach (var (name, value) in content.Headers.Where(h => !h.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)
            && !h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)))
        {
            // Content-ID, Content-Disposition … of the message part stay with it.
            builder.Add(name, value);
        }

        builder.Body(ParseMediaType(content.ContentType), content.Body);
        return builder.BuildRequest();
    }

    /// <summary>Sends each generated MESSAGE: to the registered contact, or into deferred storage.</summary>
    private void Deliver(List<(string Recipient, SipRequest Request)> messages, string? assertedIdentity)
    {
        foreach (var (recipient, generated) in messages)
        {
            if (Core.FindSubscriber(SipUri.Parse(recipient)) is not { } member)
            {
                _logger.RecipientFailed(recipient, "not a user of this network");
                continue;
            }

            if (!Core.IsRegistered(SipUri.Parse(recipient)))
            {
                StoreGenerated(generated, member, assertedIdentity);
                continue;
            }

            var outbound = new ApplicationServerOutbound("MESSAGE", SipUri.Parse(recipient), ToRegisteredContact: true, (b, _) =>
            {
                foreach (var header in generated.Headers)
                {
                    if (header.Id is not (SipHeaderId.ContentLength or SipHeaderId.ContentType))
                    {
                        b.AddRaw(header);
                    }
                }
            })
            {
                ContentType = generated.Headers.ContentType,
                Body = generated.Body,
            };
            Run(async token =>
            {
                var outcome = await Core.SendRequestAsync(outbound, token).ConfigureAwait(false);
                if (outcome.Response is not { IsSuccess: true })
                {
                    _logger.RecipientFailed(recipient, outcome.Response is { } r ? r.StatusCode + " " + r.ReasonPhrase : outcome.Failure.ToString());
                }
            });
        }
    }

    private static string StripTag(string nameAddress)
    {
        var at = nameAddress.IndexOf(";tag=", StringComparison.OrdinalIgnoreCase);
        if (at < 0)
        {
            return nameAddress;
        }

        var end = nameAddress.IndexOf(';', at + 1);
        return nameAddress[..at] + (end < 0 ? string.Empty : nameAddress[end..]);
    }

    /// <summary>A part's Content-Type as a SIP MediaType (type/subtype and its parameters).</summary>
    internal static MediaType ParseMediaType(string text)
    {
        var pieces = text.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var slash = pieces.Length > 0 ? pieces[0].IndexOf('/', StringComparison.Ordinal) : -1;
        if (slash <= 0)
        {
            return new MediaType("text", "plain");
        }

        var parameters = pieces.Skip(1).Select(p =>
        {
            var eq = p.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                return new SipParameter(p);
            }

            var value = p[(eq + 1)..].Trim();
            var quoted = value.Length >= 2 && value[0] == '"' && value[^1] == '"';
            return new SipParameter(p[..eq].Trim(), quoted ? value[1..^1] : value, quoted);
        });
        return new MediaType(pieces[0][..slash], pieces[0][(slash + 1)..], parameters);
    }
}
