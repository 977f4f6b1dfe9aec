// SPDX-License-Identifier: MIT
using System.Security.Cryptography;
using System.Text;

namespace ImUeAgent.Im.Content;

/// <summary>The notifications a sender asks for in imdn.Disposition-Notification (RFC 5438 §6.2).</summary>
[Flags]
public enum DispositionNotification
{
    None = 0,
    PositiveDelivery = 1,
    NegativeDelivery = 2,
    Processing = 4,
    Display = 8,
}

/// <summary>RFC 5438 constants and the IMDN request header helpers.</summary>
public static class Imdn
{
    /// <summary>The CPIM namespace of the IMDN headers: "NS: imdn &lt;urn:ietf:params:imdn&gt;" (RFC 5438 §6).</summary>
    public const string CpimNamespace = "urn:ietf:params:imdn";

    /// <summary>The prefix the RFC's examples use; any prefix bound to <see cref="CpimNamespace"/> is accepted.</summary>
    public const string DefaultPrefix = "imdn";

    /// <summary>XML namespace of message/imdn+xml (RFC 5438 §7.2).</summary>
    public const string XmlNamespace = "urn:ietf:params:xml:ns:imdn";

    /// <summary>Media type of a notification body (RFC 5438 §7.2).</summary>
    public const string ContentType = "message/imdn+xml";

    /// <summary>Content-Disposition of a notification inside CPIM (RFC 5438 §7.1.1).</summary>
    public const string NotificationDisposition = "notification";

    public const string MessageIdHeader = "Message-ID";

    public const string DispositionNotificationHeader = "Disposition-Notification";

    private const string MessageIdAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>A new imdn.Message-ID: 22 characters from a CSPRNG over [0-9A-Za-z], about 131 bits (RFC 5438 §6.3:
    /// globally unique together with the From URI and at least 32 bits of randomness; letters and digits only, so it
    /// is safe in CPIM headers, XML and file names).</summary>
    public static string NewMessageId() => RandomNumberGenerator.GetString(MessageIdAlphabet, 22);

    /// <summary>Whether a received Message-ID is usable: RFC 5438 §6.3 Message-ID-value = 1*(alphanum / "-" / "." /
    /// "!" / "%" / "*" / "_" / "+" / "'" / "~"), capped at 256 characters here.</summary>
    public static bool IsValidMessageId(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 256)
        {
            return false;
        }

        foreach (char c in value)
        {
            if (!char.IsAsciiLetterOrDigit(c) && "-.!%*_+'~".IndexOf(c, StringComparison.Ordinal) < 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Parses "positive-delivery, display" (RFC 5438 §6.2: comma-separated, case-insensitive). Unknown
    /// values are ignored (RFC 5438 §6.2: extension values); returns false on an empty element.</summary>
    public static bool TryParseDisposition(string? value, out DispositionNotification result)
    {
        result = DispositionNotification.None;
        if (value is null)
        {
            return false;
        }

        foreach (string item in value.Split(',', StringSplitOptions.TrimEntries))
        {
            if (item.Length == 0)
            {
                return false;
            }

            result |= item.ToLowerInvariant() switch
            {
                "positive-delivery" => DispositionNotification.PositiveDelivery,
                "negative-delivery" => DispositionNotification.NegativeDelivery,
                "processing" => DispositionNotification.Processing,
                "display" => DispositionNotification.Display,
                _ => DispositionNotification.None,
            };
        }

        return true;
    }

    /// <summary>"positive-delivery, negative-delivery, processing, display" for the flags set, in that order.</summary>
    public static string FormatDisposition(DispositionNotification value)
    {
        if (value == DispositionNotification.None)
        {
            throw new ArgumentOutOfRangeException(nameof(value), "At least one notification must be requested");
        }

        var sb = new StringBuilder();
        Append(sb, value, DispositionNotification.PositiveDelivery, "positive-delivery");
        Append(sb, value, DispositionNotification.NegativeDelivery, "negative-delivery");
        Append(sb, value, DispositionNotification.Processing, "processing");
        Append(sb, value, DispositionNotification.Display, "display");
        return sb.ToString();
    }

    private static void Append(StringBuilder sb, DispositionNotification value, DispositionNotification flag, string text)
    {
        if ((value & flag) != 0)
        {
            if (sb.Length > 0)
            {
                sb.Append(", ");
            }

            sb.Append(text);
        }
    }
}
