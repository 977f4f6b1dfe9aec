// SPDX-License-Identifier: MIT
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Im.Store;

public sealed partial class MessageStore
{
    private const string OutboxColumns =
        "id, message_id, application_ref, recipients, feature_tags, content_type, body, imdn_requested, mode_hint, state, " +
        "failure_reason, status_code, attempts, next_attempt_at, created_at, updated_at";

    /// <summary>
    /// Commits a message accepted from an application (state Queued); acknowledge to the application after this
    /// returns. With an <see cref="NewOutboxMessage.ApplicationRef"/> already stored, returns that message (IsNew false).
    /// </summary>
    public async Task<OutboxEnqueueResult> EnqueueAsync(NewOutboxMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        StoreValues.CheckText(message.ApplicationRef, "Outgoing application reference", StoreValues.MaxShortTextLength, required: false);
        StoreValues.CheckList(message.Recipients, "Outgoing recipients", _settings.MaxRecipients, StoreValues.MaxUriLength, required: true);
        StoreValues.CheckList(message.FeatureTags, "Outgoing feature tags", StoreValues.MaxFeatureTags, StoreValues.MaxUriLength, required: false);
        StoreValues.CheckText(message.ContentType, "Outgoing content type", StoreValues.MaxShortTextLength, required: true);
        StoreValues.CheckText(message.MessageId, "Outgoing Message-ID", StoreValues.MaxShortTextLength, required: false);
        StoreValues.CheckBody(message.Body.Length, "Outgoing body", _settings.MaxBodyBytes);
        if (!Enum.IsDefined(message.ModeHint))
        {
            throw new ArgumentOutOfRangeException(nameof(message), $"Mode hint {message.ModeHint} is not defined");
        }

        string messageId = string.IsNullOrEmpty(message.MessageId) ? OutboxMessageIds.Create() : message.MessageId;
        return await WriteAsync((message, messageId), static (store, args, tx) => store.EnqueueCore(args.message, args.messageId, tx),
            "Storing an outgoing message", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// For the sender loop: takes the oldest queued message due at <paramref name="now"/>, marks it Sending and counts
    /// the attempt, all committed. Null when nothing is due. If the daemon dies before the outcome is recorded, the
    /// next open puts it back to Queued with the same Message-ID.
    /// </summary>
    public async Task<OutboxMessage?> ClaimNextDueAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        return await WriteAsync(StoreValues.ToUnixMs(now), static (store, nowMs, tx) =>
        {
            OutboxMessage? due;
            using (var select = store.WriteCommand(tx,
                $"SELECT {OutboxColumns} FROM outbox WHERE state = 0 AND next_attempt_at <= $now ORDER BY next_attempt_at, id LIMIT 1"))
            {
                select.Parameters.AddWithValue("$now", nowMs);
                using var reader = select.ExecuteReader();
                due = reader.Read() ? ReadOutbox(reader) : null;
            }

            if (due is null)
            {
                return null;
            }

            using (var update = store.WriteCommand(tx,
                "UPDATE outbox SET state = 1, attempts = attempts + 1, updated_at = $now WHERE id = $id"))
            {
                update.Parameters.AddWithValue("$now", nowMs);
                update.Parameters.AddWithValue("$id", due.Id);
                update.ExecuteNonQuery();
            }

            store.AppendEvent(tx, due.Id, OutboxState.Sending, null, null, OutboxFailureReason.None, null, nowMs);
            Log.OutboxTransition(store._logger, due.Id, OutboxState.Queued, OutboxState.Sending, OutboxTrigger.Claim);
            return due with
            {
                State = OutboxState.Sending,
                Attempts = due.Attempts + 1,
                UpdatedAt = StoreValues.FromUnixMs(nowMs),
            };
        }, "Claiming an outgoing message", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>When the earliest queued message is due, or null when none is queued (the sender loop's next wake-up).</summary>
    public Task<DateTimeOffset?> GetNextDueTimeAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Read(0, static (_, connection) =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT min(next_attempt_at) FROM outbox WHERE state = 0";
            return command.ExecuteScalar() is long ms ? StoreValues.FromUnixMs(ms) : (DateTimeOffset?)null;
        }, "Reading the next due time"));
    }

    /// <summary>The network accepted the message (SIP 2xx / MSRP 200). Returns the resulting state.</summary>
    public Task<OutboxState> MarkSentAsync(long id, CancellationToken cancellationToken = default) =>
        ApplyLocalAsync(id, OutboxTrigger.Sent, OutboxFailureReason.None, null, null, cancellationToken);

    /// <summary>A transient failure: back to Queued, due at <paramref name="nextAttemptAt"/> (the caller's backoff).</summary>
    public Task<OutboxState> ScheduleRetryAsync(long id, DateTimeOffset nextAttemptAt, int? statusCode = null,
        CancellationToken cancellationToken = default) =>
        ApplyLocalAsync(id, OutboxTrigger.RetryScheduled, OutboxFailureReason.None, statusCode, nextAttemptAt, cancellationToken);

    /// <summary>A permanent failure (from Queued or Sending). Returns the resulting state.</summary>
    public Task<OutboxState> MarkFailedAsync(long id, OutboxFailureReason reason, int? statusCode = null,
        CancellationToken cancellationToken = default)
    {
        if (reason == OutboxFailureReason.None || !Enum.IsDefined(reason))
        {
            throw new ArgumentOutOfRangeException(nameof(reason), $"Failure reason {reason} is not a failure");
        }

        return ApplyLocalAsync(id, OutboxTrigger.Failed, reason, statusCode, null, cancellationToken);
    }

    /// <summary>
    /// Records an IMDN for an outgoing message, correlated by its Message-ID (OMA SIMPLE IM: the client keeps the
    /// Message-ID to correlate delivery reports). Appends an event for the delivery-state stream; a repeated IMDN
    /// (same message, recipient and disposition) is not a new event. The state follows the furthest positive
    /// disposition; a negative one fails the message only when it has a single recipient.
    /// </summary>
    public async Task<DispositionOutcome> RecordDispositionAsync(string messageId, string? recipient, OutboxDisposition disposition,
        DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        StoreValues.CheckText(messageId, "IMDN Message-ID", StoreValues.MaxShortTextLength, required: true);
        StoreValues.CheckText(recipient, "IMDN recipient", StoreValues.MaxUriLength, required: false);
        if (!Enum.IsDefined(disposition))
        {
            throw new ArgumentOutOfRangeException(nameof(disposition), $"Disposition {disposition} is not defined");
        }

        return await WriteAsync((messageId, recipient, disposition, at: StoreValues.ToUnixMs(at)), static (store, args, tx) =>
        {
            long id;
            OutboxState state;
            bool severalRecipients;
            using (var select = store.WriteCommand(tx, "SELECT id, state, instr(recipients, char(10)) > 0 FROM outbox WHERE message_id = $message_id"))
            {
                select.Parameters.AddWithValue("$message_id", args.messageId);
                using var reader = select.ExecuteReader();
                if (!reader.Read())
                {
                    return DispositionOutcome.UnknownMessageId;
                }

                id = reader.GetInt64(0);
                state = (OutboxState)reader.GetInt32(1);
                severalRecipients = reader.GetBoolean(2);
            }

            (OutboxTrigger trigger, OutboxFailureReason reason) = args.disposition switch
            {
                OutboxDisposition.Delivered => (OutboxTrigger.Delivered, OutboxFailureReason.None),
                OutboxDisposition.Displayed => (OutboxTrigger.Displayed, OutboxFailureReason.None),
                OutboxDisposition.DeliveryFailed => (OutboxTrigger.NegativeDelivery, OutboxFailureReason.DeliveryFailed),
                OutboxDisposition.DeliveryForbidden => (OutboxTrigger.NegativeDelivery, OutboxFailureReason.DeliveryForbidden),
                _ => (OutboxTrigger.NegativeDelivery, OutboxFailureReason.DeliveryError),
            };

            (OutboxTransitionKind kind, OutboxState next) = OutboxStateMachine.Apply(state, trigger);
            if (trigger == OutboxTrigger.NegativeDelivery && severalRecipients)
            {
                // One recipient of a group refusing does not fail the message for the others.
                (kind, next) = (OutboxTransitionKind.Ignored, state);
            }

            if (!store.AppendEvent(tx, id, next, args.recipient, args.disposition, reason, null, args.at))
            {
                return DispositionOutcome.Duplicate;
            }

            if (kind != OutboxTransitionKind.Applied)
            {
                return DispositionOutcome.Recorded;
            }

            store.UpdateState(tx, id, next, next == OutboxState.Failed ? reason : null, null, null);
            Log.OutboxTransition(store._logger, id, state, next, trigger);
            return DispositionOutcome.StateAdvanced;
        }, "Recording a delivery notification", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One outgoing message by id, or null.</summary>
    public Task<OutboxMessage?> GetOutboxMessageAsync(long id, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Read(id, static (id, connection) =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT {OutboxColumns} FROM outbox WHERE id = $id";
            command.Parameters.AddWithValue("$id", id);
            using var reader = command.ExecuteReader();
            return reader.Read() ? ReadOutbox(reader) : null;
        }, "Reading an outgoing message"));
    }

    /// <summary>
    /// The delivery-state stream from a cursor: events with sequence greater than <paramref name="afterSequence"/>,
    /// in order. Resumable across restarts.
    /// </summary>
    public Task<IReadOnlyList<OutboxEvent>> ReadOutboxEventsAsync(long afterSequence = 0, int limit = 100, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Read((afterSequence, limit), static (args, connection) =>
        {
            using var command = connection.CreateCommand();
            command.CommandText =
                "SELECT e.seq, e.outbox_id, o.message_id, e.state, e.recipient, e.disposition, e.failure_reason, e.status_code, e.at " +
                "FROM outbox_event e JOIN outbox o ON o.id = e.outbox_id WHERE e.seq > $after ORDER BY e.seq LIMIT $limit";
            command.Parameters.AddWithValue("$after", args.afterSequence);
            command.Parameters.AddWithValue("$limit", args.limit);
            using var reader = command.ExecuteReader();
            var list = new List<OutboxEvent>();
            while (reader.Read())
            {
                long? disposition = StoreValues.GetInt64OrNull(reader, 5);
                long? status = StoreValues.GetInt64OrNull(reader, 7);
                list.Add(new OutboxEvent
                {
                    Sequence = reader.GetInt64(0),
                    OutboxId = reader.GetInt64(1),
                    MessageId = reader.GetString(2),
                    State = (OutboxState)reader.GetInt32(3),
                    Recipient = StoreValues.GetStringOrNull(reader, 4),
                    Disposition = disposition is { } d ? (OutboxDisposition)d : null,
                    FailureReason = (OutboxFailureReason)reader.GetInt32(6),
                    StatusCode = status is { } s ? (int)s : null,
                    At = StoreValues.FromUnixMs(reader.GetInt64(8)),
                });
            }

            return (IReadOnlyList<OutboxEvent>)list;
        }, "Reading delivery events"));
    }

