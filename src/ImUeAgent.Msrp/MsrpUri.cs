// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Text;

namespace ImUeAgent.Msrp;

/// <summary>Why an MSRP URI or path was rejected.</summary>
public enum MsrpUriError
{
    None = 0,
    BadScheme,
    MissingAuthority,
    BadHost,
    BadPort,
    BadSessionId,
    MissingTransport,
    BadParameter,
    EmptyPath,
}

/// <summary>
/// An MSRP or MSRPS URI (RFC 4975 §6): <c>msrp[s]://[userinfo@]host[:port][/session-id];transport *(;param)</c>.
/// Comparison (§6.1): scheme, host and transport case-insensitively, port numerically, session-id case-sensitively;
/// userinfo and other parameters are ignored.
/// </summary>
public sealed class MsrpUri : IEquatable<MsrpUri>
{
    /// <summary>Port assumed when a URI has none (RFC 4975 §6.2: 2855).</summary>
    public const int DefaultPort = 2855;

    private static readonly System.Buffers.SearchValues<char> s_hostForbidden = System.Buffers.SearchValues.Create(" \t/;?#@[]");
    private static readonly System.Buffers.SearchValues<char> s_pathSeparators = System.Buffers.SearchValues.Create(" \t");

    public MsrpUri(bool secure, string host, int port, string? sessionId, string transport = "tcp", string? userInfo = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        if (sessionId is not null && !IsSessionId(sessionId))
        {
            throw new ArgumentException("session-id must be 1*(unreserved / \"+\" / \"=\" / \"/\")", nameof(sessionId));
        }

        IsSecure = secure;
        Host = host;
        Port = port;
        SessionId = sessionId;
        Transport = transport;
        UserInfo = userInfo;
        Parameters = string.Empty;
    }

    public bool IsSecure { get; }

    public string Scheme => IsSecure ? "msrps" : "msrp";

    public string? UserInfo { get; }

    /// <summary>Host name or address; IPv6 without brackets.</summary>
    public string Host { get; }

    /// <summary>Port; 0 only when the URI carried none (then <see cref="EffectivePort"/> is 2855).</summary>
    public int Port { get; }

    public int EffectivePort => Port == 0 ? DefaultPort : Port;

    public string? SessionId { get; }

    public string Transport { get; }

    /// <summary>URI parameters after the transport, verbatim (starting with ';'), or empty.</summary>
    public string Parameters { get; private init; }

    public static MsrpUri Parse(string text) =>
        TryParse(text, out var uri, out var error) ? uri : throw new FormatException($"Invalid MSRP URI ({error}): '{text}'");

    public static bool TryParse(ReadOnlySpan<char> text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out MsrpUri? uri, out MsrpUriError error)
    {
        uri = null;
        bool secure;
        if (text.StartsWith("msrps://", StringComparison.OrdinalIgnoreCase))
        {
            secure = true;
            text = text[8..];
        }
        else if (text.StartsWith("msrp://", StringComparison.OrdinalIgnoreCase))
        {
            secure = false;
            text = text[7..];
        }
        else
        {
            error = MsrpUriError.BadScheme;
            return false;
        }

        int semi = text.IndexOf(';');
        if (semi < 0)
        {
            error = MsrpUriError.MissingTransport;
            return false;
        }

        var hierPart = text[..semi];
        var paramPart = text[(semi + 1)..];
        int slash = hierPart.IndexOf('/');
        var authority = slash < 0 ? hierPart : hierPart[..slash];
        string? sessionId = null;
        if (slash >= 0)
        {
            sessionId = hierPart[(slash + 1)..].ToString();
            if (!IsSessionId(sessionId))
            {
                error = MsrpUriError.BadSessionId;
                return false;
            }
        }

        if (authority.IsEmpty)
        {
            error = MsrpUriError.MissingAuthority;
            return false;
        }

        string? userInfo = null;
        int at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            userInfo = authority[..at].ToString();
            authority = authority[(at + 1)..];
        }

        ReadOnlySpan<char> host;
        ReadOnlySpan<char> portText = default;
        if (authority.StartsWith('['))
        {
            int close = authority.IndexOf(']');
            if (close < 0)
            {
                error = MsrpUriError.BadHost;
                return false;
            }

            host = authority[1..close];
            var rest = authority[(close + 1)..];
            if (!rest.IsEmpty)
            {
                if (rest[0] != ':')
                {
                    error = MsrpUriError.BadHost;
                    return false;
                }

                portText = rest[1..];
                if (portText.IsEmpty)
                {
                    error = MsrpUriError.BadPort;
                    return false;
                }
            }
        }
        else
        {
            int colon = authority.LastIndexOf(':');
            host = colon < 0 ? authority : authority[..colon];
            if (colon >= 0)
            {
                portText = authority[(colon + 1)..];
                if (portText.IsEmpty)
                {
                    error = MsrpUriError.BadPort;
                    return false;
                }
            }
        }

