// SPDX-License-Identifier: MIT
using ImUeAgent.Im.FeatureTags;

namespace ImUeAgent.Im.Settings;

/// <summary>How <see cref="ImSettingsPublisher"/> publishes (plain record; the daemon maps its configuration onto it).</summary>
public sealed record ImSettingsPublisherSettings
{
    /// <summary>User-Agent (5.2.4 step 5, Appendix F): the IM release version then the product.</summary>
    public string UserAgent { get; init; } = "IM-client/OMA1.0 imue-agent/0.1.0";

    /// <summary>The publication lifetime asked for (RFC 3903 §4.1 Expires; RFC 4354 suggests 3600 s). 5.2.4 step 7
    /// keeps it "in the same range as the registration timer": each PUBLISH asks for no more than the registration's
    /// remaining time.</summary>
    public uint Expires { get; init; } = 3600;

    /// <summary>The application's Accept-Contact predicates, byte-exact; '+g.oma.sip-im' is added beside them (5.2.4
    /// step 4, <see cref="ClientFeatureTagPolicy"/>).</summary>
    public IReadOnlyList<string> ApplicationFeatureTags { get; init; } = [];

    /// <summary>Retry backoff after a failed PUBLISH (RFC 5626 §4.5 shape: base·2^n capped, then 50–100 % jitter).</summary>
    public TimeSpan BackoffBase { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan BackoffMax { get; init; } = TimeSpan.FromSeconds(1800);

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(UserAgent);
        if (UserAgent.AsSpan().IndexOfAny('\r', '\n') >= 0)
        {
            throw new ArgumentException("User-Agent must be one line", nameof(UserAgent));
        }

        ArgumentOutOfRangeException.ThrowIfZero(Expires);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(BackoffBase, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(BackoffMax, BackoffBase);
    }
}
