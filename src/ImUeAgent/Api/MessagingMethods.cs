// SPDX-License-Identifier: MIT
using System.Text;
using System.Text.Json;
using ImUeAgent.Im.Client;
using ImUeAgent.Im.Settings;
using ImUeAgent.Im.Store;
using ImUeAgent.Messaging;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Api;

/// <summary>A call's parameters were wrong: which one and why (varlink InvalidParameter).</summary>
internal sealed class ApiParameterException(string parameter, string problem) : Exception($"{parameter}: {problem}")
{
    public string Parameter { get; } = parameter;

    public string Problem { get; } = problem;
}

/// <summary>Messaging methods share the store check and the parameter error reply.</summary>
internal abstract class MessagingMethod(MessagingHost messaging) : IApiMethod
{
    /// <summary>org.imue.Agent.MessagingUnavailable: the store could not be opened.</summary>
    public const string UnavailableError = Varlink.Interface + ".MessagingUnavailable";

    public abstract string Name { get; }

    public virtual bool Streams => false;

    protected MessagingHost Messaging => messaging;

    public async Task InvokeAsync(ApiCall call, ApiReplyWriter reply, CancellationToken cancellationToken)
    {
        if (messaging.Store is not { } store)
        {
            await reply.ErrorAsync(UnavailableError, w => w.WriteString("reason", messaging.Unavailable), cancellationToken).ConfigureAwait(false);
            return;
        }

        try
        {
            await InvokeAsync(store, call, reply, cancellationToken).ConfigureAwait(false);
        }
        catch (ApiParameterException ex)
        {
            await reply.ErrorAsync(Varlink.Errors.InvalidParameter, w =>
            {
                w.WriteString("parameter", ex.Parameter);
                w.WriteString("reason", ex.Problem);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (MessageStoreException ex)
        {
            await reply.ErrorAsync(UnavailableError, w => w.WriteString("reason", ex.Message), cancellationToken).ConfigureAwait(false);
        }
    }

    protected abstract Task InvokeAsync(MessageStore store, ApiCall call, ApiReplyWriter reply, CancellationToken cancellationToken);

    protected const int Batch = 100;

    /// <summary>
    /// A resumable stream: every row after <paramref name="cursor"/>, read in batches, then again each time the feed
    /// signals a change, until the client hangs up. Rows come from the store, so nothing is buffered per client.
    /// </summary>
    protected static async Task StreamAsync<T>(ChangeFeed feed, long cursor, Func<long, CancellationToken, Task<IReadOnlyList<T>>> read,
        Func<T, long> position, Action<Utf8JsonWriter, T> write, ApiReplyWriter reply, CancellationToken cancellationToken)
    {
        var seen = feed.Version;
        while (true)
        {
            IReadOnlyList<T> batch;
            do
            {
                batch = await read(cursor, cancellationToken).ConfigureAwait(false);
                foreach (var row in batch)
                {
                    await reply.ReplyAsync(w => write(w, row), continues: true, cancellationToken).ConfigureAwait(false);
                    cursor = position(row);
                }
            }
            while (batch.Count == Batch);

            seen = await feed.WaitPastAsync(seen, cancellationToken).ConfigureAwait(false);
        }
    }

    protected static long Long(ApiCall call, string name, long fallback, long min, long max)
    {
        if (!call.Parameters.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return fallback;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var n) || n < min || n > max)
        {
            throw new ApiParameterException(name, $"must be a whole number from {min} to {max}");
        }

        return n;
    }

    protected static string? Text(ApiCall call, string name, int maxLength)
    {
        if (!call.Parameters.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String || value.GetString()!.Length > maxLength)
        {
            throw new ApiParameterException(name, $"must be a string of at most {maxLength} characters");
        }

        return value.GetString();
    }

    protected static List<string> Strings(ApiCall call, string name, int maxCount, int maxLength)
    {
        if (!call.Parameters.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            return [value.GetString()!];
        }

        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() > maxCount)
        {
            throw new ApiParameterException(name, $"must be a string or an array of at most {maxCount} strings");
        }

        var list = new List<string>();
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || item.GetString()!.Length is 0 || item.GetString()!.Length > maxLength)
            {
                throw new ApiParameterException(name, $"must hold non-empty strings of at most {maxLength} characters");
            }

            list.Add(item.GetString()!);
        }

        return list;
    }
}

