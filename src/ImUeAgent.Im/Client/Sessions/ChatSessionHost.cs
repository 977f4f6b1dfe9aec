// SPDX-License-Identifier: MIT
using ImUeAgent.Im.Client.Large;
using ImUeAgent.Im.Client.Pager;
using ImUeAgent.Im.FeatureTags;
using ImUeAgent.Msrp.Sessions;
using ImUeAgent.Sip.Ua;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Im.Client.Sessions;

/// <summary>What the IM client lends its sessions: settings, the MSRP endpoint, the clock, the own identity, the
/// feature-tag policies, the current UA, the durable commit of received messages and its background task tracking.</summary>
internal sealed class ChatSessionHost
{
    public required ImClientSettings Settings { get; init; }

    public required MsrpEndpoint Msrp { get; init; }

    public required TimeProvider Time { get; init; }

    public required ILogger Logger { get; init; }

    /// <summary>'+g.oma.sip-im' plus the configured Contact tags, for Contact headers.</summary>
    public required ClientFeatureTagPolicy ImOnlyPolicy { get; init; }

    /// <summary>The own IM address (null when not registered); the argument asks for anonymity.</summary>
    public required Func<bool, Originator?> OwnOriginator { get; init; }

    /// <summary>The Accept-Contact policy for a request's feature tags (empty: the configured ones). Throws
    /// <see cref="ArgumentException"/> naming a bad tag.</summary>
    public required Func<IReadOnlyList<string>, ClientFeatureTagPolicy> PolicyFor { get; init; }

    public required Func<SipUserAgent> UserAgent { get; init; }

    /// <summary>Commits one received SEND of a session to the inbox and returns its MSRP status (200 only once on disk).</summary>
    public required MsrpCommit Commit { get; init; }

    public required Action<Task> Track { get; init; }

    public required Action<ImChatSessionEvent> Changed { get; init; }

    public required Action<ImChatSession> ParticipantsChanged { get; init; }

    /// <summary>A conference subscription starts (true) or ends (false) on a UA: the NOTIFY handler finds it by Call-ID.</summary>
    public required Action<ConferenceSubscription, SipUserAgent, bool> SubscriptionChanged { get; init; }

    public required CancellationToken Stopping { get; init; }
}
