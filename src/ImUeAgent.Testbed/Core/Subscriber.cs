// SPDX-License-Identifier: MIT
using System.Globalization;
using ImUeAgent.Sip.Message;
using ImUeAgent.Testbed.Modem;

namespace ImUeAgent.Testbed.Core;

/// <summary>How the S-CSCF challenges a subscriber (TS 33.203 §6.1; RFC 3310; RFC 4169; RFC 2617).</summary>
internal enum AuthenticationScheme
{
    /// <summary>IMS AKA, digest algorithm AKAv1-MD5 (RFC 3310): the password is RES.</summary>
    AkaV1,

    /// <summary>AKAv2-MD5 (RFC 4169): the password is base64(HMAC-MD5(RES‖IK‖CK, "http-digest-akav2-password")).</summary>
    AkaV2,

    /// <summary>Ordinary SIP digest with algorithm MD5 and a shared password (RFC 2617 / RFC 3261 §22).</summary>
    DigestMd5,
}

/// <summary>
/// One subscription in the HSS: the private identity, its implicit registration set of public identities (the first is
/// the default, TS 24.229 §5.4.1.2.2) and its credentials. K, OPc and the password are secrets: <see cref="ToString"/>
/// redacts them and nothing else prints them.
/// </summary>
internal sealed class Subscriber
{
    /// <summary>The card of `imue-testbed modem` without options: TS 35.208 test set 1, IMSI 001010123456789.</summary>
    public static Subscriber DefaultCard()
    {
        var card = new CardSettings();
        return new Subscriber
        {
            Impi = card.EffectiveImpi,
            Impus = card.EffectiveImpus,
            Scheme = AuthenticationScheme.AkaV1,
            K = card.K,
            Opc = card.Opc,
        };
    }

    public required string Impi { get; init; }

    /// <summary>Public identities, default first (sip: and tel: URIs as text).</summary>
    public required IReadOnlyList<string> Impus { get; init; }

    public AuthenticationScheme Scheme { get; init; } = AuthenticationScheme.AkaV1;

    public byte[] K { get; init; } = [];

    public byte[] Opc { get; init; } = [];

    /// <summary>AMF of the vectors (TS 33.102 §6.3.2; operator-specific, the card does not check it).</summary>
    public ushort Amf { get; init; } = 0x8000;

    /// <summary>SQN_HE at start: the highest sequence number the HSS has issued (TS 33.102 Annex C.1.1).</summary>
    public ulong Sqn { get; init; }

    /// <summary>Digest password for <see cref="AuthenticationScheme.DigestMd5"/>.</summary>
    public string? Password { get; init; }

    public bool IsAka => Scheme is AuthenticationScheme.AkaV1 or AuthenticationScheme.AkaV2;

    /// <summary>The digest algorithm token of the challenge.</summary>
    public string AlgorithmToken => Scheme switch
    {
        AuthenticationScheme.AkaV1 => "AKAv1-MD5",
        AuthenticationScheme.AkaV2 => "AKAv2-MD5",
        _ => "MD5",
    };

    /// <summary>Checks lengths and URIs; returns the first problem naming the field, or null.</summary>
    public string? Validate()
    {
        if (string.IsNullOrWhiteSpace(Impi) || Impi.Length > 255)
        {
            return "impi: 1 to 255 characters";
        }

        if (Impus.Count == 0)
        {
            return $"impu of {Impi}: at least one public identity";
        }

        foreach (var impu in Impus)
        {
            if (!SipUri.TryParse(impu, out var uri) || uri.Scheme is not (SipUriScheme.Sip or SipUriScheme.Sips or SipUriScheme.Tel))
            {
                return $"impu '{impu}' of {Impi}: not a sip: or tel: URI";
            }
        }

        if (IsAka && (K.Length != 16 || Opc.Length != 16))
        {
            return $"k/opc of {Impi}: 16 bytes each (32 hex digits)";
        }

        if (Scheme == AuthenticationScheme.DigestMd5 && string.IsNullOrEmpty(Password))
        {
            return $"password of {Impi}: required for digest subscribers";
        }

        return Sqn > Uicc.Aka.Milenage.MaxSqn ? $"sqn of {Impi}: 48 bits" : null;
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"Subscriber({Impi}, {Scheme}, {Impus.Count} IMPU, credentials redacted)");
}
