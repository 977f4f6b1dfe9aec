// SPDX-License-Identifier: MIT
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Testbed.Core;

/// <summary>Which side of the S-CSCF's service logic a request is on (TS 23.218 §6: originating or terminating
/// initial filter criteria).</summary>
internal enum ServedDirection
{
    /// <summary>From a registered UE of this core, before routing towards the Request-URI.</summary>
    Originating,

    /// <summary>Towards a public identity of this core (registered or not), before delivery to its contacts.</summary>
    Terminating,
}

/// <summary>An initial request offered to an application server behind the S-CSCF.</summary>
internal sealed record ApplicationServerRequest(
    SipRequest Request,
    SipFlow Flow,
    ServedDirection Direction,
    Subscriber? ServedUser,
    bool ServedUserRegistered);

/// <summary>What the core lets an application server do: answer a request it took, and look at registrations.</summary>
internal interface IImsCoreServices
{
    /// <summary>Sends a final or provisional response to <paramref name="request"/> (Via/From/To/Call-ID/CSeq copied,
    /// To tag added) after <paramref name="addHeaders"/> and an optional body.</summary>
    ValueTask RespondAsync(SipRequest request, SipFlow flow, int statusCode, string? reasonPhrase = null,
        Action<SipMessageBuilder>? addHeaders = null, CancellationToken cancellationToken = default);

    /// <summary>True when the public identity has at least one registered contact.</summary>
    bool IsRegistered(SipUri impu);
}

/// <summary>
/// An application server plugged in behind the S-CSCF (the IM server with deferred storage, the conference factory).
/// The core offers every initial request, originating first and then terminating, in the order the servers were
/// given; the first that returns true owns the request and answers it through <see cref="IImsCoreServices"/>.
/// Calls run on the core's event loop: keep them short.
/// </summary>
internal interface IApplicationServer
{
    ValueTask<bool> TryHandleAsync(ApplicationServerRequest request, IImsCoreServices core, CancellationToken cancellationToken);
}