    /// <summary>Deletes finished outgoing messages (sent, delivered, displayed, failed) last updated before the given time, with their events.</summary>
    public async Task<int> PurgeOutboxAsync(DateTimeOffset finishedBefore, CancellationToken cancellationToken = default)
    {
        int count = await WriteAsync(StoreValues.ToUnixMs(finishedBefore), static (store, before, tx) =>
        {
            using var delete = store.WriteCommand(tx, "DELETE FROM outbox WHERE state >= 2 AND updated_at < $before");
            delete.Parameters.AddWithValue("$before", before);
            return delete.ExecuteNonQuery();
        }, "Purging finished outgoing messages", cancellationToken).ConfigureAwait(false);
        Log.Purged(_logger, 0, count);
        return count;
    }

    private OutboxEnqueueResult EnqueueCore(NewOutboxMessage message, string messageId, SqliteTransaction transaction)
    {
        if (message.ApplicationRef is not null)
        {
            using var find = WriteCommand(transaction, "SELECT id, message_id FROM outbox WHERE application_ref = $ref");
            find.Parameters.AddWithValue("$ref", message.ApplicationRef);
            using var reader = find.ExecuteReader();
            if (reader.Read())
            {
                return new OutboxEnqueueResult(reader.GetInt64(0), reader.GetString(1), IsNew: false);
            }
        }

        using (var clash = WriteCommand(transaction, "SELECT 1 FROM outbox WHERE message_id = $message_id"))
        {
            clash.Parameters.AddWithValue("$message_id", messageId);
            if (clash.ExecuteScalar() is not null)
            {
                throw new MessageStoreException(MessageStoreErrorReason.MessageIdConflict,
                    $"Outgoing Message-ID {messageId} is already used by another outgoing message");
            }
        }

        long now = NowMs();
        using var insert = WriteCommand(transaction,
            "INSERT INTO outbox (message_id, application_ref, recipients, feature_tags, content_type, body, imdn_requested, mode_hint, " +
            "state, next_attempt_at, created_at, updated_at) VALUES ($message_id, $application_ref, $recipients, $feature_tags, " +
            "$content_type, $body, $imdn_requested, $mode_hint, 0, $next_attempt_at, $now, $now) RETURNING id");
        SqliteParameterCollection p = insert.Parameters;
        p.AddWithValue("$message_id", messageId);
        p.AddWithValue("$application_ref", StoreValues.Nullable(message.ApplicationRef));
        p.AddWithValue("$recipients", StoreValues.JoinList(message.Recipients));
        p.AddWithValue("$feature_tags", StoreValues.JoinList(message.FeatureTags ?? []));
        p.AddWithValue("$content_type", message.ContentType);
        p.Add("$body", SqliteType.Blob).Value = StoreValues.Blob(message.Body);
        p.AddWithValue("$imdn_requested", (int)message.ImdnRequested);
        p.AddWithValue("$mode_hint", (int)message.ModeHint);
        p.AddWithValue("$next_attempt_at", message.NotBefore is { } notBefore ? StoreValues.ToUnixMs(notBefore) : now);
        p.AddWithValue("$now", now);
        long id = (long)insert.ExecuteScalar()!;
        AppendEvent(transaction, id, OutboxState.Queued, null, null, OutboxFailureReason.None, null, now);
        Log.OutboxEnqueued(_logger, id, messageId, message.Body.Length, message.Recipients.Count);
        return new OutboxEnqueueResult(id, messageId, IsNew: true);
    }

