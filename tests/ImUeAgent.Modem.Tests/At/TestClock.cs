// SPDX-License-Identifier: MIT
using Microsoft.Extensions.Time.Testing;

namespace ImUeAgent.Modem.Tests.At;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that also tells the test when the code under test is waiting on a timer, so the
/// test advances time exactly when a timer with the expected due time exists (no real sleeps, no races).
/// </summary>
internal sealed class TestClock : TimeProvider
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(20);
    private readonly Lock _gate = new();
    private readonly List<TrackedTimer> _active = [];
    private readonly List<(TimeSpan Due, TaskCompletionSource Signal)> _waiters = [];

    public FakeTimeProvider Fake { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public override DateTimeOffset GetUtcNow() => Fake.GetUtcNow();

    public override long GetTimestamp() => Fake.GetTimestamp();

    public override long TimestampFrequency => Fake.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var tracked = new TrackedTimer(this, dueTime, period);
        tracked.Inner = Fake.CreateTimer(
            s =>
            {
                if (period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero)
                {
                    Remove(tracked);
                }

                callback(s);
            },
            state,
            dueTime,
            period);
        lock (_gate)
        {
            _active.Add(tracked);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Due == dueTime)
                {
                    _waiters[i].Signal.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }

        return tracked;
    }

    /// <summary>Completes when a timer due in <paramref name="dueTime"/> is active.</summary>
    public Task WhenTimerAsync(TimeSpan dueTime)
    {
        lock (_gate)
        {
            if (_active.Any(t => t.DueTime == dueTime))
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((dueTime, signal));
            return signal.Task.WaitAsync(HangGuard);
        }
    }

    /// <summary>Waits for a timer due in <paramref name="dueTime"/>, then advances the clock by that much.</summary>
    public async Task AdvanceWhenWaitingAsync(TimeSpan dueTime)
    {
        await WhenTimerAsync(dueTime);
        Fake.Advance(dueTime);
    }

    public int ActiveTimers(TimeSpan dueTime)
    {
        lock (_gate)
        {
            return _active.Count(t => t.DueTime == dueTime);
        }
    }

    private void Remove(TrackedTimer timer)
    {
        lock (_gate)
        {
            _active.Remove(timer);
        }
    }

    private sealed class TrackedTimer(TestClock clock, TimeSpan dueTime, TimeSpan period) : ITimer
    {
        public ITimer Inner { get; set; } = null!;

        public TimeSpan DueTime { get; private set; } = dueTime;

        public TimeSpan Period { get; } = period;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            DueTime = dueTime;
            return Inner.Change(dueTime, period);
        }

        public void Dispose()
        {
            clock.Remove(this);
            Inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            clock.Remove(this);
            return Inner.DisposeAsync();
        }
    }
}
