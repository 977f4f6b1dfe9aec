// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Im.Store;
using Microsoft.Data.Sqlite;

namespace ImUeAgent.Im.Tests.Store;

/// <summary>
/// What "committed before acknowledged" means for the store, shown with independent file handles and reopening.
/// The kill -9 of a real process is in <see cref="MessageStoreCrashTests"/>.
/// </summary>
public sealed class MessageStoreDurabilityTests : IDisposable
{
    private readonly StoreTestContext _context = new();

    public void Dispose() => _context.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Committed_message_is_readable_through_an_independent_handle_at_once()
    {
        await using MessageStore store = await _context.OpenAsync();
        InboxInsertResult result = await store.InsertInboxAsync(StoreTestContext.Pager("a@1", body: "on disk"), Ct);

        // A separate connection with its own file descriptor sees it while the store is still open: it is in the
        // WAL file, not only in the store's memory.
        using SqliteConnection raw = _context.OpenRaw();
        using SqliteCommand command = raw.CreateCommand();
        command.CommandText = $"SELECT body FROM inbox WHERE id = {result.Id}";
        Assert.Equal("on disk"u8.ToArray(), (byte[])command.ExecuteScalar()!);
        Assert.True(new FileInfo(_context.DatabasePath + "-wal").Length > 0);
    }

    [Fact]
    public async Task Transaction_not_committed_when_its_connection_dies_leaves_nothing()
    {
        await (await _context.OpenAsync()).DisposeAsync();
        using (SqliteConnection writer = _context.OpenRaw(SqliteOpenMode.ReadWrite))
        {
            using SqliteTransaction transaction = writer.BeginTransaction();
            using SqliteCommand insert = writer.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText =
                "INSERT INTO inbox (source, direction, recipients, received_at, content_type, body) VALUES (0, 0, '', 0, 'text/plain', x'00');" +
                "INSERT INTO inbox_identity (kind, scope, value, inbox_id) VALUES (2, 'lost@1', '1', last_insert_rowid());";
            insert.ExecuteNonQuery();
            // No Commit: the connection goes away as a crashing process's would.
        }

        await using MessageStore store = await _context.OpenAsync();
        Assert.Empty(await store.ListUndeliveredAsync(cancellationToken: Ct));
        Assert.True((await store.InsertInboxAsync(StoreTestContext.Pager("lost@1"), Ct)).IsNew);
    }

    [Fact]
    public async Task Message_left_sending_is_requeued_on_open_with_its_message_id()
    {
        OutboxEnqueueResult interrupted, untouched;
        await using (MessageStore store = await _context.OpenAsync())
        {
            interrupted = await store.EnqueueAsync(StoreTestContext.Outgoing("one"), Ct);
            untouched = await store.EnqueueAsync(StoreTestContext.Outgoing("two") with { NotBefore = StoreTestContext.Start.AddHours(1) }, Ct);
            Assert.Equal(interrupted.Id, (await store.ClaimNextDueAsync(_context.Time.GetUtcNow(), Ct))!.Id);
            // The daemon "dies" here: the outcome of the send is never recorded.
        }

        _context.Time.Advance(TimeSpan.FromMinutes(1));
        await using MessageStore reopened = await _context.OpenAsync();

        Assert.Equal(1, reopened.RequeuedOnOpen);
        OutboxMessage again = (await reopened.ClaimNextDueAsync(_context.Time.GetUtcNow(), Ct))!;
        Assert.Equal(interrupted.Id, again.Id);
        Assert.Equal(interrupted.MessageId, again.MessageId);
        Assert.Equal(2, again.Attempts);
        Assert.Equal(OutboxState.Queued, (await reopened.GetOutboxMessageAsync(untouched.Id, Ct))!.State);
        IReadOnlyList<OutboxEvent> events = await reopened.ReadOutboxEventsAsync(cancellationToken: Ct);
        Assert.Equal(
            [OutboxState.Queued, OutboxState.Queued, OutboxState.Sending, OutboxState.Queued, OutboxState.Sending],
            events.Select(e => e.State));
        Assert.Contains($"re-queued with the same Message-ID {interrupted.MessageId}", _context.Logger.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Application_ref_survives_a_restart_so_a_retried_submit_is_not_sent_twice()
    {
        OutboxEnqueueResult first;
        await using (MessageStore store = await _context.OpenAsync())
        {
            first = await store.EnqueueAsync(StoreTestContext.Outgoing("x", "app-1"), Ct);
        }

        await using MessageStore reopened = await _context.OpenAsync();
        OutboxEnqueueResult retried = await reopened.EnqueueAsync(StoreTestContext.Outgoing("x", "app-1"), Ct);

        Assert.False(retried.IsNew);
        Assert.Equal(first.MessageId, retried.MessageId);
    }

    [Fact]
    public async Task Disk_full_fails_the_write_with_its_reason_and_commits_nothing()
    {
        await using (MessageStore setup = await _context.OpenAsync())
        {
        }

        // A page limit on the writer makes SQLite answer SQLITE_FULL exactly as a full disk would.
        _context.Settings = _context.Settings with { MaxBodyBytes = 4 * 1024 * 1024 };
        await using MessageStore store = await _context.OpenAsync();
        long pages = _context.RawScalar("PRAGMA page_count");
        await store.WriterPragmaAsync($"max_page_count = {pages + 2}");

        var error = await Assert.ThrowsAsync<MessageStoreException>(() =>
            store.InsertInboxAsync(StoreTestContext.Pager("big@1", body: new string('x', 1024 * 1024)), Ct));

        Assert.Equal(MessageStoreErrorReason.DiskFull, error.Reason);
        Assert.Equal(0, _context.RawScalar("SELECT count(*) FROM inbox"));
        Assert.Contains("DiskFull", _context.Logger.All, StringComparison.Ordinal);
        Assert.True((await store.InsertInboxAsync(StoreTestContext.Pager("small@1"), Ct)).IsNew);
    }
}