    private async Task<OutboxState> ApplyLocalAsync(long id, OutboxTrigger trigger, OutboxFailureReason reason, int? statusCode,
        DateTimeOffset? nextAttemptAt, CancellationToken cancellationToken)
    {
        return await WriteAsync((id, trigger, reason, statusCode, next: nextAttemptAt is { } n ? StoreValues.ToUnixMs(n) : (long?)null),
            static (store, args, tx) =>
            {
                OutboxState state;
                using (var select = store.WriteCommand(tx, "SELECT state FROM outbox WHERE id = $id"))
                {
                    select.Parameters.AddWithValue("$id", args.id);
                    if (select.ExecuteScalar() is not long raw)
                    {
                        throw new MessageStoreException(MessageStoreErrorReason.UnknownMessage, $"No outgoing message {args.id}");
                    }

                    state = (OutboxState)raw;
                }

                (OutboxTransitionKind kind, OutboxState next) = OutboxStateMachine.Apply(state, args.trigger);
                switch (kind)
                {
                    case OutboxTransitionKind.Invalid:
                        throw new MessageStoreException(MessageStoreErrorReason.InvalidTransition,
                            $"Outgoing message {args.id}: {args.trigger} is not allowed in state {state}");
                    case OutboxTransitionKind.Ignored:
                        return state;
                }

                store.UpdateState(tx, args.id, next, args.reason, args.statusCode, args.next);
                store.AppendEvent(tx, args.id, next, null, null, args.reason, args.statusCode, store.NowMs());
                Log.OutboxTransition(store._logger, args.id, state, next, args.trigger);
                return next;
            }, "Updating an outgoing message", cancellationToken).ConfigureAwait(false);
    }

