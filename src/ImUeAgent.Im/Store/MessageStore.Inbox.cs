// SPDX-License-Identifier: MIT
using Microsoft.Data.Sqlite;

namespace ImUeAgent.Im.Store;

public sealed partial class MessageStore
{
    private const string InboxColumns =
        "id, source, direction, sender_uri, sender_display_name, recipients, conversation_id, call_id, message_id, " +
        "received_at, original_date, content_type, body, imdn_requested, imdn_sent, raw_part, unparsed_reason, acknowledged_at, application_id";

    /// <summary>
    /// Commits one received message, unless one of its identities is already stored (a re-push, a retransmission),
    /// in which case nothing new is offered to applications and the result says Duplicate. Acknowledge to the
    /// network after this returns, in both cases.
    /// </summary>
    public async Task<InboxInsertResult> InsertInboxAsync(NewInboxMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ValidateInbox(message, 0);
        return await WriteAsync(message, static (store, m, tx) => store.InsertInboxCore(m, tx), "Storing a received message",
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Commits the messages of one deferred push (one part each) in one transaction: one fsync for the whole push.
    /// All or nothing: if this throws, none is stored and the push must not be acknowledged. Results are in order;
    /// a part that repeats an earlier part of the same batch is reported as its duplicate.
    /// </summary>
    public async Task<IReadOnlyList<InboxInsertResult>> InsertInboxBatchAsync(IReadOnlyList<NewInboxMessage> messages,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        for (int i = 0; i < messages.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(messages[i]);
            ValidateInbox(messages[i], i);
        }

        return await WriteAsync(messages, static (store, batch, tx) =>
        {
            var results = new InboxInsertResult[batch.Count];
            for (int i = 0; i < batch.Count; i++)
            {
                results[i] = store.InsertInboxCore(batch[i], tx);
            }

            return (IReadOnlyList<InboxInsertResult>)results;
        }, "Storing a deferred push", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Messages not yet acknowledged by an application, oldest first, with id greater than <paramref name="afterId"/>.
    /// After a crash, everything committed but not acknowledged is here again (at-least-once toward applications).
    /// </summary>
    public Task<IReadOnlyList<InboxMessage>> ListUndeliveredAsync(long afterId = 0, int limit = 100, CancellationToken cancellationToken = default) =>
        ListUndeliveredAsync(afterId, limit, null, cancellationToken);

    /// <summary>
    /// As <see cref="ListUndeliveredAsync(long, int, CancellationToken)"/>, only the messages routed to
    /// <paramref name="applicationId"/> (<see cref="InboxMessage.ApplicationId"/>, compared ordinally); null lists
    /// every message whatever its application.
    /// </summary>
    public Task<IReadOnlyList<InboxMessage>> ListUndeliveredAsync(long afterId, int limit, string? applicationId, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Read((afterId, limit, applicationId), static (args, connection) =>
        {
            using var command = connection.CreateCommand();
            if (args.applicationId is null)
            {
                command.CommandText = $"SELECT {InboxColumns} FROM inbox WHERE acknowledged_at IS NULL AND id > $after ORDER BY id LIMIT $limit";
            }
            else
            {
                // Served by inbox_unacknowledged_by_application (schema v2).
                command.CommandText =
                    $"SELECT {InboxColumns} FROM inbox WHERE acknowledged_at IS NULL AND application_id = $application AND id > $after ORDER BY id LIMIT $limit";
                command.Parameters.AddWithValue("$application", args.applicationId);
            }

            command.Parameters.AddWithValue("$after", args.afterId);
            command.Parameters.AddWithValue("$limit", args.limit);
            using var reader = command.ExecuteReader();
            var list = new List<InboxMessage>();
            while (reader.Read())
            {
                list.Add(ReadInbox(reader));
            }

            return (IReadOnlyList<InboxMessage>)list;
        }, "Listing undelivered messages"));
    }

    /// <summary>One inbox message by id, or null.</summary>
    public Task<InboxMessage?> GetInboxMessageAsync(long id, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Read(id, static (id, connection) =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT {InboxColumns} FROM inbox WHERE id = $id";
            command.Parameters.AddWithValue("$id", id);
            using var reader = command.ExecuteReader();
            return reader.Read() ? ReadInbox(reader) : null;
        }, "Reading a received message"));
    }

    /// <summary>The identities recorded for an inbox message (diagnostics and tests).</summary>
    public Task<IReadOnlyList<InboxIdentity>> GetInboxIdentitiesAsync(long id, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Read(id, static (id, connection) =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT kind, scope, value FROM inbox_identity WHERE inbox_id = $id ORDER BY kind, scope, value";
            command.Parameters.AddWithValue("$id", id);
            using var reader = command.ExecuteReader();
            var list = new List<InboxIdentity>();
            while (reader.Read())
            {
                list.Add(InboxIdentity.FromStored((InboxIdentityKind)reader.GetInt32(0), reader.GetString(1), reader.GetString(2)));
            }

            return (IReadOnlyList<InboxIdentity>)list;
        }, "Reading message identities"));
    }

    /// <summary>
    /// An application took the message: it will not be offered again. Idempotent (a retried acknowledgment answers
    /// AlreadyAcknowledged).
    /// </summary>
    public async Task<InboxAcknowledgeOutcome> AcknowledgeAsync(long id, CancellationToken cancellationToken = default)
    {
        return await WriteAsync(id, static (store, id, tx) =>
        {
            using var update = store.WriteCommand(tx, "UPDATE inbox SET acknowledged_at = $now WHERE id = $id AND acknowledged_at IS NULL");
            update.Parameters.AddWithValue("$now", store.NowMs());
            update.Parameters.AddWithValue("$id", id);
            if (update.ExecuteNonQuery() == 1)
            {
                Log.InboxAcknowledged(store._logger, id);
                return InboxAcknowledgeOutcome.Acknowledged;
            }

            using var exists = store.WriteCommand(tx, "SELECT 1 FROM inbox WHERE id = $id");
            exists.Parameters.AddWithValue("$id", id);
            return exists.ExecuteScalar() is null ? InboxAcknowledgeOutcome.NotFound : InboxAcknowledgeOutcome.AlreadyAcknowledged;
        }, "Acknowledging a received message", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records IMDNs this client has sent for a received message (bits are added). False if no such message.</summary>
    public async Task<bool> MarkImdnSentAsync(long id, ImdnDispositions sent, CancellationToken cancellationToken = default)
    {
        return await WriteAsync((id, sent), static (store, args, tx) =>
        {
            using var update = store.WriteCommand(tx, "UPDATE inbox SET imdn_sent = imdn_sent | $sent WHERE id = $id");
            update.Parameters.AddWithValue("$sent", (int)args.sent);
            update.Parameters.AddWithValue("$id", args.id);
            return update.ExecuteNonQuery() == 1;
        }, "Recording a sent IMDN", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Deletes inbox messages acknowledged before <paramref name="acknowledgedBefore"/>. Their identities stay (as
    /// tombstones), so a late re-push of a purged message is still recognised and not offered again.
    /// </summary>
    public async Task<int> PurgeInboxAsync(DateTimeOffset acknowledgedBefore, CancellationToken cancellationToken = default)
    {
        int count = await WriteAsync(StoreValues.ToUnixMs(acknowledgedBefore), static (store, before, tx) =>
        {
            using var delete = store.WriteCommand(tx, "DELETE FROM inbox WHERE acknowledged_at IS NOT NULL AND acknowledged_at < $before");
            delete.Parameters.AddWithValue("$before", before);
            return delete.ExecuteNonQuery();
        }, "Purging acknowledged messages", cancellationToken).ConfigureAwait(false);
        Log.Purged(_logger, count, 0);
        return count;
    }

    private void ValidateInbox(NewInboxMessage message, int index)
    {
        string at = index == 0 ? "Inbox message" : $"Inbox message {index}";
        StoreValues.CheckText(message.SenderUri, $"{at} sender URI", StoreValues.MaxUriLength, required: message.UnparsedReason is null);
        StoreValues.CheckText(message.SenderDisplayName, $"{at} sender display name", StoreValues.MaxUriLength, required: false);
        StoreValues.CheckList(message.Recipients, $"{at} recipients", _settings.MaxRecipients, StoreValues.MaxUriLength, required: false);
        StoreValues.CheckText(message.ConversationId, $"{at} conversation id", StoreValues.MaxUriLength, required: false);
        StoreValues.CheckText(message.CallId, $"{at} Call-ID", StoreValues.MaxUriLength, required: false);
        StoreValues.CheckText(message.MessageId, $"{at} Message-ID", StoreValues.MaxUriLength, required: false);
        StoreValues.CheckText(message.ContentType, $"{at} content type", StoreValues.MaxShortTextLength, required: true);
        StoreValues.CheckText(message.UnparsedReason, $"{at} unparsed reason", StoreValues.MaxReasonLength, required: message.RawPart is not null);
        StoreValues.CheckText(message.ApplicationId, $"{at} application id", StoreValues.MaxShortTextLength, required: false);
        StoreValues.CheckBody(message.Body.Length, $"{at} body", _settings.MaxBodyBytes);
        if (message.RawPart is { } raw)
        {
            StoreValues.CheckBody(raw.Length, $"{at} raw part", _settings.MaxBodyBytes);
        }
        else if (message.UnparsedReason is not null)
        {
            throw new MessageStoreException(MessageStoreErrorReason.FieldEmpty, $"{at} has an unparsed reason but no raw part");
        }

        if (!Enum.IsDefined(message.Source) || !Enum.IsDefined(message.Direction))
        {
            throw new ArgumentOutOfRangeException(nameof(message), $"{at}: source {message.Source} or direction {message.Direction} is not defined");
        }

        if (message.Identities is null || message.Identities.Count == 0)
        {
            throw new MessageStoreException(MessageStoreErrorReason.NoIdentity, $"{at} has no identity (Call-ID, Message-ID or content hash)");
        }

        if (message.Identities.Count > StoreValues.MaxIdentities)
        {
            throw new MessageStoreException(MessageStoreErrorReason.TooManyItems,
                $"{at} has {message.Identities.Count} identities; the cap is {StoreValues.MaxIdentities}");
        }

        for (int i = 0; i < message.Identities.Count; i++)
        {
            InboxIdentity identity = message.Identities[i];
            if (identity.Value is null)
            {
                throw new MessageStoreException(MessageStoreErrorReason.FieldEmpty, $"{at} identity {i} is default (use the InboxIdentity factories)");
            }

            StoreValues.CheckText(identity.Scope, $"{at} identity {i} ({identity.Kind}) scope", InboxIdentity.MaxLength, required: false);
            StoreValues.CheckText(identity.Value, $"{at} identity {i} ({identity.Kind}) value", InboxIdentity.MaxLength, required: true);
        }
    }

    private const string FindIdentitySql = "SELECT inbox_id FROM inbox_identity WHERE kind = $kind AND scope = $scope AND value = $value";

    private const string InsertIdentitySql =
        "INSERT OR IGNORE INTO inbox_identity (kind, scope, value, inbox_id) VALUES ($kind, $scope, $value, $inbox_id)";

    private const string InsertInboxSql =
        "INSERT INTO inbox (source, direction, sender_uri, sender_display_name, recipients, conversation_id, call_id, message_id, " +
        "received_at, original_date, content_type, body, imdn_requested, raw_part, unparsed_reason, application_id) VALUES " +
        "($source, $direction, $sender_uri, $sender_display_name, $recipients, $conversation_id, $call_id, $message_id, " +
        "$received_at, $original_date, $content_type, $body, $imdn_requested, $raw_part, $unparsed_reason, $application_id) RETURNING id";

    private InboxInsertResult InsertInboxCore(NewInboxMessage message, SqliteTransaction transaction)
    {
        // Any known identity makes this a duplicate: the stored message is the one already offered to applications.
        SqliteCommand find = CachedWriteCommand(ref _findIdentity, transaction, FindIdentitySql, "$kind", "$scope", "$value");
        foreach (InboxIdentity identity in message.Identities)
        {
            SetIdentity(find, identity);
            long? existing;
            using (var reader = find.ExecuteReader())
            {
                if (!reader.Read())
                {
                    continue;
                }

                existing = StoreValues.GetInt64OrNull(reader, 0);
            }

            // Learn the identities this copy adds, so a later copy carrying only those is recognised too.
            InsertIdentities(message.Identities, existing, transaction);
            var outcome = existing is null ? InboxInsertOutcome.DuplicateOfPurged : InboxInsertOutcome.Duplicate;
            Log.InboxDuplicate(_logger, existing ?? 0, outcome, identity.Kind);
            return new InboxInsertResult(outcome, existing ?? 0);
        }

        SqliteCommand insert = CachedWriteCommand(ref _insertInbox, transaction, InsertInboxSql,
            "$source", "$direction", "$sender_uri", "$sender_display_name", "$recipients", "$conversation_id", "$call_id", "$message_id",
            "$received_at", "$original_date", "$content_type", "$body", "$imdn_requested", "$raw_part", "$unparsed_reason", "$application_id");
        SqliteParameterCollection p = insert.Parameters;
        p[0].Value = (int)message.Source;
        p[1].Value = (int)message.Direction;
        p[2].Value = StoreValues.Nullable(message.SenderUri);
        p[3].Value = StoreValues.Nullable(message.SenderDisplayName);
        p[4].Value = StoreValues.JoinList(message.Recipients ?? []);
        p[5].Value = StoreValues.Nullable(message.ConversationId);
        p[6].Value = StoreValues.Nullable(message.CallId);
        p[7].Value = StoreValues.Nullable(message.MessageId);
        p[8].Value = StoreValues.ToUnixMs(message.ReceivedAt);
        p[9].Value = message.OriginalDate is { } date ? StoreValues.ToUnixMs(date) : DBNull.Value;
        p[10].Value = message.ContentType;
        p[11].Value = StoreValues.Blob(message.Body);
        p[12].Value = (int)message.ImdnRequested;
        p[13].Value = message.RawPart is { } raw ? StoreValues.Blob(raw) : DBNull.Value;
        p[14].Value = StoreValues.Nullable(message.UnparsedReason);
        p[15].Value = string.IsNullOrEmpty(message.ApplicationId) ? DBNull.Value : message.ApplicationId;
        long id = (long)insert.ExecuteScalar()!;
        // Do not keep the caller's body arrays alive through the cached command.
        p[11].Value = DBNull.Value;
        p[13].Value = DBNull.Value;
        InsertIdentities(message.Identities, id, transaction);
        Log.InboxInserted(_logger, id, message.Source, message.Body.Length + (message.RawPart?.Length ?? 0), message.Identities.Count);
        return new InboxInsertResult(InboxInsertOutcome.Inserted, id);
    }

    private void InsertIdentities(IReadOnlyList<InboxIdentity> identities, long? inboxId, SqliteTransaction transaction)
    {
        SqliteCommand insert = CachedWriteCommand(ref _insertIdentity, transaction, InsertIdentitySql, "$kind", "$scope", "$value", "$inbox_id");
        insert.Parameters[3].Value = StoreValues.Nullable(inboxId);
        foreach (InboxIdentity identity in identities)
        {
            SetIdentity(insert, identity);
            insert.ExecuteNonQuery();
        }
    }

    private static void SetIdentity(SqliteCommand command, InboxIdentity identity)
    {
        command.Parameters[0].Value = (int)identity.Kind;
        command.Parameters[1].Value = identity.Scope;
        command.Parameters[2].Value = identity.Value;
    }

    private static InboxMessage ReadInbox(SqliteDataReader reader)
    {
        long? originalDate = StoreValues.GetInt64OrNull(reader, 10);
        long? acknowledgedAt = StoreValues.GetInt64OrNull(reader, 17);
        return new InboxMessage
        {
            Id = reader.GetInt64(0),
            Source = (MessageSource)reader.GetInt32(1),
            Direction = (MessageDirection)reader.GetInt32(2),
            SenderUri = StoreValues.GetStringOrNull(reader, 3),
            SenderDisplayName = StoreValues.GetStringOrNull(reader, 4),
            Recipients = StoreValues.SplitList(reader.GetString(5)),
            ConversationId = StoreValues.GetStringOrNull(reader, 6),
            CallId = StoreValues.GetStringOrNull(reader, 7),
            MessageId = StoreValues.GetStringOrNull(reader, 8),
            ReceivedAt = StoreValues.FromUnixMs(reader.GetInt64(9)),
            OriginalDate = originalDate is { } d ? StoreValues.FromUnixMs(d) : null,
            ContentType = reader.GetString(11),
            Body = StoreValues.GetBlob(reader, 12),
            ImdnRequested = (ImdnDispositions)reader.GetInt32(13),
            ImdnSent = (ImdnDispositions)reader.GetInt32(14),
            RawPart = reader.IsDBNull(15) ? null : (ReadOnlyMemory<byte>?)StoreValues.GetBlob(reader, 15),
            UnparsedReason = StoreValues.GetStringOrNull(reader, 16),
            AcknowledgedAt = acknowledgedAt is { } a ? StoreValues.FromUnixMs(a) : null,
            ApplicationId = StoreValues.GetStringOrNull(reader, 18),
        };
    }
}
