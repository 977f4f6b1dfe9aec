// SPDX-License-Identifier: MIT
namespace ImUeAgent.Ims.Registration;

/// <summary>When to refresh a registration and how long to wait after a failure.</summary>
public static class RegistrationTiming
{
    /// <summary>
    /// TS 24.229 §5.1.1.4.1: re-register 600 s before expiry when the registration lasts more than 1200 s, otherwise
    /// when half of it has passed.
    /// </summary>
    public static TimeSpan RefreshAfter(TimeSpan granted)
    {
        if (granted <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        return granted > TimeSpan.FromSeconds(1200) ? granted - TimeSpan.FromSeconds(600) : granted / 2;
    }

    /// <summary>
    /// RFC 5626 §4.5: wait-time = min(max-time, base-time * 2^consecutive-failures), then a uniformly random value
    /// between 50% and 100% of it. base-time is 30 s when no flow works (90 s when some still do), max-time 1800 s.
    /// </summary>
    /// <param name="consecutiveFailures">Failures in a row so far, 0 for the first retry.</param>
    /// <param name="random">A value in [0, 1), from the caller's random source (tests pass fixed values).</param>
    public static TimeSpan Backoff(int consecutiveFailures, double random, bool someFlowsWork = false,
        TimeSpan? maxTime = null, TimeSpan? baseTime = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(consecutiveFailures);
        if (random is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(random), "must be in [0, 1)");
        }

        var max = maxTime ?? TimeSpan.FromSeconds(1800);
        var start = baseTime ?? TimeSpan.FromSeconds(someFlowsWork ? 90 : 30);
        // 2^n overflows long before it matters: cap the exponent where base * 2^n already exceeds max-time.
        var exponent = Math.Min(consecutiveFailures, 30);
        var seconds = Math.Min(max.TotalSeconds, start.TotalSeconds * Math.Pow(2, exponent));
        return TimeSpan.FromSeconds(seconds * (0.5 + (random / 2)));
    }
}