    private void UpdateState(SqliteTransaction transaction, long id, OutboxState state, OutboxFailureReason? reason, int? statusCode, long? nextAttemptAt)
    {
        using var update = WriteCommand(transaction,
            "UPDATE outbox SET state = $state, updated_at = $now, failure_reason = coalesce($reason, failure_reason), " +
            "status_code = coalesce($status, status_code), next_attempt_at = coalesce($next, next_attempt_at) WHERE id = $id");
        update.Parameters.AddWithValue("$state", (int)state);
        update.Parameters.AddWithValue("$now", NowMs());
        update.Parameters.AddWithValue("$reason", reason is { } r && r != OutboxFailureReason.None ? (int)r : DBNull.Value);
        update.Parameters.AddWithValue("$status", StoreValues.Nullable(statusCode));
        update.Parameters.AddWithValue("$next", StoreValues.Nullable(nextAttemptAt));
        update.Parameters.AddWithValue("$id", id);
        update.ExecuteNonQuery();
    }

    /// <summary>Appends to the delivery-state stream; false when it repeats a disposition already recorded.</summary>
    private bool AppendEvent(SqliteTransaction transaction, long outboxId, OutboxState state, string? recipient,
        OutboxDisposition? disposition, OutboxFailureReason reason, int? statusCode, long atMs)
    {
        using var insert = WriteCommand(transaction,
            "INSERT OR IGNORE INTO outbox_event (outbox_id, state, recipient, disposition, failure_reason, status_code, at) " +
            "VALUES ($outbox_id, $state, $recipient, $disposition, $reason, $status, $at)");
        insert.Parameters.AddWithValue("$outbox_id", outboxId);
        insert.Parameters.AddWithValue("$state", (int)state);
        insert.Parameters.AddWithValue("$recipient", StoreValues.Nullable(recipient));
        insert.Parameters.AddWithValue("$disposition", disposition is { } d ? (int)d : DBNull.Value);
        insert.Parameters.AddWithValue("$reason", (int)reason);
        insert.Parameters.AddWithValue("$status", StoreValues.Nullable(statusCode));
        insert.Parameters.AddWithValue("$at", atMs);
        return insert.ExecuteNonQuery() == 1;
    }

