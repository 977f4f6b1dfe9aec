// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Text;
using System.Xml;

namespace ImUeAgent.Testbed.Im;

/// <summary>RFC 4575 §5.7.2 &lt;status&gt; of an endpoint (the values the focus uses).</summary>
internal enum ConferenceEndpointStatus
{
    /// <summary>The focus sent an INVITE and waits for the answer ("dialing-out").</summary>
    DialingOut,

    /// <summary>The user sent an INVITE to the conference URI and is being admitted ("dialing-in").</summary>
    DialingIn,

    /// <summary>In the conference ("connected").</summary>
    Connected,

    /// <summary>Left, refused, or never reached ("disconnected").</summary>
    Disconnected,
}

/// <summary>RFC 4575 §5.7.3 &lt;joining-method&gt;.</summary>
internal enum ConferenceJoiningMethod
{
    /// <summary>The endpoint sent the INVITE ("dialed-in"): the originator at the factory, a re-join.</summary>
    DialedIn,

    /// <summary>The focus sent the INVITE ("dialed-out"): the URI-list members (RFC 5366 §5).</summary>
    DialedOut,
}

/// <summary>RFC 4575 §5.7.5 &lt;disconnection-method&gt;.</summary>
internal enum ConferenceDisconnectionMethod
{
    /// <summary>Sent BYE ("departed").</summary>
    Departed,

    /// <summary>Removed by the focus, e.g. when the conference is released ("booted").</summary>
    Booted,

    /// <summary>The INVITE failed or the media never came up ("failed").</summary>
    Failed,

    /// <summary>The INVITE got 486 or 600 ("busy").</summary>
    Busy,
}

/// <summary>One &lt;user&gt; of a conference-info document with its single &lt;endpoint&gt; (a SIP dialog) and, while
/// connected, its MSRP &lt;media&gt;.</summary>
internal sealed record ConferenceUserInfo
{
    public required string Entity { get; init; }

    public string? DisplayText { get; init; }

    /// <summary>The endpoint's URI (its Contact); null before one is known (still dialing out).</summary>
    public string? EndpointEntity { get; init; }

    public required ConferenceEndpointStatus Status { get; init; }

    public required ConferenceJoiningMethod JoiningMethod { get; init; }

    public DateTimeOffset? JoinedAt { get; init; }

    /// <summary>Who asked for the dial-out (the inviting user), for &lt;joining-info&gt;&lt;by&gt;.</summary>
    public string? JoinedBy { get; init; }

    public ConferenceDisconnectionMethod? DisconnectionMethod { get; init; }

    public DateTimeOffset? DisconnectedAt { get; init; }

    public string? DisconnectionReason { get; init; }

    /// <summary>&lt;media id&gt; of the endpoint's message stream (unique in the conference).</summary>
    public required int MediaId { get; init; }
}

/// <summary>A conference-info document (RFC 4575 §5): the whole roster (full) or only the users that changed
/// (partial, each of them as a full &lt;user&gt; that replaces the subscriber's copy, §4.6).</summary>
internal sealed record ConferenceInfoDocument
{
    public required string Entity { get; init; }

    public required bool Full { get; init; }

    public required uint Version { get; init; }

    public string? Subject { get; init; }

    /// <summary>&lt;user-count&gt;: users in the conference (connected).</summary>
    public required int UserCount { get; init; }

    public required bool Active { get; init; }

    public required IReadOnlyList<ConferenceUserInfo> Users { get; init; }
}

/// <summary>Writes application/conference-info+xml (RFC 4575 §5, element order of its schema §5.9).</summary>
internal static class ConferenceInfo
{
    public const string Namespace = "urn:ietf:params:xml:ns:conference-info";

    public const string MediaSubtype = "conference-info+xml";

    public static string StatusToken(ConferenceEndpointStatus status) => status switch
    {
        ConferenceEndpointStatus.DialingOut => "dialing-out",
        ConferenceEndpointStatus.DialingIn => "dialing-in",
        ConferenceEndpointStatus.Connected => "connected",
        _ => "disconnected",
    };

    public static string JoiningToken(ConferenceJoiningMethod method) => method == ConferenceJoiningMethod.DialedIn ? "dialed-in" : "dialed-out";

    public static string DisconnectionToken(ConferenceDisconnectionMethod method) => method switch
    {
        ConferenceDisconnectionMethod.Departed => "departed",
        ConferenceDisconnectionMethod.Booted => "booted",
        ConferenceDisconnectionMethod.Busy => "busy",
        _ => "failed",
    };

