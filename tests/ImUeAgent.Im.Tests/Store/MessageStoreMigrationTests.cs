// SPDX-License-Identifier: MIT
using ImUeAgent.Im.Store;
using Microsoft.Data.Sqlite;

namespace ImUeAgent.Im.Tests.Store;

public sealed class MessageStoreMigrationTests : IDisposable
{
    private readonly StoreTestContext _context = new();

    public void Dispose() => _context.Dispose();

    private Task<MessageStore> OpenWith(params SchemaMigration[] migrations) =>
        MessageStore.OpenAsync(_context.Settings, _context.Logger, _context.Time, migrations, TestContext.Current.CancellationToken);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A file as a v1 build left it: created with the v1 step only; one received message written with the
    /// v1 column list (this build's insert names application_id), one queued outgoing message.</summary>
    private async Task<(long InboxId, long OutboxId)> CreateV1FileAsync()
    {
        long outboxId;
        await using (MessageStore v1 = await OpenWith(StoreSchema.Migrations[0]))
        {
            Assert.Equal(1, v1.SchemaVersion);
            outboxId = (await v1.EnqueueAsync(StoreTestContext.Outgoing("queued before the upgrade"), Ct)).Id;
        }

        _context.RawExecute("""
            INSERT INTO inbox (source, direction, sender_uri, recipients, call_id, message_id, received_at, content_type, body, imdn_requested)
            VALUES (0, 0, 'sip:user1@imserver.com', 'sip:user2@imserver.com', 'v1@1', 'imdn-v1', 1772366400000, 'text/plain', X'6869', 1);
            INSERT INTO inbox_identity (kind, scope, value, inbox_id)
            SELECT 2, 'v1@1', '1', id FROM inbox WHERE call_id = 'v1@1';
            """);
        Assert.Equal(1, _context.RawScalar("PRAGMA user_version"));
        Assert.Equal(0, _context.RawScalar("SELECT count(*) FROM pragma_table_info('inbox') WHERE name = 'application_id'"));
        return (_context.RawScalar("SELECT id FROM inbox WHERE call_id = 'v1@1'"), outboxId);
    }

