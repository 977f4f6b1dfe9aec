// SPDX-License-Identifier: MIT
using ImUeAgent.Ims.Registration;

namespace ImUeAgent.Ims.Tests.Registration;

public sealed class RegistrationTimingTests
{
    [Theory]
    [InlineData(600000, 599400)]   // 600000 s: refresh 600 s before expiry
    [InlineData(3600, 3000)]
    [InlineData(1201, 601)]
    [InlineData(1200, 600)]        // exactly 1200 s: half
    [InlineData(600, 300)]
    [InlineData(60, 30)]
    [InlineData(1, 0.5)]
    [InlineData(0, 0)]
    public void Refresh_follows_ts_24_229(double grantedSeconds, double refreshSeconds) =>
        Assert.Equal(TimeSpan.FromSeconds(refreshSeconds), RegistrationTiming.RefreshAfter(TimeSpan.FromSeconds(grantedSeconds)));

    [Theory]
    [InlineData(0, 0.0, 15)]     // 30 s base, lowest draw: 50%
    [InlineData(0, 0.999999, 30)]
    [InlineData(1, 0.0, 30)]     // 60 s
    [InlineData(3, 0.0, 120)]    // 240 s
    [InlineData(5, 0.0, 480)]    // 960 s
    [InlineData(6, 0.0, 900)]    // 1920 s capped at 1800
    [InlineData(60, 0.0, 900)]   // no overflow for long outages
    public void Backoff_follows_rfc_5626(int failures, double random, double expectedSeconds) =>
        Assert.Equal(expectedSeconds, RegistrationTiming.Backoff(failures, random).TotalSeconds, precision: 3);

    [Fact]
    public void Backoff_base_is_90_s_while_some_flows_work() =>
        Assert.Equal(TimeSpan.FromSeconds(90), RegistrationTiming.Backoff(0, 0.999999999, someFlowsWork: true).RoundSeconds());

    [Fact]
    public void Backoff_rejects_bad_random() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => RegistrationTiming.Backoff(0, 1.0));
}

internal static class TimeSpanRounding
{
    public static TimeSpan RoundSeconds(this TimeSpan value) => TimeSpan.FromSeconds(Math.Round(value.TotalSeconds));
}