/// <summary>
/// org.imue.Agent.SendMessage {to, text | body+contentType, featureTags?, applicationRef?, imdn?, mode?}: commits the
/// message to the outbox (so it survives a crash and is sent once registered) and only then answers with its id
/// and Message-ID. The same applicationRef again returns the stored message instead of a second one.
/// </summary>
internal sealed class SendMessageMethod(MessagingHost messaging) : MessagingMethod(messaging)
{
    public override string Name => Varlink.Interface + ".SendMessage";

    protected override async Task InvokeAsync(MessageStore store, ApiCall call, ApiReplyWriter reply, CancellationToken cancellationToken)
    {
        var to = Strings(call, "to", 256, 512);
        if (to.Count == 0)
        {
            throw new ApiParameterException("to", "at least one recipient URI is required");
        }

        foreach (var uri in to)
        {
            if (!SipUri.TryParse(uri, out var parsed) || parsed.Scheme == SipUriScheme.Other)
            {
                throw new ApiParameterException("to", $"'{uri}' is not a sip:, sips: or tel: URI");
            }
        }

        var text = Text(call, "text", Varlink.MaxMessageBytes);
        var base64 = Text(call, "body", Varlink.MaxMessageBytes);
        var contentType = Text(call, "contentType", 200);
        byte[] body;
        if (text is not null == base64 is not null)
        {
            throw new ApiParameterException("text", "give exactly one of text and body (base64)");
        }

        if (text is not null)
        {
            body = Encoding.UTF8.GetBytes(text);
            contentType ??= "text/plain;charset=UTF-8";
        }
        else
        {
            try
            {
                body = Convert.FromBase64String(base64!);
            }
            catch (FormatException)
            {
                throw new ApiParameterException("body", "is not base64");
            }

            contentType ??= "application/octet-stream";
        }

        if (contentType.Length == 0 || !contentType.Contains('/', StringComparison.Ordinal) || contentType.Any(c => c < ' ' || c > '~'))
        {
            throw new ApiParameterException("contentType", "must be a MIME type such as text/plain");
        }

        var imdn = ImdnDispositions.None;
        foreach (var word in Strings(call, "imdn", 4, 20))
        {
            imdn |= word switch
            {
                "delivery" => ImdnDispositions.PositiveDelivery | ImdnDispositions.NegativeDelivery,
                "positive-delivery" => ImdnDispositions.PositiveDelivery,
                "negative-delivery" => ImdnDispositions.NegativeDelivery,
                "display" => ImdnDispositions.Display,
                _ => throw new ApiParameterException("imdn", $"'{word}' is not delivery, positive-delivery, negative-delivery or display"),
            };
        }

        var mode = Text(call, "mode", 10) switch
        {
            null or "auto" => DeliveryModeHint.Auto,
            "pager" => DeliveryModeHint.Pager,
            "large" => DeliveryModeHint.LargeMessage,
            var other => throw new ApiParameterException("mode", $"'{other}' is not auto, pager or large"),
        };

        var message = new NewOutboxMessage
        {
            Recipients = to,
            ContentType = contentType,
            Body = body,
            FeatureTags = Strings(call, "featureTags", 16, 512),
            ApplicationRef = Text(call, "applicationRef", 200),
            ImdnRequested = imdn,
            ModeHint = mode,
        };
        OutboxEnqueueResult result;
        try
        {
            // With a registration the IM client checks the message (feature tags, factory for groups) and wakes its
            // sender; without one the store keeps it until the client starts.
            result = Messaging.Client is { } client
                ? await client.SendAsync(message, cancellationToken).ConfigureAwait(false)
                : await store.EnqueueAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (ImSendException ex) when (ex.Error != ImSendError.Stopped)
        {
            throw new ApiParameterException(ex.Error switch
            {
                ImSendError.InvalidRecipient or ImSendError.NoConferenceFactory => "to",
                ImSendError.InvalidContentType => "contentType",
                ImSendError.InvalidFeatureTag => "featureTags",
                _ => "message",
            }, ex.Message);
        }
        catch (ImSendException)
        {
            // The client is going away (re-registration): the store still takes it.
            result = await store.EnqueueAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            throw new ApiParameterException("message", ex.Message);
        }

        Messaging.OutboxChanged.Signal();
        await reply.ReplyAsync(w =>
        {
            w.WriteNumber("id", result.Id);
            w.WriteString("messageId", result.MessageId);
            w.WriteBoolean("new", result.IsNew);
        }, continues: false, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>org.imue.Agent.ListInbox {after?, limit?, application?}: received messages not acknowledged yet (only those
/// RFC 3841 routed to <c>application</c> when given).</summary>
internal sealed class ListInboxMethod(MessagingHost messaging) : MessagingMethod(messaging)
{
    public override string Name => Varlink.Interface + ".ListInbox";

    protected override async Task InvokeAsync(MessageStore store, ApiCall call, ApiReplyWriter reply, CancellationToken cancellationToken)
    {
        var after = Long(call, "after", 0, 0, long.MaxValue);
        var limit = (int)Long(call, "limit", 100, 1, 100);
        var messages = await store.ListUndeliveredAsync(after, limit, Text(call, "application", 256), cancellationToken).ConfigureAwait(false);
        await reply.ReplyAsync(w =>
        {
            w.WriteStartArray("messages");
            foreach (var m in messages)
            {
                MessageJson.WriteInbox(w, m);
            }

            w.WriteEndArray();
        }, continues: false, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>
/// org.imue.Agent.WatchInbox (more) {after?}: every unacknowledged message after the cursor, then each new one as it
/// is committed, until hang-up. Messages stay in the inbox until AckInbox; a client that reconnects with its last id
/// loses nothing.
/// </summary>
internal sealed class WatchInboxMethod(MessagingHost messaging) : MessagingMethod(messaging)
{
    public override string Name => Varlink.Interface + ".WatchInbox";

    public override bool Streams => true;

    protected override async Task InvokeAsync(MessageStore store, ApiCall call, ApiReplyWriter reply, CancellationToken cancellationToken)
    {
        var application = Text(call, "application", 256);
        await StreamAsync(Messaging.InboxChanged, Long(call, "after", 0, 0, long.MaxValue),
            (cursor, ct) => store.ListUndeliveredAsync(cursor, Batch, application, ct), m => m.Id,
            (w, m) => MessageJson.WriteInboxEntry(w, m), reply, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>org.imue.Agent.AckInbox {id}: the application has the message; it is no longer offered.</summary>
internal sealed class AckInboxMethod(MessagingHost messaging) : MessagingMethod(messaging)
{
    public override string Name => Varlink.Interface + ".AckInbox";

    protected override async Task InvokeAsync(MessageStore store, ApiCall call, ApiReplyWriter reply, CancellationToken cancellationToken)
    {
        if (!call.Parameters.TryGetProperty("id", out _))
        {
            throw new ApiParameterException("id", "the inbox id to acknowledge is required");
        }

        var outcome = await store.AcknowledgeAsync(Long(call, "id", 0, 1, long.MaxValue), cancellationToken).ConfigureAwait(false);
        Messaging.InboxChanged.Signal();
        await reply.ReplyAsync(w => w.WriteString("outcome", outcome.ToString()), continues: false, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>org.imue.Agent.GetOutgoing {id}: an outgoing message's state.</summary>
internal sealed class GetOutgoingMethod(MessagingHost messaging) : MessagingMethod(messaging)
{
    public override string Name => Varlink.Interface + ".GetOutgoing";

    protected override async Task InvokeAsync(MessageStore store, ApiCall call, ApiReplyWriter reply, CancellationToken cancellationToken)
    {
        var message = await store.GetOutboxMessageAsync(Long(call, "id", 0, 1, long.MaxValue), cancellationToken).ConfigureAwait(false)
            ?? throw new ApiParameterException("id", "no such outgoing message");
        await reply.ReplyAsync(w => MessageJson.WriteOutbox(w, message), continues: false, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>
/// org.imue.Agent.WatchDelivery (more) {after?}: the delivery-state stream (queued, sending, sent, failed, and each
/// recipient's IMDN) from the store's event cursor; reconnecting with the last sequence resumes without gaps.
/// </summary>
internal sealed class WatchDeliveryMethod(MessagingHost messaging) : MessagingMethod(messaging)
{
    public override string Name => Varlink.Interface + ".WatchDelivery";

    public override bool Streams => true;

    protected override async Task InvokeAsync(MessageStore store, ApiCall call, ApiReplyWriter reply, CancellationToken cancellationToken)
    {
        await StreamAsync(Messaging.OutboxChanged, Long(call, "after", 0, 0, long.MaxValue),
            (cursor, ct) => store.ReadOutboxEventsAsync(cursor, Batch, ct), e => e.Sequence,
            (w, e) => MessageJson.WriteEvent(w, e), reply, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>Messages as API JSON, written by hand (no reflection): text bodies as text, others as base64.</summary>
internal static class MessageJson
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static void WriteInboxEntry(Utf8JsonWriter w, InboxMessage m)
    {
        w.WritePropertyName("message");
        WriteInbox(w, m);
    }

    public static void WriteInbox(Utf8JsonWriter w, InboxMessage m)
    {
        w.WriteStartObject();
        w.WriteNumber("id", m.Id);
        w.WriteString("source", m.Source.ToString());
        w.WriteOptional("application", m.ApplicationId);
        w.WriteString("from", m.SenderUri);
        w.WriteOptional("fromName", m.SenderDisplayName);

        w.WriteStartArray("to");
        foreach (var r in m.Recipients)
        {
            w.WriteStringValue(r);
        }

        w.WriteEndArray();
        w.WriteString("receivedAt", m.ReceivedAt);
        w.WriteOptional("date", m.OriginalDate);

        w.WriteOptional("conversationId", m.ConversationId);
        w.WriteOptional("callId", m.CallId);
        w.WriteOptional("messageId", m.MessageId);
        w.WriteString("contentType", m.ContentType);
        WriteBody(w, m.ContentType, m.Body.Span);
        if (m.ImdnRequested != ImdnDispositions.None)
        {
            w.WriteString("imdnRequested", m.ImdnRequested.ToString());
        }

        if (m.UnparsedReason is not null)
        {
            w.WriteString("unparsed", m.UnparsedReason);
            if (m.RawPart is { } raw)
            {
                w.WriteBase64String("raw", raw.Span);
            }
        }

        w.WriteEndObject();
    }

    public static void WriteOutbox(Utf8JsonWriter w, OutboxMessage m)
    {
        w.WritePropertyName("message");
        w.WriteStartObject();
        w.WriteNumber("id", m.Id);
        w.WriteString("messageId", m.MessageId);
        w.WriteOptional("applicationRef", m.ApplicationRef);
        w.WriteStartArray("to");
        foreach (var r in m.Recipients)
        {
            w.WriteStringValue(r);
        }

        w.WriteEndArray();
        w.WriteString("state", m.State.ToString());
        if (m.State == OutboxState.Failed)
        {
            w.WriteString("failure", m.FailureReason.ToString());
        }

        w.WriteOptional("statusCode", m.StatusCode);

        w.WriteNumber("attempts", m.Attempts);
        w.WriteString("createdAt", m.CreatedAt);
        w.WriteString("updatedAt", m.UpdatedAt);
        w.WriteEndObject();
    }

    public static void WriteEvent(Utf8JsonWriter w, OutboxEvent e)
    {
        w.WritePropertyName("event");
        w.WriteStartObject();
        w.WriteNumber("sequence", e.Sequence);
        w.WriteNumber("id", e.OutboxId);
        w.WriteString("messageId", e.MessageId);
        w.WriteString("state", e.State.ToString());
        w.WriteOptional("recipient", e.Recipient);
        if (e.Disposition is { } d)
        {
            w.WriteString("disposition", d.ToString());
        }

        if (e.State == OutboxState.Failed)
        {
            w.WriteString("failure", e.FailureReason.ToString());
        }

        w.WriteOptional("statusCode", e.StatusCode);

        w.WriteString("at", e.At);
        w.WriteEndObject();
    }

    private static void WriteBody(Utf8JsonWriter w, string contentType, ReadOnlySpan<byte> body)
    {
        if (contentType.StartsWith("text/", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                w.WriteString("text", StrictUtf8.GetString(body));
                return;
            }
            catch (DecoderFallbackException)
            {
                // Not UTF-8 after all: give the bytes.
            }
        }

        w.WriteBase64String("body", body);
    }

}

/// <summary>
/// org.imue.Agent.GetImSettings: the IM service settings in force (5.2.4) and their publication: status
/// (Unpublished, Pending, Published, Failed, Stopped), the IM server's last status code, expiry, failure.
/// </summary>
internal sealed class GetImSettingsMethod(MessagingHost messaging) : MessagingMethod(messaging)
{
    public override string Name => Varlink.Interface + ".GetImSettings";

    protected override async Task InvokeAsync(MessageStore store, ApiCall call, ApiReplyWriter reply, CancellationToken cancellationToken) =>
        await reply.ReplyAsync(w => SettingsJson.Write(w, Messaging.Settings, Messaging.Publication), continues: false, cancellationToken).ConfigureAwait(false);
}

/// <summary>
/// org.imue.Agent.SetImSettings {settings: {offlineDelivery: false, …}}: changes some of the seven settings, saves
/// them, publishes them (a PUBLISH modify) and answers with the outcome, e.g. publication.lastStatusCode 200.
/// </summary>
internal sealed class SetImSettingsMethod(MessagingHost messaging) : MessagingMethod(messaging)
{
    public override string Name => Varlink.Interface + ".SetImSettings";

    protected override async Task InvokeAsync(MessageStore store, ApiCall call, ApiReplyWriter reply, CancellationToken cancellationToken)
    {
        if (!call.Parameters.TryGetProperty("settings", out var changes))
        {
            throw new ApiParameterException("settings", "an object with the settings to change is required");
        }

        var next = ImSettingsStore.Apply(Messaging.Settings, changes, out var problem)
            ?? throw new ApiParameterException("settings", problem ?? "invalid");
        var publication = await Messaging.UpdateSettingsAsync(next, cancellationToken).ConfigureAwait(false);
        await reply.ReplyAsync(w => SettingsJson.Write(w, next, publication), continues: false, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>
/// org.imue.Agent.ListDeferred: the deferred messages the IM server holds for this user (12.1.2), read over XCAP from
/// Im.XcapRoot: reference, sender, date, subject, size, content type, expiry.
/// </summary>
internal sealed class ListDeferredMethod(MessagingHost messaging, Configuration.AgentConfig config, TimeProvider time) : MessagingMethod(messaging)
{
    public override string Name => Varlink.Interface + ".ListDeferred";

    protected override async Task InvokeAsync(MessageStore store, ApiCall call, ApiReplyWriter reply, CancellationToken cancellationToken)
    {
        if (config.Im.XcapRoot.Length == 0)
        {
            throw new ApiParameterException("Im.XcapRoot", "no XCAP root is configured");
        }

        var identity = Messaging.Registration?.State.PublicIdentities.FirstOrDefault(i => i.StartsWith("sip:", StringComparison.OrdinalIgnoreCase))
            ?? throw new ApiParameterException("registration", "not registered: the deferred list is per registered identity");
        DeferredList list;
        try
        {
            using var client = new DeferredListClient(new DeferredListClientSettings { XcapRoot = new Uri(config.Im.XcapRoot), UserAgent = ProductInfo.UserAgent }, time);
            list = await client.GetAsync(identity, cancellationToken).ConfigureAwait(false);
        }
        catch (DeferredListException ex)
        {
            await reply.ErrorAsync(Varlink.Interface + ".DeferredListUnavailable", w =>
            {
                w.WriteString("reason", ex.Reason.ToString());
                w.WriteString("detail", ex.Message);
            }, cancellationToken).ConfigureAwait(false);
            return;
        }

        await reply.ReplyAsync(w =>
        {
            w.WriteStartArray("messages");
            foreach (var m in list.Messages)
            {
                w.WriteStartObject();
                w.WriteString("reference", m.HistoryReference);
                w.WriteString("mode", m.Mode.ToString());
                w.WriteOptional("from", m.AuthenticatedIdentity ?? m.From);
                w.WriteOptional("subject", m.Subject);
                w.WriteOptional("contentType", m.ContentType);
                w.WriteOptional("date", m.Date);
                w.WriteOptional("size", m.Size);
                w.WriteOptional("expiry", m.Expiry);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }, continues: false, cancellationToken).ConfigureAwait(false);
    }

}

internal static class SettingsJson
{
    public static void Write(Utf8JsonWriter w, Im.Settings.ImSettings settings, Im.Settings.ImSettingsPublicationState? publication)
    {
        w.WritePropertyName("settings");
        ImSettingsStore.Write(w, settings);
        w.WritePropertyName("publication");
        if (publication is null)
        {
            w.WriteNullValue();
            return;
        }

        w.WriteStartObject();
        w.WriteString("status", publication.Status.ToString());
        w.WriteOptional("lastStatusCode", publication.LastStatusCode);
        w.WriteOptional("expiresAt", publication.ExpiresAt);
        w.WriteOptional("failure", publication.FailureText);
        w.WriteEndObject();
    }
}
