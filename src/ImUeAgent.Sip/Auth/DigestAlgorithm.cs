// SPDX-License-Identifier: MIT
namespace ImUeAgent.Sip.Auth;

/// <summary>Digest algorithms the client answers (RFC 3261 §22.4 / RFC 2617 MD5, RFC 7616 SHA-256, RFC 3310 AKAv1-MD5,
/// RFC 4169 AKAv2-MD5).</summary>
public enum DigestAlgorithm : byte
{
    Md5,
    Md5Sess,
    Sha256,
    Sha256Sess,
    AkaV1Md5,
    AkaV2Md5,
}

/// <summary>Algorithm tokens and properties.</summary>
public static class DigestAlgorithms
{
    /// <summary>Reads the algorithm directive; absent means MD5 (RFC 2617 §3.2.1). Tokens are case-insensitive.</summary>
    public static bool TryParse(string? token, out DigestAlgorithm algorithm)
    {
        algorithm = DigestAlgorithm.Md5;
        if (token is null || token.Equals("MD5", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        algorithm = token.ToUpperInvariant() switch
        {
            "MD5-SESS" => DigestAlgorithm.Md5Sess,
            "SHA-256" => DigestAlgorithm.Sha256,
            "SHA-256-SESS" => DigestAlgorithm.Sha256Sess,
            "AKAV1-MD5" => DigestAlgorithm.AkaV1Md5,
            "AKAV2-MD5" => DigestAlgorithm.AkaV2Md5,
            _ => (DigestAlgorithm)255,
        };
        return algorithm != (DigestAlgorithm)255;
    }

    public static string ToToken(this DigestAlgorithm algorithm) => algorithm switch
    {
        DigestAlgorithm.Md5 => "MD5",
        DigestAlgorithm.Md5Sess => "MD5-sess",
        DigestAlgorithm.Sha256 => "SHA-256",
        DigestAlgorithm.Sha256Sess => "SHA-256-sess",
        DigestAlgorithm.AkaV1Md5 => "AKAv1-MD5",
        DigestAlgorithm.AkaV2Md5 => "AKAv2-MD5",
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    /// <summary>True for the AKA algorithms, whose password comes from the ISIM (RFC 3310 §3.3).</summary>
    public static bool IsAka(this DigestAlgorithm algorithm) => algorithm is DigestAlgorithm.AkaV1Md5 or DigestAlgorithm.AkaV2Md5;

    /// <summary>True for the -sess variants (RFC 7616 §3.4.2: A1 includes nonce and cnonce).</summary>
    public static bool IsSession(this DigestAlgorithm algorithm) => algorithm is DigestAlgorithm.Md5Sess or DigestAlgorithm.Sha256Sess;

    /// <summary>True when H is SHA-256; every other algorithm hashes with MD5 (AKA included, RFC 3310 §3.1).</summary>
    public static bool UsesSha256(this DigestAlgorithm algorithm) => algorithm is DigestAlgorithm.Sha256 or DigestAlgorithm.Sha256Sess;

    /// <summary>Preference when several challenges could be answered: stronger first.</summary>
    internal static int Strength(this DigestAlgorithm algorithm) => algorithm switch
    {
        DigestAlgorithm.AkaV2Md5 => 6,
        DigestAlgorithm.AkaV1Md5 => 5,
        DigestAlgorithm.Sha256 => 4,
        DigestAlgorithm.Sha256Sess => 3,
        DigestAlgorithm.Md5 => 2,
        _ => 1,
    };
}
