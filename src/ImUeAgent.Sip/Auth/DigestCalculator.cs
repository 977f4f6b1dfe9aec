// SPDX-License-Identifier: MIT
using System.Security.Cryptography;
using System.Text;

namespace ImUeAgent.Sip.Auth;

/// <summary>The inputs of one digest computation. The password is bytes: for AKAv1 it is RES itself, which may contain
/// 0x00 (RFC 3310 §3.3), so it never goes through a string.</summary>
public readonly ref struct DigestInput
{
    public DigestAlgorithm Algorithm { get; init; }

    public ReadOnlySpan<byte> Username { get; init; }

    public ReadOnlySpan<byte> Realm { get; init; }

    public ReadOnlySpan<byte> Password { get; init; }

    public ReadOnlySpan<byte> Method { get; init; }

    public ReadOnlySpan<byte> DigestUri { get; init; }

    public ReadOnlySpan<byte> Nonce { get; init; }

    /// <summary>nc as sent: eight lower-case hex digits. Empty without qop.</summary>
    public ReadOnlySpan<byte> NonceCount { get; init; }

    public ReadOnlySpan<byte> CNonce { get; init; }

    /// <summary>auth, auth-int or empty (RFC 2069 compatibility: no qop).</summary>
    public ReadOnlySpan<byte> Qop { get; init; }

    /// <summary>The entity body, hashed into A2 for qop=auth-int (RFC 7616 §3.4.3).</summary>
    public ReadOnlySpan<byte> Body { get; init; }
}

/// <summary>The digest response (RFC 7616 §3.4.1, RFC 2617 §3.2.2): pure functions over bytes.</summary>
public static class DigestCalculator
{
    /// <summary>Computes request-digest as lower-case hex (32 characters for MD5, 64 for SHA-256).</summary>
    public static string ComputeResponse(in DigestInput input)
    {
        bool sha = input.Algorithm.UsesSha256();
        int hexLength = sha ? 64 : 32;
        Span<byte> ha1 = stackalloc byte[hexLength];
        Span<byte> ha2 = stackalloc byte[hexLength];
        Span<byte> response = stackalloc byte[hexLength];

        // A1 = unq(username) ":" unq(realm) ":" passwd
        using (IncrementalHash h = Create(sha))
        {
            h.AppendData(input.Username);
            h.AppendData(":"u8);
            h.AppendData(input.Realm);
            h.AppendData(":"u8);
            h.AppendData(input.Password);
            FinishHex(h, ha1);
        }

        if (input.Algorithm.IsSession())
        {
            // -sess: A1 = H(user:realm:passwd) ":" unq(nonce) ":" unq(cnonce)
            using IncrementalHash h = Create(sha);
            h.AppendData(ha1);
            h.AppendData(":"u8);
            h.AppendData(input.Nonce);
            h.AppendData(":"u8);
            h.AppendData(input.CNonce);
            FinishHex(h, ha1);
        }

        // A2 = Method ":" request-uri [":" H(entity-body)]
        using (IncrementalHash h = Create(sha))
        {
            h.AppendData(input.Method);
            h.AppendData(":"u8);
            h.AppendData(input.DigestUri);
            if (input.Qop.SequenceEqual("auth-int"u8))
            {
                Span<byte> bodyHash = stackalloc byte[hexLength];
                using IncrementalHash b = Create(sha);
                b.AppendData(input.Body);
                FinishHex(b, bodyHash);
                h.AppendData(":"u8);
                h.AppendData(bodyHash);
            }

            FinishHex(h, ha2);
        }

        using (IncrementalHash h = Create(sha))
        {
            h.AppendData(ha1);
            h.AppendData(":"u8);
            h.AppendData(input.Nonce);
            h.AppendData(":"u8);
            if (!input.Qop.IsEmpty)
            {
                h.AppendData(input.NonceCount);
                h.AppendData(":"u8);
                h.AppendData(input.CNonce);
                h.AppendData(":"u8);
                h.AppendData(input.Qop);
                h.AppendData(":"u8);
            }

            h.AppendData(ha2);
            FinishHex(h, response);
        }

        CryptographicOperations.ZeroMemory(ha1);
        return Encoding.ASCII.GetString(response);
    }

    /// <summary>RFC 4169 §3: the AKAv2 password is base64(PRF(RES ‖ IK ‖ CK, "http-digest-akav2-password")) with
    /// HMAC-MD5 as PRF; the base64 text's bytes are the digest password. Returns the number of bytes written (24).</summary>
    public static int AkaV2Password(ReadOnlySpan<byte> res, ReadOnlySpan<byte> ik, ReadOnlySpan<byte> ck, Span<byte> password)
    {
        Span<byte> key = stackalloc byte[res.Length + ik.Length + ck.Length];
        res.CopyTo(key);
        ik.CopyTo(key[res.Length..]);
        ck.CopyTo(key[(res.Length + ik.Length)..]);
        Span<byte> mac = stackalloc byte[HMACMD5.HashSizeInBytes];
#pragma warning disable CA5351 // RFC 4169 §3 fixes HMAC-MD5 as the PRF; the algorithm is the protocol's, not a choice.
        HMACMD5.HashData(key, "http-digest-akav2-password"u8, mac);
#pragma warning restore CA5351
        CryptographicOperations.ZeroMemory(key);
        bool ok = System.Buffers.Text.Base64.EncodeToUtf8(mac, password, out _, out int written) == System.Buffers.OperationStatus.Done;
        CryptographicOperations.ZeroMemory(mac);
        return ok ? written : throw new ArgumentException("Destination too small (24 bytes needed)", nameof(password));
    }

    private static IncrementalHash Create(bool sha) =>
        IncrementalHash.CreateHash(sha ? HashAlgorithmName.SHA256 : HashAlgorithmName.MD5);

    private static void FinishHex(IncrementalHash h, Span<byte> hex)
    {
        Span<byte> digest = stackalloc byte[hex.Length / 2];
        h.GetHashAndReset(digest);
        for (int i = 0; i < digest.Length; i++)
        {
            hex[2 * i] = HexDigit(digest[i] >> 4);
            hex[(2 * i) + 1] = HexDigit(digest[i] & 0xF);
        }
    }

    private static byte HexDigit(int v) => (byte)(v < 10 ? '0' + v : 'a' + v - 10);
}
