// SPDX-License-Identifier: MIT
using System.Globalization;
using BenchmarkDotNet.Attributes;
using ImUeAgent.Im.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImUeAgent.Benchmarks.Im;

/// <summary>
/// Commits of the message store, which are fsync-bound: one received 1 KiB message per transaction, a deferred
/// push of 8 parts in one transaction (acknowledged after its one commit), and one outgoing message. Synchronous
/// FULL is the product setting; NORMAL is measured beside it to show what the durability costs.
/// The file lives under the system temp directory: run on the target's StateDirectory filesystem for real numbers.
/// Measured on the x64 CI VM (virtio disk, O_DSYNC 4 KiB write ~250 µs; short job, 2 busy cores):
/// FULL: insert 142 µs (~7,000 commits/s), push of 8 in one transaction 285 µs (~28,000 messages/s), enqueue ~300 µs
/// (noisy); NORMAL: insert 63 µs, push of 8 147 µs (the CPU share: ~18 µs a part). 6 KiB allocated per insert,
/// 41 KiB per push of 8. eMMC/SD on handsets fsyncs in milliseconds, which is what one commit per push is for.
/// </summary>
[MemoryDiagnoser]
public class StoreBenchmarks
{
    private static readonly byte[] Body1KiB = CreateBody();
    private string _directory = null!;
    private MessageStore _store = null!;
    private long _counter;

    [Params("FULL", "NORMAL")]
    public string Synchronous { get; set; } = "FULL";

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "imue-store-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        _store = MessageStore.OpenAsync(new MessageStoreSettings { DatabasePath = Path.Combine(_directory, "messages.db") },
            NullLogger.Instance, TimeProvider.System).GetAwaiter().GetResult();
        if (Synchronous == "NORMAL")
        {
            _store.WriterPragmaAsync("synchronous = 1").GetAwaiter().GetResult();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Description = "inbox insert 1 KiB (1 txn)")]
    public async Task<long> InsertOne() => (await _store.InsertInboxAsync(Message(++_counter))).Id;

    [Benchmark(Description = "deferred push 8 x 1 KiB (1 txn)")]
    public async Task<int> InsertPushOf8()
    {
        var parts = new NewInboxMessage[8];
        for (int i = 0; i < parts.Length; i++)
        {
            parts[i] = Message(++_counter) with { Source = MessageSource.DeferredPush };
        }

        return (await _store.InsertInboxBatchAsync(parts)).Count;
    }

    [Benchmark(Description = "outbox enqueue 1 KiB (1 txn)")]
    public async Task<long> EnqueueOne() => (await _store.EnqueueAsync(new NewOutboxMessage
    {
        Recipients = ["sip:alice@example.com"],
        FeatureTags = ["+g.oma.sip-im"],
        ContentType = "text/plain",
        Body = Body1KiB,
    })).Id;

    private static NewInboxMessage Message(long n)
    {
        string callId = string.Create(CultureInfo.InvariantCulture, $"bench-{n}@host");
        return new NewInboxMessage
        {
            Source = MessageSource.Pager,
            SenderUri = "sip:user1@imserver.com",
            Recipients = ["sip:user2@imserver.com"],
            CallId = callId,
            ReceivedAt = DateTimeOffset.UnixEpoch,
            ContentType = "text/plain",
            Body = Body1KiB,
            Identities = [InboxIdentity.ForSipRequest(callId, 1)],
        };
    }

    private static byte[] CreateBody()
    {
        byte[] body = new byte[1024];
        Array.Fill(body, (byte)'m');
        return body;
    }
}
