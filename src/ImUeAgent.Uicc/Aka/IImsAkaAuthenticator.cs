// SPDX-License-Identifier: MIT
using ImUeAgent.Uicc.Isim;

namespace ImUeAgent.Uicc.Aka;

/// <summary>
/// What IMS registration needs from the subscriber module: the identities and the AKA challenge (TS 33.203 §6.1).
/// Implemented by the card's ISIM (<see cref="IsimApplication"/>) and by the soft ISIM
/// (<see cref="Soft.SoftIsim"/>) for boards without one.
/// </summary>
public interface IImsAkaAuthenticator
{
    /// <summary>IMPI, IMPUs and home network domain.</summary>
    ImsIdentity Identity { get; }

    /// <summary>
    /// Runs AKA on RAND and AUTN (16 bytes each, from the RFC 3310 nonce). A card error other than a MAC failure
    /// throws <see cref="UiccException"/>.
    /// </summary>
    ValueTask<AkaResult> AuthenticateAsync(ReadOnlyMemory<byte> rand, ReadOnlyMemory<byte> autn,
        CancellationToken cancellationToken);
}
