// SPDX-License-Identifier: MIT
namespace ImUeAgent.Messaging;

/// <summary>
/// "Something changed" for any number of waiters, without queues: a watcher remembers the version it has seen and
/// waits for a newer one, then reads the store from its own cursor. A burst of changes wakes it once; nothing is
/// buffered per watcher, so a slow API client costs no memory.
/// </summary>
internal sealed class ChangeFeed
{
    private readonly Lock _gate = new();
    private long _version;
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public long Version
    {
        get
        {
            lock (_gate)
            {
                return _version;
            }
        }
    }

    public void Signal()
    {
        TaskCompletionSource done;
        lock (_gate)
        {
            _version++;
            done = _next;
            _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        done.TrySetResult();
    }

    /// <summary>Completes once <see cref="Version"/> is past <paramref name="seen"/>; returns the version then.</summary>
    public async Task<long> WaitPastAsync(long seen, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task next;
            lock (_gate)
            {
                if (_version > seen)
                {
                    return _version;
                }

                next = _next.Task;
            }

            await next.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