    /// <summary>RFC 4575 uses xs:dateTime; UTC with seconds.</summary>
    public static string Timestamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static byte[] Build(ConferenceInfoDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var settings = new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true };
        using var stream = new MemoryStream();
        using (var xml = XmlWriter.Create(stream, settings))
        {
            xml.WriteStartDocument();
            xml.WriteStartElement("conference-info", Namespace);
            xml.WriteAttributeString("entity", document.Entity);
            xml.WriteAttributeString("state", document.Full ? "full" : "partial");
            xml.WriteAttributeString("version", document.Version.ToString(CultureInfo.InvariantCulture));
            if (document.Full && document.Subject is { } subject)
            {
                xml.WriteStartElement("conference-description", Namespace);
                xml.WriteElementString("subject", Namespace, subject);
                xml.WriteEndElement();
            }

            // §5.5: conference-state is small; it goes whole in every document so user-count always matches.
            xml.WriteStartElement("conference-state", Namespace);
            xml.WriteElementString("user-count", Namespace, document.UserCount.ToString(CultureInfo.InvariantCulture));
            xml.WriteElementString("active", Namespace, document.Active ? "true" : "false");
            xml.WriteElementString("locked", Namespace, "false");
            xml.WriteEndElement();

            xml.WriteStartElement("users", Namespace);
            if (!document.Full)
            {
                xml.WriteAttributeString("state", "partial");
            }

            foreach (var user in document.Users)
            {
                WriteUser(xml, user);
            }

            xml.WriteEndElement();
            xml.WriteEndElement();
            xml.WriteEndDocument();
        }

        return stream.ToArray();
    }

    private static void WriteUser(XmlWriter xml, ConferenceUserInfo user)
    {
        xml.WriteStartElement("user", Namespace);
        xml.WriteAttributeString("entity", user.Entity);
        xml.WriteAttributeString("state", "full");
        if (user.DisplayText is { } display)
        {
            xml.WriteElementString("display-text", Namespace, display);
        }

        // §5.7: an endpoint needs an entity; before the answer names a Contact, the user's URI stands for it.
        xml.WriteStartElement("endpoint", Namespace);
        xml.WriteAttributeString("entity", user.EndpointEntity ?? user.Entity);
        xml.WriteElementString("status", Namespace, StatusToken(user.Status));
        xml.WriteElementString("joining-method", Namespace, JoiningToken(user.JoiningMethod));
        if (user.JoinedAt is { } joined)
        {
            xml.WriteStartElement("joining-info", Namespace);
            xml.WriteElementString("when", Namespace, Timestamp(joined));
            if (user.JoinedBy is { } by)
            {
                xml.WriteElementString("by", Namespace, by);
            }

            xml.WriteEndElement();
        }

        if (user.DisconnectionMethod is { } method)
        {
            xml.WriteElementString("disconnection-method", Namespace, DisconnectionToken(method));
            xml.WriteStartElement("disconnection-info", Namespace);
            if (user.DisconnectedAt is { } when)
            {
                xml.WriteElementString("when", Namespace, Timestamp(when));
            }

            if (user.DisconnectionReason is { } reason)
            {
                xml.WriteElementString("reason", Namespace, reason);
            }

            xml.WriteEndElement();
        }

        if (user.Status == ConferenceEndpointStatus.Connected)
        {
            xml.WriteStartElement("media", Namespace);
            xml.WriteAttributeString("id", user.MediaId.ToString(CultureInfo.InvariantCulture));
            xml.WriteElementString("type", Namespace, "message");
            xml.WriteElementString("status", Namespace, "sendrecv");
            xml.WriteEndElement();
        }

        xml.WriteEndElement();
        xml.WriteEndElement();
    }
}

/// <summary>message/cpim (RFC 3862) around a message a participant sent unwrapped, so the others see who sent it
/// (RFC 4975 §7.1 / the OMA IM group session: the sender's identity travels in the CPIM From).</summary>
internal static class CpimWrapper
{
    public const string ContentType = "message/cpim";

    public static byte[] Wrap(string fromUri, string? fromDisplayName, string toUri, DateTimeOffset dateTime, string contentType, ReadOnlySpan<byte> body)
    {
        var head = new StringBuilder();
        head.Append("From: ");
        if (!string.IsNullOrWhiteSpace(fromDisplayName))
        {
            // RFC 3862 §3.3.3 Formal-name as a quoted string; CR/LF could end the header, so they go.
            head.Append('"').Append(QuotedText(fromDisplayName)).Append("\" ");
        }

        head.Append('<').Append(fromUri).Append(">\r\n");
        head.Append("To: <").Append(toUri).Append(">\r\n");
        head.Append("DateTime: ").Append(dateTime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)).Append("\r\n");
        head.Append("\r\n");
        head.Append("Content-Type: ").Append(contentType.ReplaceLineEndings(" ")).Append("\r\n");
        head.Append("\r\n");
        var headBytes = Encoding.UTF8.GetBytes(head.ToString());
        var wrapped = new byte[headBytes.Length + body.Length];
        headBytes.CopyTo(wrapped, 0);
        body.CopyTo(wrapped.AsSpan(headBytes.Length));
        return wrapped;
    }

    /// <summary>True when <paramref name="acceptTypes"/> (an a=accept-types list) takes <paramref name="contentType"/>.</summary>
    public static bool Accepts(IReadOnlyList<string> acceptTypes, string contentType)
    {
        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        var type = (semicolon < 0 ? contentType : contentType[..semicolon]).Trim();
        foreach (var accepted in acceptTypes)
        {
            if (accepted == "*" || type.Equals(accepted, StringComparison.OrdinalIgnoreCase)
                || (accepted.EndsWith("/*", StringComparison.Ordinal) && type.StartsWith(accepted[..^1], StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return false;
    }

    private static string QuotedText(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c is '\r' or '\n')
            {
                builder.Append(' ');
            }
            else
            {
                if (c is '"' or '\\')
                {
                    builder.Append('\\');
                }

                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
