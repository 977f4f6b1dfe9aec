// SPDX-License-Identifier: MIT
using System.Buffers;
using ImUeAgent.Msrp.Sessions;
using ImUeAgent.Msrp.Tests.Transport;

namespace ImUeAgent.Msrp.Tests.Memory;

/// <summary>Samples the working set every megabyte of body the receiver takes in, then hands the data on.</summary>
internal sealed class WorkingSetSamplingSink(IMsrpMessageSink inner) : IMsrpMessageSink
{
    private long _nextSampleAt;

    public long PeakWorkingSet { get; private set; }

    public int Samples { get; private set; }

    public ValueTask WriteAsync(long offset, ReadOnlySequence<byte> data, CancellationToken cancellationToken)
    {
        if (offset + data.Length >= _nextSampleAt)
        {
            PeakWorkingSet = Math.Max(PeakWorkingSet, Environment.WorkingSet);
            Samples++;
            _nextSampleAt = offset + data.Length + (1 << 20);
        }

        return inner.WriteAsync(offset, data, cancellationToken);
    }

    public ValueTask<int> CompleteAsync(long length, CancellationToken cancellationToken)
    {
        PeakWorkingSet = Math.Max(PeakWorkingSet, Environment.WorkingSet);
        return inner.CompleteAsync(length, cancellationToken);
    }

    public ValueTask AbortAsync(MsrpIncompleteReason reason, CancellationToken cancellationToken) => inner.AbortAsync(reason, cancellationToken);
}

/// <summary>
/// 5 MB and 50 MB over loopback TCP, streamed from a generator and checked byte by byte on arrival: allocation and
/// working-set growth must not scale with the message, and the figures are printed for the report.
/// </summary>
[Collection(nameof(MemoryMeasurements))]
public sealed class LargeTransferMemoryTests(ITestOutputHelper output)
{
    private sealed record Figures(long Size, long Allocated, long WorkingSetBefore, long PeakWorkingSet, int Samples, int Chunks)
    {
        public long PeakGrowth => Math.Max(0, PeakWorkingSet - WorkingSetBefore);
    }

    private static async Task<Figures> TransferAsync(long size)
    {
        var ct = TestContext.Current.CancellationToken;
        var options = new MsrpSessionOptions { ChunkSize = 256 * 1024, MaxMessageSize = 1L << 30 };
        await using var pair = await LoopbackPair.CreateAsync(options);
        // Warm-up: JIT, pools and socket buffers are one-time costs, not per-byte ones.
        pair.HandlerB.Decide = _ => MsrpReceiveDecision.Accept(new PatternCheckingSink());
        Assert.True((await pair.A.SendMessageAsync("application/octet-stream", new PatternStream(2_000_000), 2_000_000, cancellationToken: ct)).IsSuccess);

        var checking = new PatternCheckingSink();
        var sampling = new WorkingSetSamplingSink(checking);
        pair.HandlerB.Decide = _ => MsrpReceiveDecision.Accept(sampling);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long workingSetBefore = Environment.WorkingSet;
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var result = await pair.A.SendMessageAsync("application/octet-stream", new PatternStream(size), size, cancellationToken: ct);
        long total = await checking.Done.Task.WaitAsync(TimeSpan.FromSeconds(120), ct);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;

        Assert.True(result.IsSuccess, result.ToString());
        Assert.Equal(size, total);
        Assert.Equal(size, checking.Bytes);
        Assert.Equal(0, checking.Mismatches);
        return new Figures(size, allocated, workingSetBefore, sampling.PeakWorkingSet, sampling.Samples, result.Chunks);
    }

    private void Print(Figures f) => output.WriteLine(
        $"{f.Size / (1024 * 1024),3} MB: allocated {f.Allocated,12:N0} B ({(double)f.Allocated / f.Size:P2} of the data), " +
        $"peak working-set growth {f.PeakGrowth,12:N0} B over {f.Samples} samples, {f.Chunks} chunks");

    [Fact]
    public async Task Allocation_and_working_set_do_not_grow_with_the_message()
    {
        var small = await TransferAsync(5L * 1024 * 1024);
        var large = await TransferAsync(50L * 1024 * 1024);
        Print(small);
        Print(large);
        output.WriteLine($"50 MB / 5 MB allocation ratio {(double)large.Allocated / small.Allocated:F2} (data ratio 10)");

        Assert.True(large.Samples >= 50, $"only {large.Samples} working-set samples");
        // Ten times the data must not mean ten times the allocation: a fixed allowance on top of the small run.
        Assert.True(large.Allocated < small.Allocated + (2L * 1024 * 1024), $"5 MB: {small.Allocated} B, 50 MB: {large.Allocated} B allocated");
        Assert.True(large.Allocated < 8L * 1024 * 1024, $"50 MB run allocated {large.Allocated} B");
        // The message never sits in memory: the working set may not grow by anything near its size.
        Assert.True(large.PeakGrowth < 24L * 1024 * 1024, $"working set grew {large.PeakGrowth} B during the 50 MB run");
    }
}