        if (host.IsEmpty || host.ContainsAny(s_hostForbidden))
        {
            error = MsrpUriError.BadHost;
            return false;
        }

        int port = 0;
        if (!portText.IsEmpty && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > 65535))
        {
            error = MsrpUriError.BadPort;
            return false;
        }

        int nextSemi = paramPart.IndexOf(';');
        var transport = nextSemi < 0 ? paramPart : paramPart[..nextSemi];
        if (transport.IsEmpty || !IsToken(transport))
        {
            error = MsrpUriError.MissingTransport;
            return false;
        }

        string parameters = nextSemi < 0 ? string.Empty : paramPart[nextSemi..].ToString();
        if (parameters.Contains(' ', StringComparison.Ordinal))
        {
            error = MsrpUriError.BadParameter;
            return false;
        }

        uri = new MsrpUri(secure, host.ToString(), port, sessionId, transport.ToString(), userInfo) { Parameters = parameters };
        error = MsrpUriError.None;
        return true;
    }

    /// <summary>Parses a To-Path / From-Path / a=path value: URIs separated by whitespace.</summary>
    public static bool TryParsePath(ReadOnlySpan<char> text, out List<MsrpUri> path, out MsrpUriError error)
    {
        path = [];
        foreach (var range in text.SplitAny(s_pathSeparators))
        {
            var part = text[range];
            if (part.IsEmpty)
            {
                continue;
            }

            if (!TryParse(part, out var uri, out error))
            {
                return false;
            }

            path.Add(uri);
        }

        error = path.Count == 0 ? MsrpUriError.EmptyPath : MsrpUriError.None;
        return path.Count > 0;
    }

    public static bool TryParsePath(ReadOnlySpan<byte> utf8, out List<MsrpUri> path, out MsrpUriError error)
    {
        Span<char> chars = utf8.Length <= 1024 ? stackalloc char[utf8.Length] : new char[utf8.Length];
        int n = Encoding.UTF8.GetChars(utf8, chars);
        return TryParsePath(chars[..n], out path, out error);
    }

    public static string FormatPath(IEnumerable<MsrpUri> path) => string.Join(' ', path);

    /// <summary>session-id = 1*( unreserved / "+" / "=" / "/" ) (RFC 4975 §9).</summary>
    public static bool IsSessionId(ReadOnlySpan<char> value)
    {
        if (value.IsEmpty)
        {
            return false;
        }

        foreach (char c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or '+' or '=' or '/'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsToken(ReadOnlySpan<char> value)
    {
        foreach (char c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '!' or '%' or '*' or '_' or '+' or '`' or '\'' or '~'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The authority this URI resolves to for connecting (RFC 4975 §6.2: host and port, no DNS SRV).</summary>
    public string AuthorityKey => string.Create(CultureInfo.InvariantCulture, $"{Scheme}://{Host.ToLowerInvariant()}:{EffectivePort}");

    public bool Equals(MsrpUri? other) =>
        other is not null
        && IsSecure == other.IsSecure
        && string.Equals(Host, other.Host, StringComparison.OrdinalIgnoreCase)
        && EffectivePort == other.EffectivePort
        && string.Equals(SessionId, other.SessionId, StringComparison.Ordinal)
        && string.Equals(Transport, other.Transport, StringComparison.OrdinalIgnoreCase);

    public override bool Equals(object? obj) => obj is MsrpUri u && Equals(u);

    public override int GetHashCode() => HashCode.Combine(IsSecure, Host.ToUpperInvariant(), EffectivePort, SessionId);

    public override string ToString()
    {
        var sb = new StringBuilder(64);
        sb.Append(Scheme).Append("://");
        if (UserInfo is not null)
        {
            sb.Append(UserInfo).Append('@');
        }

        sb.Append(Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host);
        if (Port != 0)
        {
            sb.Append(':').Append(Port.ToString(CultureInfo.InvariantCulture));
        }

        if (SessionId is not null)
        {
            sb.Append('/').Append(SessionId);
        }

        sb.Append(';').Append(Transport).Append(Parameters);
        return sb.ToString();
    }
}
