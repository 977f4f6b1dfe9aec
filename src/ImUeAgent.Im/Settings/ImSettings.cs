// SPDX-License-Identifier: MIT
using ImUeAgent.Im.Content;

namespace ImUeAgent.Im.Settings;

/// <summary>The user's IM Service Settings, all seven of OMA SIMPLE IM 5.2.4 step 8 (a–g), as the daemon configures
/// them. Unlike the parsed <see cref="ImServiceSettings"/> none is optional: a PUBLISH always carries all seven. The
/// defaults are a user who bars nothing, is visible, has offline delivery on (the IM Server stores and pushes deferred
/// messages, Appendix D.2) and keeps no conversation history.</summary>
public sealed record ImSettings
{
    /// <summary>a) Incoming IM Session Barring: true rejects incoming IM sessions.</summary>
    public bool IncomingSessionBarring { get; init; }

    /// <summary>b) Incoming pager mode and large mode IM barring: true rejects incoming pager and large mode messages.</summary>
    public bool IncomingPagerLargeModeBarring { get; init; }

    /// <summary>c) IM invisibility: true hides the user's presence from others.</summary>
    public bool Invisibility { get; init; }

    /// <summary>d) Pager mode and large mode message IM offline delivery activation. When false the IM Client fetches
    /// the deferred messages itself (5.2.4, 12.1.2: <see cref="DeferredListClient"/>).</summary>
    public bool OfflineDelivery { get; init; } = true;

    /// <summary>e) IM conversation storing activation for session mode ("hist-settings", &lt;hist-activation&gt;).</summary>
    public bool SessionModeHistory { get; init; }

    /// <summary>f) IM conversation storing activation for pager mode and large mode.</summary>
    public bool PagerLargeModeHistory { get; init; }

    /// <summary>g) Incoming File Transfer Barring.</summary>
    public bool IncomingFileTransferBarring { get; init; }

    /// <summary>The same settings in the document codec's form (every value present).</summary>
    public ImServiceSettings ToServiceSettings() => new()
    {
        IncomingSessionBarring = IncomingSessionBarring,
        IncomingPagerLargeModeBarring = IncomingPagerLargeModeBarring,
        Invisibility = Invisibility,
        OfflineDelivery = OfflineDelivery,
        SessionModeHistory = SessionModeHistory,
        PagerLargeModeHistory = PagerLargeModeHistory,
        IncomingFileTransferBarring = IncomingFileTransferBarring,
    };

    /// <summary>Settings from a parsed document; a setting the document does not carry keeps its default.</summary>
    public static ImSettings FromServiceSettings(ImServiceSettings parsed)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        var defaults = new ImSettings();
        return new ImSettings
        {
            IncomingSessionBarring = parsed.IncomingSessionBarring ?? defaults.IncomingSessionBarring,
            IncomingPagerLargeModeBarring = parsed.IncomingPagerLargeModeBarring ?? defaults.IncomingPagerLargeModeBarring,
            Invisibility = parsed.Invisibility ?? defaults.Invisibility,
            OfflineDelivery = parsed.OfflineDelivery ?? defaults.OfflineDelivery,
            SessionModeHistory = parsed.SessionModeHistory ?? defaults.SessionModeHistory,
            PagerLargeModeHistory = parsed.PagerLargeModeHistory ?? defaults.PagerLargeModeHistory,
            IncomingFileTransferBarring = parsed.IncomingFileTransferBarring ?? defaults.IncomingFileTransferBarring,
        };
    }
}
