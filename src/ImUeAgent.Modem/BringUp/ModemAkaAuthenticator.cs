// SPDX-License-Identifier: MIT
using ImUeAgent.Uicc.Aka;
using ImUeAgent.Uicc.Isim;

namespace ImUeAgent.Modem.BringUp;

/// <summary>
/// The <see cref="IImsAkaAuthenticator"/> the Ims layer holds for the daemon's lifetime: it forwards to whatever
/// answers AKA now (the card's ISIM over <see cref="Uicc.AtUiccChannel"/>, reopened after a module reset, or the
/// configured soft ISIM).
/// </summary>
internal sealed class ModemAkaAuthenticator : IImsAkaAuthenticator
{
    private volatile Backend? _backend;

    public ImsIdentity Identity => _backend?.Identity
        ?? throw new InvalidOperationException("the modem is not ready: no IMS identities have been read yet");

    public bool HasIdentity => _backend is not null;

    public ValueTask<AkaResult> AuthenticateAsync(ReadOnlyMemory<byte> rand, ReadOnlyMemory<byte> autn, CancellationToken cancellationToken)
    {
        var backend = _backend ?? throw new InvalidOperationException("the modem is not ready: no ISIM is open");
        return backend.Aka is { } aka
            ? aka.AuthenticateAsync(rand, autn, cancellationToken)
            : throw new InvalidOperationException("no ISIM and no soft ISIM: identities were derived from the IMSI and AKA is not available");
    }

    public void Set(ImsIdentity identity, IImsAkaAuthenticator? aka) => _backend = new Backend(identity, aka);

    public void Clear() => _backend = null;

    private sealed record Backend(ImsIdentity Identity, IImsAkaAuthenticator? Aka);
}
