// SPDX-License-Identifier: MIT
namespace ImUeAgent.Modem.At;

/// <summary>Tuning of an <see cref="AtChannel"/>; modem profiles override what their firmware needs.</summary>
public sealed record AtChannelSettings
{
    /// <summary>Timeout of commands that do not set their own.</summary>
    public TimeSpan DefaultCommandTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the "AT" of a resynchronisation may take.</summary>
    public TimeSpan ResyncTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// After the resync "AT" is answered, nothing belonging to an old command may arrive for this long before the next
    /// command goes out: a late reply then lands in the gap, not in the next answer (STYLE.md §9).
    /// </summary>
    public TimeSpan QuietGap { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Gaps in a row disturbed by stale lines before the modem is called unresponsive.</summary>
    public int MaxQuietGapAttempts { get; init; } = 8;

    /// <summary>Unanswered commands (resync "AT"s included) in a row before the channel breaks and reopens.</summary>
    public int MaxConsecutiveTimeouts { get; init; } = 3;

    /// <summary>Sends after a timeout (and resync) for commands not marked <see cref="AtCommand.NoRetransmit"/>.</summary>
    public int RetransmissionsOnTimeout { get; init; } = 1;

    /// <summary>First delay before reopening a broken channel; doubles up to <see cref="ReopenBackoffMax"/>.</summary>
    public TimeSpan ReopenBackoffInitial { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan ReopenBackoffMax { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Final result codes, extensible per modem profile.</summary>
    public AtFinalResultTable FinalResults { get; init; } = AtFinalResultTable.Default;

    /// <summary>
    /// Firmware quirk (spec/NOTES.md): "+CME ERROR" followed by "OK". After such an error the channel waits up to
    /// <see cref="TrailingOkWindow"/> for the OK and swallows it, so it cannot answer the next command.
    /// </summary>
    public bool CmeErrorTrailingOk { get; init; }

    public TimeSpan TrailingOkWindow { get; init; } = TimeSpan.FromMilliseconds(200);

    internal void Validate()
    {
        if (DefaultCommandTimeout <= TimeSpan.Zero || ResyncTimeout <= TimeSpan.Zero || QuietGap <= TimeSpan.Zero
            || ReopenBackoffInitial <= TimeSpan.Zero || ReopenBackoffMax < ReopenBackoffInitial || TrailingOkWindow <= TimeSpan.Zero)
        {
            throw new ArgumentException("AT channel timeouts must be positive and the backoff maximum at least its start");
        }

        if (MaxConsecutiveTimeouts < 1 || MaxQuietGapAttempts < 1 || RetransmissionsOnTimeout < 0)
        {
            throw new ArgumentException("AT channel counts must be positive (retransmissions non-negative)");
        }

        ArgumentNullException.ThrowIfNull(FinalResults);
    }
}

/// <summary>Where the channel is; the rest of the daemon follows these, it never sees port exceptions.</summary>
public enum AtChannelState
{
    /// <summary>Not started, or disposed.</summary>
    Closed,

    /// <summary>Opening the port and synchronising with the modem.</summary>
    Opening,

    /// <summary>Commands flow.</summary>
    Ready,

    /// <summary>A command timed out or was cancelled in flight: draining with "AT" and a quiet gap.</summary>
    Resynchronising,

    /// <summary>Unusable; <see cref="AtChannelStatus.Reason"/> says why. The channel reopens after a backoff.</summary>
    Broken,
}

/// <summary>Why the channel broke.</summary>
public enum AtChannelBreakReason
{
    None = 0,

    /// <summary>The port could not be opened (device missing during USB re-enumeration, permission, refused).</summary>
    PortUnavailable,

    /// <summary>The open port failed: end of stream, I/O error, device node gone.</summary>
    PortLost,

    /// <summary>Too many commands in a row went unanswered, or resynchronisation never found a quiet gap.</summary>
    Unresponsive,
}

/// <summary>A state change of the channel.</summary>
public readonly record struct AtChannelStatus(AtChannelState State, AtChannelBreakReason Reason, string? Detail, DateTimeOffset Since)
{
    public override string ToString()
        => Reason == AtChannelBreakReason.None ? State.ToString() : $"{State} ({Reason}: {Detail})";
}
