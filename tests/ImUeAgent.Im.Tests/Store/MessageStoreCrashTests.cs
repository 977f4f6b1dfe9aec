// SPDX-License-Identifier: MIT
using System.Diagnostics;
using System.Globalization;
using System.Text;
using ImUeAgent.Im.Store;
using Microsoft.Extensions.Time.Testing;

namespace ImUeAgent.Im.Tests.Store;

/// <summary>
/// A real SIGKILL: this test assembly is started again as a child process that runs only
/// <see cref="Crash_child_writes_until_killed"/>, which commits messages in a tight loop and reports each commit on
/// stdout (the stand-in for the acknowledgment). The parent kills it with SIGKILL at an arbitrary moment, then
/// opens the store and checks: everything reported is there, nothing half-written, no duplicates, interrupted sends
/// re-queued. A process kill does not lose the page cache, so this checks atomicity and the commit-before-ack
/// order, not fsync against power loss (that is synchronous=FULL's job, see MessageStore remarks).
/// </summary>
public sealed class MessageStoreCrashTests : IDisposable
{
    private const string ChildVariable = "IMUE_STORE_CRASH_CHILD_DB";
    private const int BatchSize = 3;
    // Created lazily: the killed child constructs this class too and never gets to Dispose.
    private StoreTestContext? _lazyContext;

    private StoreTestContext Context => _lazyContext ??= new StoreTestContext();

    public void Dispose() => _lazyContext?.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static NewInboxMessage Numbered(int n) => StoreTestContext.Pager($"crash-{n}@child", body: $"body-{n}");

    [Fact]
    public async Task Kill_9_while_writing_loses_nothing_acknowledged_and_duplicates_nothing()
    {
        // Two outgoing messages will be 'sending' when the child dies.
        await (await Context.OpenAsync()).DisposeAsync();

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(3)); // a safety net for a child that never starts, not a timing assumption
        using Process child = StartChild();
        var acknowledged = new Dictionary<int, long>();
        var outbox = new Dictionary<long, string>();
        int batchesSeen = 0;
        bool killed = false;
        // Read reports until enough have come, kill, then drain what the child reported before it died (the pipe
        // holds more than was read when the kill was decided).
        while (await child.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            string[] fields = line.Split(' ');
            switch (fields)
            {
                case ["ACK", var n, var id]:
                    acknowledged[int.Parse(n, CultureInfo.InvariantCulture)] = long.Parse(id, CultureInfo.InvariantCulture);
                    break;
                case ["ACKBATCH"]:
                    batchesSeen++;
                    break;
                case ["SENDING", var id, var messageId]:
                    outbox[long.Parse(id, CultureInfo.InvariantCulture)] = messageId;
                    break;
            }

            if (!killed && acknowledged.Count >= 60)
            {
                child.Kill(entireProcessTree: true); // SIGKILL on Linux, at whatever the child is doing
                killed = true;
            }
        }

        await child.WaitForExitAsync(timeout.Token);
        Assert.True(killed, $"Child exited before it was killed: {await child.StandardError.ReadToEndAsync(Ct)}");
        Assert.True(batchesSeen > 0);
        Assert.Equal(2, outbox.Count);

        Assert.Equal(0, Context.RawScalar("SELECT count(*) FROM pragma_integrity_check WHERE integrity_check <> 'ok'"));
        await using MessageStore store = await Context.OpenAsync();

        // Every acknowledged message is there, with its body.
        foreach ((int n, long id) in acknowledged)
        {
            InboxMessage? stored = await store.GetInboxMessageAsync(id, Ct);
            Assert.NotNull(stored);
            Assert.Equal($"body-{n}", Encoding.UTF8.GetString(stored.Body.Span));
        }

