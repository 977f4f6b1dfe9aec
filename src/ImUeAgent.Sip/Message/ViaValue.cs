// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Text;

namespace ImUeAgent.Sip.Message;

/// <summary>One via-parm (RFC 3261 §20.42): sent-protocol, sent-by and parameters (branch, received, rport RFC 3581,
/// maddr, ttl, and any other kept as received).</summary>
public sealed class ViaValue
{
    /// <summary>The RFC 3261 §8.1.1.7 magic cookie that starts every RFC 3261 branch.</summary>
    public const string MagicCookie = "z9hG4bK";

    /// <summary>A Via for a request this UA sends: SIP/2.0/<paramref name="transport"/> host[:port];branch=…[;rport].</summary>
    public ViaValue(string transport, string host, int? port, string branch, bool rport = false, params IEnumerable<SipParameter> more)
    {
        ArgumentException.ThrowIfNullOrEmpty(transport);
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentException.ThrowIfNullOrEmpty(branch);
        Protocol = "SIP";
        Version = "2.0";
        Transport = transport;
        Host = host.Contains(':', StringComparison.Ordinal) && host[0] != '[' ? "[" + host + "]" : host;
        Port = port;
        List<SipParameter> list = [new SipParameter("branch", branch)];
        if (rport)
        {
            list.Add(new SipParameter("rport"));
        }

        list.AddRange(more);
        Parameters = new SipParameters([.. list]);
    }

    private ViaValue(string protocol, string version, string transport, string host, int? port, SipParameters parameters)
    {
        Protocol = protocol;
        Version = version;
        Transport = transport;
        Host = host;
        Port = port;
        Parameters = parameters;
    }

    public string Protocol { get; }

    public string Version { get; }

    /// <summary>The transport token as received (UDP, TCP, TLS, SCTP, WS or any other, RFC 4475 §3.1.1.10).</summary>
    public string Transport { get; }

    /// <summary>sent-by host; IPv6 references keep their brackets.</summary>
    public string Host { get; }

    public int? Port { get; }

    /// <summary>host[:port] as it should be compared and displayed.</summary>
    public string SentBy => Port is int p ? Host + ":" + p.ToString(CultureInfo.InvariantCulture) : Host;

    public SipParameters Parameters { get; }

    public string? Branch => Parameters.GetValue("branch");

    /// <summary>True when the branch starts with the magic cookie and has something after it; a bare cookie is not a
    /// transaction identifier (RFC 4475 §3.2.1), so RFC 2543 matching applies.</summary>
    public bool IsRfc3261Branch => Branch is { Length: > 7 } b && b.StartsWith(MagicCookie, StringComparison.Ordinal);

    public string? Received => Parameters.GetValue("received");

    /// <summary>True when rport is present (with or without a value, RFC 3581).</summary>
    public bool HasRPort => Parameters.Contains("rport");

    public int? RPort => int.TryParse(Parameters.GetValue("rport"), NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v <= 65535 ? v : null;

    public string? Maddr => Parameters.GetValue("maddr");

    public int? Ttl => int.TryParse(Parameters.GetValue("ttl"), NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v <= 255 ? v : null;

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(Protocol).Append('/').Append(Version).Append('/').Append(Transport).Append(' ').Append(SentBy).Append(Parameters.ToString());
        return sb.ToString();
    }

    internal static bool TryParseList(ReadOnlySpan<byte> value, List<ViaValue> sink)
    {
        var r = new SipValueReader(value);
        while (true)
        {
            var parameters = new List<SipParameter>();
            if (!HeaderGrammar.TryViaParm(ref r, out ViaParts v) || !HeaderGrammar.TryParams(ref r, parameters))
            {
                return false;
            }

            sink.Add(new ViaValue(
                Encoding.ASCII.GetString(r.Slice(v.Protocol)),
                Encoding.ASCII.GetString(r.Slice(v.Version)),
                Encoding.ASCII.GetString(r.Slice(v.Transport)),
                Encoding.ASCII.GetString(r.Slice(v.Host)),
                v.Port < 0 ? null : v.Port,
                new SipParameters([.. parameters])));
            if (!HeaderGrammar.TryListSeparator(ref r, out bool end))
            {
                return false;
            }

            if (end)
            {
                return true;
            }
        }
    }
}

/// <summary>CSeq: sequence number and method (RFC 3261 §20.16).</summary>
public sealed class CSeqValue
{
    public CSeqValue(uint number, SipMethod method, string? methodName = null)
    {
        Number = number;
        Method = method;
        MethodName = methodName ?? method.ToToken();
        ArgumentException.ThrowIfNullOrEmpty(MethodName, nameof(methodName));
    }

    public uint Number { get; }

    public SipMethod Method { get; }

    /// <summary>The method token as received.</summary>
    public string MethodName { get; }

    public override string ToString() => Number.ToString(CultureInfo.InvariantCulture) + " " + MethodName;

    internal static CSeqValue? TryParse(ReadOnlySpan<byte> value)
    {
        if (!HeaderGrammar.TryCSeq(value, out uint number, out Seg method))
        {
            return null;
        }

        ReadOnlySpan<byte> token = value.Slice(method.Start, method.Length);
        return new CSeqValue(number, SipMethods.Parse(token), Encoding.ASCII.GetString(token));
    }
}