    [Fact]
    public async Task V1_file_opens_under_v2_with_its_rows_intact_and_no_application()
    {
        (long id, long outboxId) = await CreateV1FileAsync();

        await using (MessageStore store = await _context.OpenAsync())
        {
            Assert.Equal(2, store.SchemaVersion);
            InboxMessage kept = Assert.Single(await store.ListUndeliveredAsync(cancellationToken: Ct));
            Assert.Equal((id, "v1@1", "imdn-v1", "hi"), (kept.Id, kept.CallId, kept.MessageId, System.Text.Encoding.UTF8.GetString(kept.Body.Span)));
            Assert.Equal(ImdnDispositions.PositiveDelivery, kept.ImdnRequested);
            Assert.Null(kept.ApplicationId);
            Assert.Empty(await store.ListUndeliveredAsync(0, 100, "chat", Ct));
            OutboxMessage queued = (await store.GetOutboxMessageAsync(outboxId, Ct))!;
            Assert.Equal((OutboxState.Queued, "queued before the upgrade"), (queued.State, System.Text.Encoding.UTF8.GetString(queued.Body.Span)));

            // The v1 identity still recognises a re-push, and new rows carry their application.
            Assert.Equal(InboxInsertOutcome.Duplicate, (await store.InsertInboxAsync(StoreTestContext.Pager("v1@1") with { ApplicationId = "chat" }, Ct)).Outcome);
            long added = (await store.InsertInboxAsync(StoreTestContext.Pager("v2@1") with { ApplicationId = "chat" }, Ct)).Id;
            Assert.Equal([added], (await store.ListUndeliveredAsync(0, 100, "chat", Ct)).Select(m => m.Id));
        }

        Assert.Equal(2, _context.RawScalar("PRAGMA user_version"));
        Assert.Equal(1, _context.RawScalar($"SELECT count(*) FROM inbox WHERE id = {id} AND application_id IS NULL"));
        Assert.Equal(1, _context.RawScalar("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = 'inbox_unacknowledged_by_application'"));
        Assert.Equal(0, _context.RawScalar("SELECT count(*) FROM pragma_integrity_check WHERE integrity_check <> 'ok'"));
        Assert.Contains("migrated from v1 to v2", _context.Logger.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Per_application_listing_uses_the_v2_index()
    {
        await (await _context.OpenAsync()).DisposeAsync();
        using var connection = _context.OpenRaw();
        using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN SELECT id FROM inbox WHERE acknowledged_at IS NULL AND application_id = 'a' AND id > 0 ORDER BY id LIMIT 10";
        using var reader = command.ExecuteReader();
        var plan = new List<string>();
        while (reader.Read())
        {
            plan.Add(reader.GetString(3));
        }

        Assert.Contains(plan, line => line.Contains("inbox_unacknowledged_by_application", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, line => line.Contains("TEMP B-TREE", StringComparison.Ordinal));
    }

    [Fact]
    public async Task V2_file_migrates_to_a_fictional_v3_keeping_its_data()
    {
        long id;
        await using (MessageStore v2 = await _context.OpenAsync())
        {
            id = (await v2.InsertInboxAsync(StoreTestContext.Pager("keep@1") with { ApplicationId = "chat" }, Ct)).Id;
        }

        Assert.Equal(2, _context.RawScalar("PRAGMA user_version"));
        var v3 = new SchemaMigration(3, """
            ALTER TABLE inbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
            CREATE TABLE conversation (id TEXT PRIMARY KEY, title TEXT);
            """);

        await using (MessageStore store = await OpenWith([.. StoreSchema.Migrations, v3]))
        {
            Assert.Equal(3, store.SchemaVersion);
            InboxMessage? kept = await store.GetInboxMessageAsync(id, Ct);
            Assert.NotNull(kept);
            Assert.Equal(("keep@1", "chat"), (kept.CallId, kept.ApplicationId));
        }

        Assert.Equal(3, _context.RawScalar("PRAGMA user_version"));
        Assert.Equal(0, _context.RawScalar($"SELECT priority FROM inbox WHERE id = {id}"));
        Assert.Equal(1, _context.RawScalar("SELECT count(*) FROM sqlite_schema WHERE name = 'conversation'"));
        Assert.Contains("migrated from v2 to v3", _context.Logger.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Empty_file_goes_straight_through_all_steps_in_one_open()
    {
        var v3 = new SchemaMigration(3, "CREATE TABLE extra (x INTEGER);");
        await using MessageStore store = await OpenWith([.. StoreSchema.Migrations, v3]);

        Assert.Equal(3, store.SchemaVersion);
        Assert.Equal(1, _context.RawScalar("SELECT count(*) FROM sqlite_schema WHERE name = 'extra'"));
        Assert.Equal(1, _context.RawScalar("SELECT count(*) FROM pragma_table_info('inbox') WHERE name = 'application_id'"));
        Assert.Contains("migrated from v0 to v3", _context.Logger.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failing_step_rolls_back_everything_including_earlier_statements_of_the_step()
    {
        await CreateV1FileAsync();
        var broken = new SchemaMigration(3, """
            CREATE TABLE half_done (x INTEGER);
            ALTER TABLE no_such_table ADD COLUMN y INTEGER;
            """);

        var error = await Assert.ThrowsAsync<MessageStoreException>(() => OpenWith([.. StoreSchema.Migrations, broken]));

        // v2 and the broken v3 were one transaction: the file is still v1, without v2's column.
        Assert.Equal(MessageStoreErrorReason.MigrationFailed, error.Reason);
        Assert.Contains("v1 to v3", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, _context.RawScalar("PRAGMA user_version"));
        Assert.Equal(0, _context.RawScalar("SELECT count(*) FROM sqlite_schema WHERE name = 'half_done'"));
        Assert.Equal(0, _context.RawScalar("SELECT count(*) FROM pragma_table_info('inbox') WHERE name = 'application_id'"));

        // The store still opens with the steps it knows, and the lock was released by the failed open.
        await using MessageStore store = await _context.OpenAsync();
        Assert.Equal(2, store.SchemaVersion);
        Assert.Single(await store.ListUndeliveredAsync(cancellationToken: Ct));
    }

    [Fact]
    public async Task File_from_a_newer_build_is_refused_untouched()
    {
        await (await _context.OpenAsync()).DisposeAsync();
        _context.RawExecute("PRAGMA user_version = 7");

        var error = await Assert.ThrowsAsync<MessageStoreException>(_context.OpenAsync);

        Assert.Equal(MessageStoreErrorReason.SchemaTooNew, error.Reason);
        Assert.Contains("v7", error.Message, StringComparison.Ordinal);
        Assert.Equal(7, _context.RawScalar("PRAGMA user_version"));
    }

    [Fact]
    public async Task Migration_list_with_a_gap_is_a_programming_error()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => OpenWith(StoreSchema.Migrations[0], new SchemaMigration(3, "SELECT 1;")));
    }

    [Fact]
    public void Schema_v1_has_the_expected_tables()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = StoreSchema.V1 + " SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name);";
        Assert.Equal("inbox,inbox_identity,outbox,outbox_event", command.ExecuteScalar());
    }

    [Fact]
    public void Schema_v2_adds_a_nullable_application_id_to_the_inbox()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = StoreSchema.V1 + StoreSchema.V2 + " SELECT type || ',' || \"notnull\" || ',' || ifnull(dflt_value, 'NULL') FROM pragma_table_info('inbox') WHERE name = 'application_id';";
        Assert.Equal("TEXT,0,NULL", command.ExecuteScalar());
    }
}
