// SPDX-License-Identifier: MIT
using System.Text.Json;
using System.Threading.Channels;
using ImUeAgent.Im.Client;
using ImUeAgent.Im.Client.Sessions;
using ImUeAgent.Im.Store;
using ImUeAgent.Messaging;

namespace ImUeAgent.Api;

/// <summary>Methods that need the IM client of a live registration (sessions, notifications); without one they say so.</summary>
internal abstract class ClientMethod(MessagingHost messaging) : MessagingMethod(messaging)
{
    /// <summary>org.imue.Agent.NotRegistered: sessions need a registration (messages are queued instead).</summary>
    public const string NotRegisteredError = Varlink.Interface + ".NotRegistered";

    /// <summary>org.imue.Agent.SessionFailed: the network or the peer refused, with the reason and status.</summary>
    public const string SessionFailedError = Varlink.Interface + ".SessionFailed";

    protected override async Task InvokeAsync(MessageStore store, ApiCall call, ApiReplyWriter reply, CancellationToken cancellationToken)
    {
        if (Messaging.Client is not { } client)
        {
            await reply.ErrorAsync(NotRegisteredError, w => w.WriteString("reason", "no IMS registration: sessions cannot start now"), cancellationToken).ConfigureAwait(false);
            return;
        }

        try
        {
            await InvokeAsync(client, call, reply, cancellationToken).ConfigureAwait(false);
        }
        catch (ImChatSessionException ex)
        {
            await reply.ErrorAsync(SessionFailedError, w =>
            {
                w.WriteString("error", ex.Error.ToString());
                w.WriteString("reason", ex.Message);
                w.WriteOptional("statusCode", ex.StatusCode);
            }, cancellationToken).ConfigureAwait(false);
        }
    }

    protected abstract Task InvokeAsync(ImClient client, ApiCall call, ApiReplyWriter reply, CancellationToken cancellationToken);

    protected static ImChatSession Find(ImClient client, ApiCall call) =>
        client.FindSession(Text(call, "session", 256) ?? throw new ApiParameterException("session", "the session id is required"))
        ?? throw new ApiParameterException("session", "no such session (ended, or from before a re-registration)");
}

/// <summary>
/// org.imue.Agent.StartChat {to: uri | [uri, …], subject?}: a 1-to-1 chat session (7.1.1.1), or an ad-hoc group chat
/// through the conference factory when several are given; answers once the session is active (INVITE answered,
/// MSRP connected) with the session, whose id names it in SendInSession/EndSession and in the inbox
/// (conversationId) of the messages it receives.
/// </summary>
internal sealed class StartChatMethod(MessagingHost messaging) : ClientMethod(messaging)
{
    public override string Name => Varlink.Interface + ".StartChat";

