// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Text;
using ImUeAgent.Msrp.Sessions;

namespace ImUeAgent.Msrp.Sdp;

/// <summary>Why an SDP body was rejected.</summary>
public enum SdpError
{
    None = 0,
    TooLarge,
    BadLine,
    MissingVersion,
    BadVersion,
    MissingOrigin,
    MissingSessionName,
    BadConnection,
    BadMedia,
    BadPort,
    NoMsrpMedia,
    MissingPath,
    BadPath,
    BadSetup,
    BadMaxSize,
    MissingConnection,
}

/// <summary>A rejected SDP body: the closed reason and the 1-based line where it was found.</summary>
public sealed class SdpFormatException : FormatException
{
    public SdpFormatException(SdpError error, int line)
        : base($"SDP rejected: {error} at line {line}")
    {
        Error = error;
        Line = line;
    }

    public SdpFormatException()
    {
    }

    public SdpFormatException(string message)
        : base(message)
    {
    }

    public SdpFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public SdpError Error { get; }

    public int Line { get; }
}

/// <summary>c= line (RFC 4566 §5.7).</summary>
public sealed record SdpConnection(string NetworkType, string AddressType, string Address)
{
    public override string ToString() => $"{NetworkType} {AddressType} {Address}";
}

/// <summary>One m= section with its c= and a= lines.</summary>
public sealed class SdpMediaDescription
{
    public required string Media { get; init; }

    public required int Port { get; init; }

    public required string Protocol { get; init; }

    public required IReadOnlyList<string> Formats { get; init; }

    public SdpConnection? Connection { get; set; }

    public List<KeyValuePair<string, string?>> Attributes { get; } = [];

    public string? Attribute(string name) => Attributes.FirstOrDefault(a => a.Key == name).Value;

    public bool HasAttribute(string name) => Attributes.Any(a => a.Key == name);
}

/// <summary>
/// The subset of SDP (RFC 4566) MSRP needs: v, o, s, c, t, m and a lines; other lines are kept as attributes of
/// nothing and ignored. Strict on structure, lenient on order of a= lines. Bounded: 16 KiB, 256 lines.
/// </summary>
public sealed class SdpSessionDescription
{
    public const int MaxLength = 16 * 1024;

    public string Origin { get; set; } = "- 0 0 IN IP4 0.0.0.0";

    public string SessionName { get; set; } = "-";

    public SdpConnection? Connection { get; set; }

    public string Timing { get; set; } = "0 0";

    public List<KeyValuePair<string, string?>> Attributes { get; } = [];

    public List<SdpMediaDescription> Media { get; } = [];

    public static SdpSessionDescription Parse(string text) =>
        TryParse(text, out var sdp, out var error, out int line) ? sdp : throw new SdpFormatException(error, line);

