// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ImUeAgent.Msrp.Framing;
using ImUeAgent.Msrp.Sessions;

namespace ImUeAgent.Msrp.Relay;

/// <summary>What a relay granted (RFC 4976 §5.1): the Use-Path to advertise and how long it holds.</summary>
public sealed record MsrpRelayGrant(IReadOnlyList<MsrpUri> UsePath, TimeSpan? Expires);

/// <summary>Relay credentials. The password never appears in ToString or logs.</summary>
public sealed class MsrpRelayCredentials(string username, string password)
{
    public string Username { get; } = username;

    internal string Password { get; } = password;

    public override string ToString() => $"{Username} (password hidden)";
}

/// <summary>
/// The client side of RFC 4976 §5: AUTH to this side's relay, answer the 401 digest challenge (RFC 2617 MD5,
/// qop=auth, method "AUTH", digest-uri the relay URI), and take the Use-Path from the 200.
/// </summary>
public static class MsrpRelayClient
{
    public static async Task<MsrpRelayGrant> AuthenticateAsync(MsrpConnection connection, MsrpUri relay, MsrpUri local,
        MsrpRelayCredentials credentials, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(relay);
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(credentials);
        string relayText = relay.ToString();
        string localText = local.ToString();
        var first = await connection.SendRequestAsync("AUTH", relayText, localText, [], timeout, cancellationToken).ConfigureAwait(false);
        if (first.StatusCode == MsrpStatusCodes.Ok)
        {
            return Grant(first);
        }

        if (first.StatusCode != MsrpStatusCodes.Unauthorized || first.Header("WWW-Authenticate") is not string challengeText)
        {
            throw new MsrpSessionException(first.StatusCode, $"relay refused AUTH: {first.StatusCode}");
        }

        var challenge = DigestChallenge.Parse(challengeText)
            ?? throw new MsrpSessionException(first.StatusCode, "relay sent an unusable digest challenge");
        string authorization = DigestChallenge.Answer(challenge, credentials, relayText, CreateCnonce());
        var second = await connection.SendRequestAsync("AUTH", relayText, localText, [new("Authorization", authorization)], timeout, cancellationToken).ConfigureAwait(false);
        if (second.StatusCode != MsrpStatusCodes.Ok)
        {
            throw new MsrpSessionException(second.StatusCode, $"relay refused credentials: {second.StatusCode}");
        }

        return Grant(second);
    }

    private static MsrpRelayGrant Grant(MsrpResponseInfo response)
    {
        var usePath = response.Header("Use-Path");
        if (usePath is null || !MsrpUri.TryParsePath(usePath, out var path, out _))
        {
            throw new MsrpSessionException(response.StatusCode, "relay 200 without a valid Use-Path");
        }

        TimeSpan? expires = int.TryParse(response.Header("Expires"), NumberStyles.None, CultureInfo.InvariantCulture, out int seconds)
            ? TimeSpan.FromSeconds(seconds)
            : null;
        return new MsrpRelayGrant(path, expires);
    }

    private static string CreateCnonce()
    {
        Span<byte> bytes = stackalloc byte[12];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToHexStringLower(bytes);
    }
}

/// <summary>A parsed <c>WWW-Authenticate: Digest …</c> challenge and the RFC 2617 answer to it.</summary>
internal sealed record DigestChallenge(string Realm, string Nonce, string? Opaque, string? Algorithm, bool QopAuth)
{
    public static DigestChallenge? Parse(string header)
    {
        var text = header.AsSpan().Trim();
        if (!text.StartsWith("Digest ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var rest = text[7..];
        while (!rest.IsEmpty)
        {
            rest = rest.TrimStart(" ,");
            int eq = rest.IndexOf('=');
            if (eq <= 0)
            {
                break;
            }

            string name = rest[..eq].Trim().ToString();
            rest = rest[(eq + 1)..].TrimStart();
            string value;
            if (rest.StartsWith('"'))
            {
                int close = rest[1..].IndexOf('"');
                if (close < 0)
                {
                    return null;
                }

                value = rest.Slice(1, close).ToString();
                rest = rest[(close + 2)..];
            }
            else
            {
                int comma = rest.IndexOf(',');
                value = (comma < 0 ? rest : rest[..comma]).Trim().ToString();
                rest = comma < 0 ? default : rest[comma..];
            }

            parameters[name] = value;
        }

        if (!parameters.TryGetValue("realm", out var realm) || !parameters.TryGetValue("nonce", out var nonce))
        {
            return null;
        }

        parameters.TryGetValue("algorithm", out var algorithm);
        if (algorithm is not null && !algorithm.Equals("MD5", StringComparison.OrdinalIgnoreCase))
        {
            return null; // RFC 4976 §5.1 uses MD5 digest
        }

        bool qopAuth = parameters.TryGetValue("qop", out var qop) && qop.Split(',').Any(q => q.Trim().Equals("auth", StringComparison.OrdinalIgnoreCase));
        parameters.TryGetValue("opaque", out var opaque);
        return new DigestChallenge(realm, nonce, opaque, algorithm, qopAuth);
    }

    public static string Answer(DigestChallenge challenge, MsrpRelayCredentials credentials, string digestUri, string cnonce, string method = "AUTH")
    {
        const string nc = "00000001";
        string ha1 = Md5Hex($"{credentials.Username}:{challenge.Realm}:{credentials.Password}");
        string ha2 = Md5Hex($"{method}:{digestUri}");
        string response = challenge.QopAuth
            ? Md5Hex($"{ha1}:{challenge.Nonce}:{nc}:{cnonce}:auth:{ha2}")
            : Md5Hex($"{ha1}:{challenge.Nonce}:{ha2}");
        var sb = new StringBuilder(256);
        sb.Append(CultureInfo.InvariantCulture, $"Digest username=\"{credentials.Username}\", realm=\"{challenge.Realm}\", nonce=\"{challenge.Nonce}\", uri=\"{digestUri}\", response=\"{response}\"");
        if (challenge.QopAuth)
        {
            sb.Append(CultureInfo.InvariantCulture, $", qop=auth, nc={nc}, cnonce=\"{cnonce}\"");
        }

        sb.Append(", algorithm=MD5");
        if (challenge.Opaque is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $", opaque=\"{challenge.Opaque}\"");
        }

        return sb.ToString();
    }

    internal static string Md5Hex(string text)
    {
        Span<byte> hash = stackalloc byte[16];
#pragma warning disable CA5351 // RFC 4976 §5.1 / RFC 2617: MSRP relay digest is MD5 by definition; interop, not our choice of primitive.
        MD5.HashData(Encoding.UTF8.GetBytes(text), hash);
#pragma warning restore CA5351
        return Convert.ToHexStringLower(hash);
    }
}
