// SPDX-License-Identifier: MIT
using System.Security.Cryptography;
using System.Text;

namespace ImUeAgent.Sip.Auth;

/// <summary>What the client answers challenges with, for one realm (or any realm when <see cref="Realm"/> is null).</summary>
public abstract class SipCredentials
{
    private protected SipCredentials(string username, string? realm)
    {
        ArgumentException.ThrowIfNullOrEmpty(username);
        Username = username;
        Realm = realm;
    }

    /// <summary>The digest username (for IMS AKA: the IMPI, RFC 3310 §3.3).</summary>
    public string Username { get; }

    /// <summary>The realm these credentials are for; null answers any realm.</summary>
    public string? Realm { get; }

    internal bool Matches(string realm) => Realm is null || string.Equals(Realm, realm, StringComparison.Ordinal);

    internal abstract bool Supports(DigestAlgorithm algorithm);

    /// <summary>Username and realm only: secrets stay out of logs.</summary>
    public override string ToString() => GetType().Name + " for realm " + (Realm ?? "*");
}

/// <summary>A shared password for MD5, MD5-sess, SHA-256 and SHA-256-sess digest (RFC 7616).</summary>
public sealed class DigestPasswordCredentials : SipCredentials
{
    private readonly byte[] _password;

    public DigestPasswordCredentials(string username, string password, string? realm = null)
        : base(username, realm)
    {
        ArgumentNullException.ThrowIfNull(password);
        _password = Encoding.UTF8.GetBytes(password);
    }

    internal ReadOnlySpan<byte> Password => _password;

    internal override bool Supports(DigestAlgorithm algorithm) => !algorithm.IsAka();
}

/// <summary>IMS AKA credentials: the IMPI and the card that answers AKAv1-MD5 / AKAv2-MD5 challenges (RFC 3310,
/// RFC 4169).</summary>
public sealed class AkaCredentials : SipCredentials
{
    public AkaCredentials(string impi, IAkaResponder responder, string? realm = null)
        : base(impi, realm)
    {
        Responder = responder ?? throw new ArgumentNullException(nameof(responder));
    }

    public IAkaResponder Responder { get; }

    internal override bool Supports(DigestAlgorithm algorithm) => algorithm.IsAka();
}

/// <summary>Helpers shared by the authenticator.</summary>
internal static class DigestSecrets
{
    public static void Clear(byte[]? secret)
    {
        if (secret is not null)
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }
}
