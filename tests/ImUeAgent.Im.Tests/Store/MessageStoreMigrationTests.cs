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

    [Fact]
    public async Task V1_file_migrates_to_a_fictional_v2_keeping_its_data()
    {
        long id;
        await using (MessageStore v1 = await _context.OpenAsync())
        {
            id = (await v1.InsertInboxAsync(StoreTestContext.Pager("keep@1"), TestContext.Current.CancellationToken)).Id;
        }

        Assert.Equal(1, _context.RawScalar("PRAGMA user_version"));
        var v2 = new SchemaMigration(2, """
            ALTER TABLE inbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
            CREATE TABLE conversation (id TEXT PRIMARY KEY, title TEXT);
            """);

        await using (MessageStore store = await OpenWith([.. StoreSchema.Migrations, v2]))
        {
            Assert.Equal(2, store.SchemaVersion);
            InboxMessage? kept = await store.GetInboxMessageAsync(id, TestContext.Current.CancellationToken);
            Assert.NotNull(kept);
            Assert.Equal("keep@1", kept.CallId);
        }

        Assert.Equal(2, _context.RawScalar("PRAGMA user_version"));
        Assert.Equal(0, _context.RawScalar($"SELECT priority FROM inbox WHERE id = {id}"));
        Assert.Equal(1, _context.RawScalar("SELECT count(*) FROM sqlite_schema WHERE name = 'conversation'"));
        Assert.Contains("migrated from v1 to v2", _context.Logger.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Empty_file_goes_straight_through_all_steps_in_one_open()
    {
        var v2 = new SchemaMigration(2, "CREATE TABLE extra (x INTEGER);");
        await using MessageStore store = await OpenWith([.. StoreSchema.Migrations, v2]);

        Assert.Equal(2, store.SchemaVersion);
        Assert.Equal(1, _context.RawScalar("SELECT count(*) FROM sqlite_schema WHERE name = 'extra'"));
        Assert.Contains("migrated from v0 to v2", _context.Logger.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failing_step_rolls_back_everything_including_earlier_statements_of_the_step()
    {
        await (await _context.OpenAsync()).DisposeAsync();
        var broken = new SchemaMigration(2, """
            CREATE TABLE half_done (x INTEGER);
            ALTER TABLE no_such_table ADD COLUMN y INTEGER;
            """);

        var error = await Assert.ThrowsAsync<MessageStoreException>(() => OpenWith([.. StoreSchema.Migrations, broken]));

        Assert.Equal(MessageStoreErrorReason.MigrationFailed, error.Reason);
        Assert.Contains("v1 to v2", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, _context.RawScalar("PRAGMA user_version"));
        Assert.Equal(0, _context.RawScalar("SELECT count(*) FROM sqlite_schema WHERE name = 'half_done'"));

        // The store still opens with the steps it knows, and the lock was released by the failed open.
        await using MessageStore store = await _context.OpenAsync();
        Assert.Equal(1, store.SchemaVersion);
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
}
