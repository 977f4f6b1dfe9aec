// SPDX-License-Identifier: MIT
using System.Security.Cryptography;
using System.Text;

namespace ImUeAgent.Testbed.Core;

/// <summary>
/// HTTP digest as the S-CSCF verifies it (RFC 2617 §3.2.2, RFC 7616 §3.4.1 with MD5; RFC 3261 §22.4). The password
/// is bytes, not text: for AKAv1-MD5 it is RES as received from the card, which may contain 0x00 (RFC 3310 §3.1,
/// NOTES.md). Pure functions; no secret leaves them except as a hash.
/// </summary>
internal static class Digest
{
    /// <summary>
    /// request-digest = KD(H(A1), nonce ":" nc ":" cnonce ":" qop ":" H(A2)) with qop, else KD(H(A1), nonce ":" H(A2));
    /// A1 = username ":" realm ":" password; A2 = method ":" digest-uri (qop=auth). Lower-case hex.
    /// </summary>
    public static string Response(string username, string realm, ReadOnlySpan<byte> password, string method, string digestUri,
        string nonce, string? qop, string? nonceCount, string? cnonce)
    {
        Span<byte> ha1 = stackalloc byte[32];
        Span<byte> ha2 = stackalloc byte[32];
        var a1 = new List<byte>(username.Length + realm.Length + password.Length + 2);
        a1.AddRange(Encoding.UTF8.GetBytes(username));
        a1.Add((byte)':');
        a1.AddRange(Encoding.UTF8.GetBytes(realm));
        a1.Add((byte)':');
        a1.AddRange(password.ToArray());
        HexMd5([.. a1], ha1);
        HexMd5(Encoding.UTF8.GetBytes(method + ":" + digestUri), ha2);
        var kd = qop is null
            ? $"{Encoding.ASCII.GetString(ha1)}:{nonce}:{Encoding.ASCII.GetString(ha2)}"
            : $"{Encoding.ASCII.GetString(ha1)}:{nonce}:{nonceCount}:{cnonce}:{qop}:{Encoding.ASCII.GetString(ha2)}";
        Span<byte> result = stackalloc byte[32];
        HexMd5(Encoding.UTF8.GetBytes(kd), result);
        return Encoding.ASCII.GetString(result);
    }

    // RFC 2617 and RFC 4169 define digest over MD5 and HMAC-MD5: the protocol's choice, not this code's.
#pragma warning disable CA5351
    /// <summary>RFC 4169 §3: AKAv2 password = base64(PRF(RES ‖ IK ‖ CK, "http-digest-akav2-password")), PRF = HMAC-MD5.
    /// The base64 text's bytes are the digest password.</summary>
    public static byte[] AkaV2Password(ReadOnlySpan<byte> res, ReadOnlySpan<byte> ik, ReadOnlySpan<byte> ck)
    {
        var key = new byte[res.Length + ik.Length + ck.Length];
        res.CopyTo(key);
        ik.CopyTo(key.AsSpan(res.Length));
        ck.CopyTo(key.AsSpan(res.Length + ik.Length));
        Span<byte> mac = stackalloc byte[HMACMD5.HashSizeInBytes];
        HMACMD5.HashData(key, "http-digest-akav2-password"u8, mac);
        CryptographicOperations.ZeroMemory(key);
        return Encoding.ASCII.GetBytes(Convert.ToBase64String(mac));
    }

    /// <summary>Constant-time comparison of two hex digests, case-insensitive (RFC 2617: LHEX, but be lenient).</summary>
    public static bool Matches(string expected, string? received)
    {
        if (received is null || received.Length != expected.Length)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(received.ToLowerInvariant()));
    }

    private static void HexMd5(ReadOnlySpan<byte> data, Span<byte> hex)
    {
        Span<byte> hash = stackalloc byte[MD5.HashSizeInBytes];
        MD5.HashData(data, hash);
        const string digits = "0123456789abcdef";
        for (var i = 0; i < hash.Length; i++)
        {
            hex[2 * i] = (byte)digits[hash[i] >> 4];
            hex[(2 * i) + 1] = (byte)digits[hash[i] & 0xF];
        }
    }
#pragma warning restore CA5351
}