    protected override async Task InvokeAsync(ImClient client, ApiCall call, ApiReplyWriter reply, CancellationToken cancellationToken)
    {
        var to = Strings(call, "to", 100, 512);
        if (to.Count == 0)
        {
            throw new ApiParameterException("to", "at least one participant URI is required");
        }

        var options = new ImChatSessionOptions { Subject = Text(call, "subject", 200), FeatureTags = Strings(call, "featureTags", 16, 512) };
        var session = to.Count == 1
            ? await client.StartChatAsync(to[0], options, cancellationToken).ConfigureAwait(false)
            : await client.StartGroupChatAsync(to, options, cancellationToken).ConfigureAwait(false);
        await reply.ReplyAsync(w => SessionJson.WriteEntry(w, session), continues: false, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>org.imue.Agent.SendInSession {session, text | body + contentType, imdn?}: one MSRP SEND; answers when the
/// peer (or focus) has it (MSRP 200).</summary>
internal sealed class SendInSessionMethod(MessagingHost messaging) : ClientMethod(messaging)
{
    public override string Name => Varlink.Interface + ".SendInSession";

    protected override async Task InvokeAsync(ImClient client, ApiCall call, ApiReplyWriter reply, CancellationToken cancellationToken)
    {
        var session = Find(client, call);
        var text = Text(call, "text", Varlink.MaxMessageBytes);
        var base64 = Text(call, "body", Varlink.MaxMessageBytes);
        if (text is not null == base64 is not null)
        {
            throw new ApiParameterException("text", "give exactly one of text and body (base64)");
        }

        var imdn = Strings(call, "imdn", 4, 20).Contains("display") ? ImdnDispositions.Display : ImdnDispositions.None;
        ImChatSendResult result;
        if (text is not null)
        {
            result = await session.SendAsync(text, imdn, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            byte[] body;
            try
            {
                body = Convert.FromBase64String(base64!);
            }
            catch (FormatException)
            {
                throw new ApiParameterException("body", "is not base64");
            }

            result = await session.SendAsync(body, Text(call, "contentType", 200) ?? "application/octet-stream", imdn, cancellationToken).ConfigureAwait(false);
        }

        await reply.ReplyAsync(w =>
        {
            w.WriteBoolean("delivered", result.IsSuccess);
            w.WriteNumber("statusCode", result.StatusCode);
            w.WriteString("msrpMessageId", result.MsrpMessageId);
            w.WriteOptional("messageId", result.ImdnMessageId);
        }, continues: false, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>org.imue.Agent.EndSession {session}: BYE (or CANCEL while it is being set up).</summary>
internal sealed class EndSessionMethod(MessagingHost messaging) : ClientMethod(messaging)
{
    public override string Name => Varlink.Interface + ".EndSession";

    protected override async Task InvokeAsync(ImClient client, ApiCall call, ApiReplyWriter reply, CancellationToken cancellationToken)
    {
        var session = Find(client, call);
        await session.ByeAsync(cancellationToken).ConfigureAwait(false);
        await reply.ReplyAsync(w => SessionJson.WriteEntry(w, session), continues: false, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>org.imue.Agent.ListSessions: the live chat sessions, oldest first.</summary>
internal sealed class ListSessionsMethod(MessagingHost messaging) : ClientMethod(messaging)
{
    public override string Name => Varlink.Interface + ".ListSessions";

    protected override async Task InvokeAsync(ImClient client, ApiCall call, ApiReplyWriter reply, CancellationToken cancellationToken) =>
        await reply.ReplyAsync(w =>
        {
            w.WriteStartArray("sessions");
            foreach (var s in client.Sessions)
            {
                SessionJson.Write(w, s);
            }

            w.WriteEndArray();
        }, continues: false, cancellationToken).ConfigureAwait(false);
}

/// <summary>org.imue.Agent.WatchSessions (more): every live session now, then each change (started by either side,
/// active, participants, ended with its reason) until hang-up.</summary>
internal sealed class WatchSessionsMethod(MessagingHost messaging) : ClientMethod(messaging)
{
    public override string Name => Varlink.Interface + ".WatchSessions";

    public override bool Streams => true;

    protected override async Task InvokeAsync(ImClient client, ApiCall call, ApiReplyWriter reply, CancellationToken cancellationToken)
    {
        // State changes come from the client's session stream, roster changes (conference NOTIFYs) from its event:
        // both feed one queue, so a watcher sees each in order. A slow client loses intermediate states, never the
        // latest (each entry is the session as it is when written).
        var changes = Channel.CreateBounded<ImChatSession>(new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest });
        void OnRoster(ImChatSession session) => changes.Writer.TryWrite(session);
        client.SessionParticipantsChanged += OnRoster;
        using var pumping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pump = Task.Run(async () =>
        {
            try
            {
                await foreach (var e in client.WatchSessionsAsync(pumping.Token).ConfigureAwait(false))
                {
                    changes.Writer.TryWrite(e.Session);
                }
            }
            finally
            {
                changes.Writer.TryComplete();
            }
        }, CancellationToken.None);
        try
        {
            await foreach (var session in changes.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await reply.ReplyAsync(w => SessionJson.WriteEntry(w, session), continues: true, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            client.SessionParticipantsChanged -= OnRoster;
            await pumping.CancelAsync().ConfigureAwait(false);
            try
            {
                await pump.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}

internal static class SessionJson
{
    public static void WriteEntry(Utf8JsonWriter w, ImChatSession s)
    {
        w.WritePropertyName("session");
        Write(w, s);
    }

    public static void Write(Utf8JsonWriter w, ImChatSession s)
    {
        w.WriteStartObject();
        w.WriteString("id", s.Id);
        w.WriteString("direction", s.Direction.ToString());
        w.WriteBoolean("group", s.IsGroup);
        w.WriteString("peer", s.PeerUri);
        // The ongoing session's identity (the focus's conference URI): a pager MESSAGE to it goes into the session.
        w.WriteOptional("focus", s.FocusUri);
        w.WriteString("state", s.State.ToString());
        if (s.State == ImChatSessionState.Ended)
        {
            w.WriteString("endReason", s.EndReason.ToString());
            w.WriteOptional("statusCode", s.EndStatusCode);
        }

        w.WriteString("startedAt", s.StartedAt);
        if (s.IsGroup)
        {
            w.WriteStartArray("participants");
            foreach (var p in s.Participants)
            {
                w.WriteStartObject();
                w.WriteString("uri", p.Uri);
                w.WriteOptional("status", p.Status);

                w.WriteBoolean("participating", p.IsParticipating);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }
}

/// <summary>
/// org.imue.Agent.MarkDisplayed {id}: the user has seen received message <c>id</c>; when its sender asked for a
/// display notification (RFC 5438), it is sent now (once: the store remembers).
/// </summary>
internal sealed class MarkDisplayedMethod(MessagingHost messaging) : ClientMethod(messaging)
{
    public override string Name => Varlink.Interface + ".MarkDisplayed";

    protected override async Task InvokeAsync(ImClient client, ApiCall call, ApiReplyWriter reply, CancellationToken cancellationToken)
    {
        if (!call.Parameters.TryGetProperty("id", out _))
        {
            throw new ApiParameterException("id", "the inbox id is required");
        }

        var sent = await client.SendDisplayNotificationAsync(Long(call, "id", 0, 1, long.MaxValue), cancellationToken).ConfigureAwait(false);
        await reply.ReplyAsync(w => w.WriteBoolean("notificationSent", sent), continues: false, cancellationToken).ConfigureAwait(false);
    }
}
