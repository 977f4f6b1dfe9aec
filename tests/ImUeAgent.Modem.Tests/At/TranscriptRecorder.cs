// SPDX-License-Identifier: MIT
using ImUeAgent.Modem.At;

namespace ImUeAgent.Modem.Tests.At;

/// <summary>Collects transcript entries and lets a test wait for a particular one.</summary>
internal sealed class TranscriptRecorder : IAtTranscript
{
    private readonly Lock _gate = new();
    private readonly List<AtTranscriptEntry> _entries = [];
    private readonly List<(Func<AtTranscriptEntry, bool> Match, int Count, TaskCompletionSource Signal)> _waiters = [];

    public IReadOnlyList<AtTranscriptEntry> Entries
    {
        get
        {
            lock (_gate)
            {
                return [.. _entries];
            }
        }
    }

    public void Record(in AtTranscriptEntry entry)
    {
        lock (_gate)
        {
            _entries.Add(entry);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(entry) && _entries.Count(_waiters[i].Match) >= _waiters[i].Count)
                {
                    _waiters[i].Signal.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>Completes when <paramref name="count"/> entries matching <paramref name="match"/> have been recorded.</summary>
    public Task WhenAsync(Func<AtTranscriptEntry, bool> match, int count = 1)
    {
        lock (_gate)
        {
            if (_entries.Count(match) >= count)
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, count, signal));
            return signal.Task.WaitAsync(TimeSpan.FromSeconds(20));
        }
    }

    public Task WhenLineAsync(string text, AtLineRoute route, int count = 1)
        => WhenAsync(e => e.Kind == AtTranscriptKind.Line && e.Text == text && e.Route == route, count);
}