    /// <summary>At open: messages left 'sending' by a daemon that died go back to 'queued', Message-ID unchanged.</summary>
    private static int RecoverInterruptedSends(SqliteConnection connection, TimeProvider time, ILogger logger)
    {
        long now = StoreValues.ToUnixMs(time.GetUtcNow());
        using var transaction = connection.BeginTransaction();
        var interrupted = new List<(long Id, string MessageId)>();
        using (var select = connection.CreateCommand())
        {
            select.Transaction = transaction;
            select.CommandText = "SELECT id, message_id FROM outbox WHERE state = 1 ORDER BY id";
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                interrupted.Add((reader.GetInt64(0), reader.GetString(1)));
            }
        }

        if (interrupted.Count == 0)
        {
            return 0;
        }

        foreach ((long id, string messageId) in interrupted)
        {
            using var update = connection.CreateCommand();
            update.Transaction = transaction;
            update.CommandText =
                "UPDATE outbox SET state = 0, updated_at = $now WHERE id = $id;" +
                "INSERT INTO outbox_event (outbox_id, state, failure_reason, at) VALUES ($id, 0, 0, $now);";
            update.Parameters.AddWithValue("$now", now);
            update.Parameters.AddWithValue("$id", id);
            update.ExecuteNonQuery();
            Log.OutboxRecovered(logger, id, messageId);
        }

        transaction.Commit();
        return interrupted.Count;
    }

    private static OutboxMessage ReadOutbox(SqliteDataReader reader)
    {
        long? status = StoreValues.GetInt64OrNull(reader, 11);
        return new OutboxMessage
        {
            Id = reader.GetInt64(0),
            MessageId = reader.GetString(1),
            ApplicationRef = StoreValues.GetStringOrNull(reader, 2),
            Recipients = StoreValues.SplitList(reader.GetString(3)),
            FeatureTags = StoreValues.SplitList(reader.GetString(4)),
            ContentType = reader.GetString(5),
            Body = StoreValues.GetBlob(reader, 6),
            ImdnRequested = (ImdnDispositions)reader.GetInt32(7),
            ModeHint = (DeliveryModeHint)reader.GetInt32(8),
            State = (OutboxState)reader.GetInt32(9),
            FailureReason = (OutboxFailureReason)reader.GetInt32(10),
            StatusCode = status is { } s ? (int)s : null,
            Attempts = reader.GetInt32(12),
            NextAttemptAt = StoreValues.FromUnixMs(reader.GetInt64(13)),
            CreatedAt = StoreValues.FromUnixMs(reader.GetInt64(14)),
            UpdatedAt = StoreValues.FromUnixMs(reader.GetInt64(15)),
        };
    }
}