    public static bool TryParse(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SdpSessionDescription? sdp, out SdpError error, out int line)
    {
        sdp = null;
        line = 0;
        if (text.Length > MaxLength)
        {
            error = SdpError.TooLarge;
            return false;
        }

        var result = new SdpSessionDescription();
        SdpMediaDescription? media = null;
        bool sawVersion = false;
        bool sawOrigin = false;
        bool sawName = false;
        foreach (var rawLine in text.Split('\n'))
        {
            line++;
            var l = rawLine.TrimEnd('\r');
            if (l.Length == 0)
            {
                continue; // tolerate a trailing blank line
            }

            if (l.Length < 2 || l[1] != '=' || !char.IsAsciiLetterLower(l[0]) || line > 256)
            {
                error = SdpError.BadLine;
                return false;
            }

            string value = l[2..];
            if (!sawVersion && l[0] != 'v')
            {
                error = SdpError.MissingVersion;
                return false;
            }

            switch (l[0])
            {
                case 'v':
                    if (value != "0" || sawVersion)
                    {
                        error = SdpError.BadVersion;
                        return false;
                    }

                    sawVersion = true;
                    break;
                case 'o':
                    if (value.Split(' ').Length != 6)
                    {
                        error = SdpError.MissingOrigin;
                        return false;
                    }

                    result.Origin = value;
                    sawOrigin = true;
                    break;
                case 's':
                    result.SessionName = value;
                    sawName = true;
                    break;
                case 't':
                    result.Timing = value;
                    break;
                case 'c':
                    var parts = value.Split(' ');
                    if (parts.Length != 3 || parts[0] != "IN" || parts[1] is not ("IP4" or "IP6") || parts[2].Length == 0)
                    {
                        error = SdpError.BadConnection;
                        return false;
                    }

                    var connection = new SdpConnection(parts[0], parts[1], parts[2]);
                    if (media is null)
                    {
                        result.Connection = connection;
                    }
                    else
                    {
                        media.Connection = connection;
                    }

                    break;
                case 'm':
                    var m = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (m.Length < 4)
                    {
                        error = SdpError.BadMedia;
                        return false;
                    }

                    if (!int.TryParse(m[1], NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
                    {
                        error = SdpError.BadPort;
                        return false;
                    }

                    media = new SdpMediaDescription { Media = m[0], Port = port, Protocol = m[2], Formats = m[3..] };
                    result.Media.Add(media);
                    break;
                case 'a':
                    int colon = value.IndexOf(':', StringComparison.Ordinal);
                    var attribute = colon < 0 ? new KeyValuePair<string, string?>(value, null) : new(value[..colon], value[(colon + 1)..]);
                    (media?.Attributes ?? result.Attributes).Add(attribute);
                    break;
                default:
                    break; // b=, i=, k=, … are legal and irrelevant to MSRP
            }
        }

        if (!sawVersion)
        {
            error = SdpError.MissingVersion;
            return false;
        }

        if (!sawOrigin)
        {
            error = SdpError.MissingOrigin;
            return false;
        }

        if (!sawName)
        {
            error = SdpError.MissingSessionName;
            return false;
        }

        sdp = result;
        error = SdpError.None;
        return true;
    }

    public override string ToString()
    {
        var sb = new StringBuilder(256);
        sb.Append("v=0\r\n");
        sb.Append("o=").Append(Origin).Append("\r\n");
        sb.Append("s=").Append(SessionName).Append("\r\n");
        if (Connection is not null)
        {
            sb.Append("c=").Append(Connection).Append("\r\n");
        }

        sb.Append("t=").Append(Timing).Append("\r\n");
        AppendAttributes(sb, Attributes);
        foreach (var m in Media)
        {
            sb.Append("m=").Append(m.Media).Append(' ').Append(m.Port.ToString(CultureInfo.InvariantCulture)).Append(' ')
              .Append(m.Protocol).Append(' ').Append(string.Join(' ', m.Formats)).Append("\r\n");
            if (m.Connection is not null)
            {
                sb.Append("c=").Append(m.Connection).Append("\r\n");
            }

            AppendAttributes(sb, m.Attributes);
        }

        return sb.ToString();
    }

    private static void AppendAttributes(StringBuilder sb, List<KeyValuePair<string, string?>> attributes)
    {
        foreach (var (name, value) in attributes)
        {
            sb.Append("a=").Append(name);
            if (value is not null)
            {
                sb.Append(':').Append(value);
            }

            sb.Append("\r\n");
        }
    }
}

/// <summary>a=setup values (RFC 4145 §4, used for MSRP by RFC 6135).</summary>
public enum MsrpSetup
{
    Active,
    Passive,
    ActPass,
    HoldConn,
}

/// <summary>The MSRP media line of an SDP body, as this library reads and writes it (RFC 4975 §8).</summary>
public sealed record MsrpMediaDescription
{
    public required IReadOnlyList<MsrpUri> Path { get; init; }

    public required IReadOnlyList<string> AcceptTypes { get; init; }

    public IReadOnlyList<string> AcceptWrappedTypes { get; init; } = [];

    /// <summary>a=setup; null when absent (RFC 4975 default: the offerer is active).</summary>
    public MsrpSetup? Setup { get; init; }

    public long? MaxSize { get; init; }

    /// <summary>TCP/TLS/MSRP (msrps) rather than TCP/MSRP.</summary>
    public bool Secure { get; init; }

    public int Port { get; init; }

    public string? ConnectionAddress { get; init; }
}

/// <summary>Offer/answer helpers for MSRP media (RFC 4975 §8, RFC 6135 for a=setup).</summary>
public static class MsrpSdp
{
    public static string SetupToken(MsrpSetup setup) => setup switch
    {
        MsrpSetup.Active => "active",
        MsrpSetup.Passive => "passive",
        MsrpSetup.ActPass => "actpass",
        _ => "holdconn",
    };

    /// <summary>Builds the m=message section for <paramref name="media"/> into a full SDP body.</summary>
    public static string Build(MsrpMediaDescription media, string originAddress, long sessionVersion = 0)
    {
        ArgumentNullException.ThrowIfNull(media);
        bool ip6 = originAddress.Contains(':', StringComparison.Ordinal);
        var sdp = new SdpSessionDescription
        {
            Origin = $"- {sessionVersion.ToString(CultureInfo.InvariantCulture)} {sessionVersion.ToString(CultureInfo.InvariantCulture)} IN {(ip6 ? "IP6" : "IP4")} {originAddress}",
            Connection = new SdpConnection("IN", ip6 ? "IP6" : "IP4", media.ConnectionAddress ?? originAddress),
        };
        var m = new SdpMediaDescription { Media = "message", Port = media.Port, Protocol = media.Secure ? "TCP/TLS/MSRP" : "TCP/MSRP", Formats = ["*"] };
        m.Attributes.Add(new("accept-types", string.Join(' ', media.AcceptTypes)));
        if (media.AcceptWrappedTypes.Count > 0)
        {
            m.Attributes.Add(new("accept-wrapped-types", string.Join(' ', media.AcceptWrappedTypes)));
        }

        if (media.MaxSize is long max)
        {
            m.Attributes.Add(new("max-size", max.ToString(CultureInfo.InvariantCulture)));
        }

        if (media.Setup is MsrpSetup setup)
        {
            m.Attributes.Add(new("setup", SetupToken(setup)));
        }

        m.Attributes.Add(new("path", MsrpUri.FormatPath(media.Path)));
        sdp.Media.Add(m);
        return sdp.ToString();
    }

    /// <summary>An offer for a session: its advertised path, a=setup:actpass (RFC 6135 §4.1 recommends it).</summary>
    public static string CreateOffer(MsrpSession session, IReadOnlyList<string> acceptTypes, IReadOnlyList<string>? acceptWrappedTypes = null,
        long? maxSize = null, MsrpSetup setup = MsrpSetup.ActPass)
    {
        ArgumentNullException.ThrowIfNull(session);
        var first = session.AdvertisedPath[0];
        return Build(new MsrpMediaDescription
        {
            Path = session.AdvertisedPath,
            AcceptTypes = acceptTypes,
            AcceptWrappedTypes = acceptWrappedTypes ?? [],
            MaxSize = maxSize,
            Setup = setup,
            Secure = session.LocalUri.IsSecure,
            Port = first.EffectivePort,
            ConnectionAddress = first.Host,
        }, session.LocalUri.Host);
    }

    /// <summary>Reads and validates the first MSRP m= section of a parsed SDP.</summary>
    public static bool TryRead(SdpSessionDescription sdp, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out MsrpMediaDescription? media, out SdpError error)
    {
        ArgumentNullException.ThrowIfNull(sdp);
        media = null;
        var m = sdp.Media.FirstOrDefault(x => x.Media == "message" && x.Protocol is "TCP/MSRP" or "TCP/TLS/MSRP" && x.Port != 0);
        if (m is null)
        {
            error = SdpError.NoMsrpMedia;
            return false;
        }

        var pathText = m.Attribute("path");
        if (pathText is null)
        {
            error = SdpError.MissingPath;
            return false;
        }

        if (!MsrpUri.TryParsePath(pathText, out var path, out _))
        {
            error = SdpError.BadPath;
            return false;
        }

        MsrpSetup? setup = null;
        if (m.Attribute("setup") is string s)
        {
            setup = s switch
            {
                "active" => MsrpSetup.Active,
                "passive" => MsrpSetup.Passive,
                "actpass" => MsrpSetup.ActPass,
                "holdconn" => MsrpSetup.HoldConn,
                _ => null,
            };
            if (setup is null)
            {
                error = SdpError.BadSetup;
                return false;
            }
        }

        long? maxSize = null;
        if (m.Attribute("max-size") is string ms)
        {
            if (!long.TryParse(ms, NumberStyles.None, CultureInfo.InvariantCulture, out long v))
            {
                error = SdpError.BadMaxSize;
                return false;
            }

            maxSize = v;
        }

        var connection = m.Connection ?? sdp.Connection;
        if (connection is null)
        {
            error = SdpError.MissingConnection;
            return false;
        }

        media = new MsrpMediaDescription
        {
            Path = path,
            AcceptTypes = Split(m.Attribute("accept-types")),
            AcceptWrappedTypes = Split(m.Attribute("accept-wrapped-types")),
            Setup = setup,
            MaxSize = maxSize,
            Secure = m.Protocol == "TCP/TLS/MSRP",
            Port = m.Port,
            ConnectionAddress = connection.Address,
        };
        error = SdpError.None;
        return true;
    }

    public static MsrpMediaDescription Read(string sdpText)
    {
        var sdp = SdpSessionDescription.Parse(sdpText);
        return TryRead(sdp, out var media, out var error) ? media : throw new SdpFormatException(error, 0);
    }

    /// <summary>
    /// The answerer's a=setup and role for an offer (RFC 6135 §4.2 / RFC 4145 §4.1): actpass → active (the answerer
    /// connects, which suits a device behind NAT); active → passive; passive → active; absent → passive (RFC 4975
    /// default: the offerer connects). holdconn cannot be answered with a connection.
    /// </summary>
    public static MsrpConnectionRole AnswerRole(MsrpSetup? offered, out MsrpSetup answerSetup)
    {
        switch (offered)
        {
            case MsrpSetup.Active:
                answerSetup = MsrpSetup.Passive;
                return MsrpConnectionRole.Passive;
            case null:
                answerSetup = MsrpSetup.Passive;
                return MsrpConnectionRole.Passive;
            case MsrpSetup.HoldConn:
                throw new SdpFormatException(SdpError.BadSetup, 0);
            default:
                answerSetup = MsrpSetup.Active;
                return MsrpConnectionRole.Active;
        }
    }

    /// <summary>The offerer's role once the answer is in: active unless the answer says active.</summary>
    public static MsrpConnectionRole OffererRole(MsrpSetup? answered) =>
        answered == MsrpSetup.Active ? MsrpConnectionRole.Passive : MsrpConnectionRole.Active;

    /// <summary>
    /// Builds the answer for an offer and applies it to the session (remote path), returning the role this side
    /// takes. Accept types are intersected with the offer's (RFC 4975 §8.6: "*" matches everything).
    /// </summary>
    public static string CreateAnswer(MsrpSession session, MsrpMediaDescription offer, IReadOnlyList<string> acceptTypes,
        IReadOnlyList<string>? acceptWrappedTypes, long? maxSize, out MsrpConnectionRole role)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(offer);
        role = AnswerRole(offer.Setup, out var answerSetup);
        session.SetRemotePath(offer.Path, session.RelayPath);
        var first = session.AdvertisedPath[0];
        return Build(new MsrpMediaDescription
        {
            Path = session.AdvertisedPath,
            AcceptTypes = acceptTypes,
            AcceptWrappedTypes = acceptWrappedTypes ?? [],
            MaxSize = maxSize,
            Setup = answerSetup,
            Secure = session.LocalUri.IsSecure,
            Port = first.EffectivePort,
            ConnectionAddress = first.Host,
        }, session.LocalUri.Host);
    }

    private static List<string> Split(string? value) =>
        value is null ? [] : [.. value.Split(' ', StringSplitOptions.RemoveEmptyEntries)];
}
