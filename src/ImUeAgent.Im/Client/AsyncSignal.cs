// SPDX-License-Identifier: MIT
namespace ImUeAgent.Im.Client;

/// <summary>A level-free wake-up: <see cref="WaitAsync"/> returns a task completed by the next <see cref="Set"/>.
/// Take the task before checking for work, so a Set between the check and the wait is not lost.</summary>
internal sealed class AsyncSignal
{
    private TaskCompletionSource _current = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task WaitAsync() => Volatile.Read(ref _current).Task;

    public void Set() => Interlocked.Exchange(ref _current, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
