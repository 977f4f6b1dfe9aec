// SPDX-License-Identifier: MIT
namespace ImUeAgent.Modem.BringUp;

/// <summary>
/// The latest value of something URCs report, with a version so a waiter misses nothing that came between its read
/// and its wait (read the version, send the query, then wait for a newer version). No polling: waiters complete when
/// a URC is published.
/// </summary>
internal sealed class VersionedSignal<T>
    where T : class
{
    private readonly Lock _gate = new();
    private T? _value;
    private long _version;
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public (T? Value, long Version) Current
    {
        get
        {
            lock (_gate)
            {
                return (_value, _version);
            }
        }
    }

    public void Publish(T value)
    {
        TaskCompletionSource fired;
        lock (_gate)
        {
            _value = value;
            _version++;
            fired = _next;
            _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        fired.TrySetResult();
    }

    /// <summary>Completes when a version newer than <paramref name="version"/> is published.</summary>
    public async Task WaitAfterAsync(long version, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task next;
            lock (_gate)
            {
                if (_version > version)
                {
                    return;
                }

                next = _next.Task;
            }

            await next.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>A bring-up run stops with a failure in words.</summary>
internal sealed class BringUpFailedException(ModemFailure failure) : Exception(failure.Message)
{
    public ModemFailure Failure { get; } = failure;
}

/// <summary>The AT channel went away under a run: wait for it, then start again from the probe.</summary>
internal sealed class ChannelLostException(string command) : Exception($"the AT channel broke during {command}");

/// <summary>A run ends early on purpose (the module was restarted) and resumes at <see cref="Phase"/>.</summary>
internal sealed class BringUpResumeException(ModemPhase phase, string why) : Exception(why)
{
    public ModemPhase Phase { get; } = phase;
}

/// <summary>What makes a run stop and bring-up resume at an earlier phase.</summary>
internal enum RecoveryTriggerKind
{
    /// <summary>+CEREG left "registered", or +CGEV NW/ME DETACH.</summary>
    RegistrationLost,

    /// <summary>+CGEV: the IMS PDN's context was deactivated.</summary>
    PdnLost,

    /// <summary>"RDY", "+CFUN: 1", "+CPIN: READY": the module restarted.</summary>
    ModuleReset,

    /// <summary>The AT channel broke (port lost, modem unresponsive); it reopens itself.</summary>
    ChannelBroken,

    /// <summary><see cref="ModemService.RestartAsync"/>.</summary>
    Requested,
}

internal sealed record RecoveryTrigger(RecoveryTriggerKind Kind, ModemPhase ResumeAt, string Detail)
{
    /// <summary>Triggers that wake a failed service: the module or SIM may have changed.</summary>
    public bool IsHard => Kind is RecoveryTriggerKind.ModuleReset or RecoveryTriggerKind.ChannelBroken or RecoveryTriggerKind.Requested;

    /// <summary>The card's sessions are gone (or may be): the ISIM must be opened again.</summary>
    public bool InvalidatesUicc => Kind is RecoveryTriggerKind.ModuleReset or RecoveryTriggerKind.ChannelBroken or RecoveryTriggerKind.Requested;

    public static RecoveryTrigger Merge(RecoveryTrigger? pending, RecoveryTrigger next)
    {
        if (pending is null)
        {
            return next;
        }

        var resume = next.ResumeAt < pending.ResumeAt ? next.ResumeAt : pending.ResumeAt;
        var kept = next.InvalidatesUicc ? next : pending.InvalidatesUicc ? pending : next.ResumeAt <= pending.ResumeAt ? next : pending;
        return kept with { ResumeAt = resume };
    }

    public override string ToString() => $"{Kind} ({Detail})";
}
