// SPDX-License-Identifier: MIT
namespace ImUeAgent.Sip.Transactions;

/// <summary>RFC 3261 §17 / Table 4 timer values. Only T1, T2 and T4 are settings; every other timer derives from them
/// (RFC 6026 §8.4 adds Timers L and M, both 64*T1).</summary>
public sealed record SipTimerSettings
{
    public static SipTimerSettings Default { get; } = new();

    /// <summary>RTT estimate, default 500 ms.</summary>
    public TimeSpan T1 { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Maximum retransmit interval for non-INVITE requests and INVITE responses, default 4 s.</summary>
    public TimeSpan T2 { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>Maximum duration a message remains in the network, default 5 s.</summary>
    public TimeSpan T4 { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Timer B, F, H, J, L, M: 64*T1.</summary>
    public TimeSpan TransactionTimeout => T1 * 64;

    /// <summary>Timer D on an unreliable transport: at least 32 s (RFC 3261 §17.1.1.2), or 64*T1 when larger.</summary>
    public TimeSpan TimerD => TransactionTimeout > TimeSpan.FromSeconds(32) ? TransactionTimeout : TimeSpan.FromSeconds(32);

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(T1, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(T2, T1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(T4, TimeSpan.Zero);
    }
}