        // What is stored is a prefix of the child's sequence: no hole, no half batch. At most the one write that
        // committed after the last report (a whole batch) is beyond what was acknowledged.
        IReadOnlyList<InboxMessage> all = await store.ListUndeliveredAsync(limit: 100_000, cancellationToken: Ct);
        int[] numbers = [.. all.Select(m => int.Parse(m.CallId!["crash-".Length..m.CallId!.IndexOf('@', StringComparison.Ordinal)], CultureInfo.InvariantCulture)).Order()];
        Assert.Equal(Enumerable.Range(0, numbers.Length), numbers);
        Assert.InRange(numbers.Length, acknowledged.Keys.Max() + 1, acknowledged.Keys.Max() + 1 + BatchSize);
        Assert.Equal(numbers.Length, Context.RawScalar("SELECT count(*) FROM inbox_identity"));
        TestContext.Current.TestOutputHelper?.WriteLine($"acknowledged {acknowledged.Count}, stored {numbers.Length}");

        // A re-push of everything after the restart stores nothing twice.
        for (int n = 0; n < numbers.Length + 5; n++)
        {
            InboxInsertResult again = await store.InsertInboxAsync(Numbered(n), Ct);
            Assert.Equal(n < numbers.Length ? InboxInsertOutcome.Duplicate : InboxInsertOutcome.Inserted, again.Outcome);
        }

        // Sends interrupted by the kill are queued again with their Message-IDs.
        Assert.Equal(2, store.RequeuedOnOpen);
        foreach ((long id, string messageId) in outbox)
        {
            OutboxMessage stored = (await store.GetOutboxMessageAsync(id, Ct))!;
            Assert.Equal((OutboxState.Queued, messageId), (stored.State, stored.MessageId));
        }
    }

    /// <summary>The child side; skipped unless started by the test above.</summary>
    [Fact]
    public async Task Crash_child_writes_until_killed()
    {
        string? path = Environment.GetEnvironmentVariable(ChildVariable);
        if (path is null)
        {
            Assert.Skip("Runs only as the child process of Kill_9_while_writing_loses_nothing_acknowledged_and_duplicates_nothing");
        }

        var time = new FakeTimeProvider(StoreTestContext.Start);
        await using MessageStore store = await MessageStore.OpenAsync(new MessageStoreSettings { DatabasePath = path },
            new CapturingLogger(), time, Ct);
        using var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
        for (int i = 0; i < 2; i++)
        {
            await store.EnqueueAsync(StoreTestContext.Outgoing($"out-{i}"), Ct);
            OutboxMessage claimed = (await store.ClaimNextDueAsync(time.GetUtcNow(), Ct))!;
            await stdout.WriteLineAsync($"SENDING {claimed.Id} {claimed.MessageId}");
        }

        // Alternate single inserts and batches (one multipart push = one transaction), reporting only after commit.
        for (int n = 0; n < 1_000_000;)
        {
            if (n % 2 == 0)
            {
                InboxInsertResult result = await store.InsertInboxAsync(Numbered(n), Ct);
                await stdout.WriteLineAsync($"ACK {n} {result.Id}");
                n++;
            }
            else
            {
                IReadOnlyList<InboxInsertResult> results = await store.InsertInboxBatchAsync([.. Enumerable.Range(n, BatchSize).Select(Numbered)], Ct);
                for (int k = 0; k < BatchSize; k++)
                {
                    await stdout.WriteLineAsync($"ACK {n + k} {results[k].Id}");
                }

                await stdout.WriteLineAsync("ACKBATCH");
                n += BatchSize;
            }
        }
    }

    private Process StartChild()
    {
        string host = Environment.ProcessPath!;
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            start.FileName = host;
            start.ArgumentList.Add("exec");
            start.ArgumentList.Add(typeof(MessageStoreCrashTests).Assembly.Location);
        }
        else
        {
            start.FileName = host;
        }

        // Started without Microsoft.Testing.Platform's arguments, the xUnit v3 test executable runs its own
        // in-process runner, which takes -method.
        foreach (string argument in (string[])["-method", $"{typeof(MessageStoreCrashTests).FullName}.{nameof(Crash_child_writes_until_killed)}",
            "-noLogo", "-noColor"])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment[ChildVariable] = Context.DatabasePath;
        return Process.Start(start)!;
    }
}
