// SPDX-License-Identifier: MIT
using System.Globalization;

namespace ImUeAgent.Modem.Ports;

public enum ModemPortKind
{
    Serial,
    PseudoTerminal,
    Tcp,
}

/// <summary>Why a port address was rejected (closed set, STYLE.md §4).</summary>
public enum ModemPortAddressError
{
    None = 0,
    Empty,

    /// <summary>Not "serial:", "pty:" or "tcp:".</summary>
    UnknownScheme,
    MissingPath,
    InvalidBaudRate,
    InvalidFlowControl,

    /// <summary>An option other than baud= or flow=.</summary>
    UnknownOption,
    MissingHost,
    InvalidTcpPort,
}

/// <summary>
/// A port written as text (config file, `imue-agent at --port`): <c>serial:/dev/ttyUSB2?baud=115200&amp;flow=rtscts</c>,
/// <c>pty:/dev/pts/7</c>, <c>tcp:127.0.0.1:2000</c>, <c>tcp:[::1]:2000</c>. A bare path means serial.
/// </summary>
public sealed record ModemPortAddress(ModemPortKind Kind, string Target, int BaudRate = 115200, ModemFlowControl FlowControl = ModemFlowControl.None, int TcpPort = 0)
{
    public static bool TryParse(string? text, out ModemPortAddress? address, out ModemPortAddressError error)
    {
        address = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = ModemPortAddressError.Empty;
            return false;
        }

        text = text.Trim();
        if (text.StartsWith('/'))
        {
            text = "serial:" + text;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var scheme = colon < 0 ? text : text[..colon];
        var rest = colon < 0 ? string.Empty : text[(colon + 1)..];
        switch (scheme)
        {
            case "serial":
            case "pty":
                return TryParseDevice(scheme == "pty" ? ModemPortKind.PseudoTerminal : ModemPortKind.Serial, rest, out address, out error);
            case "tcp":
                return TryParseTcp(rest, out address, out error);
            default:
                error = ModemPortAddressError.UnknownScheme;
                return false;
        }
    }

    /// <summary>The port this address names.</summary>
    public IModemPort CreatePort(TimeProvider? timeProvider = null) => Kind switch
    {
        ModemPortKind.Tcp => new TcpModemPort(Target, TcpPort),
        ModemPortKind.PseudoTerminal => new SerialModemPort(Target, BaudRate, ModemFlowControl.None, isPseudoTerminal: true, timeProvider),
        _ => new SerialModemPort(Target, BaudRate, FlowControl, isPseudoTerminal: false, timeProvider),
    };

    private static bool TryParseDevice(ModemPortKind kind, string rest, out ModemPortAddress? address, out ModemPortAddressError error)
    {
        address = null;
        var question = rest.IndexOf('?', StringComparison.Ordinal);
        var path = question < 0 ? rest : rest[..question];
        if (path.Length == 0 || path[0] != '/')
        {
            error = ModemPortAddressError.MissingPath;
            return false;
        }

        var baud = 115200;
        var flow = ModemFlowControl.None;
        if (question >= 0)
        {
            foreach (var option in rest[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = option.IndexOf('=', StringComparison.Ordinal);
                var name = equals < 0 ? option : option[..equals];
                var value = equals < 0 ? string.Empty : option[(equals + 1)..];
                switch (name)
                {
                    case "baud" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out baud) && baud > 0:
                        break;
                    case "baud":
                        error = ModemPortAddressError.InvalidBaudRate;
                        return false;
                    case "flow" when value is "none":
                        flow = ModemFlowControl.None;
                        break;
                    case "flow" when value is "rtscts" && kind == ModemPortKind.Serial:
                        flow = ModemFlowControl.RtsCts;
                        break;
                    case "flow":
                        error = ModemPortAddressError.InvalidFlowControl;
                        return false;
                    default:
                        error = ModemPortAddressError.UnknownOption;
                        return false;
                }
            }
        }

        address = new ModemPortAddress(kind, path, baud, flow);
        error = ModemPortAddressError.None;
        return true;
    }

    private static bool TryParseTcp(string rest, out ModemPortAddress? address, out ModemPortAddressError error)
    {
        address = null;
        string host;
        string port;
        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= rest.Length || rest[close + 1] != ':')
            {
                error = close < 0 ? ModemPortAddressError.MissingHost : ModemPortAddressError.InvalidTcpPort;
                return false;
            }

            host = rest[1..close];
            port = rest[(close + 2)..];
        }
        else
        {
            var colon = rest.LastIndexOf(':');
            host = colon < 0 ? rest : rest[..colon];
            port = colon < 0 ? string.Empty : rest[(colon + 1)..];
        }

        if (host.Length == 0)
        {
            error = ModemPortAddressError.MissingHost;
            return false;
        }

        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535)
        {
            error = ModemPortAddressError.InvalidTcpPort;
            return false;
        }

        address = new ModemPortAddress(ModemPortKind.Tcp, host, TcpPort: number);
        error = ModemPortAddressError.None;
        return true;
    }

    public override string ToString() => Kind switch
    {
        ModemPortKind.Tcp => Target.Contains(':', StringComparison.Ordinal) ? $"tcp:[{Target}]:{TcpPort}" : $"tcp:{Target}:{TcpPort}",
        ModemPortKind.PseudoTerminal => $"pty:{Target}",
        _ => FlowControl == ModemFlowControl.RtsCts ? $"serial:{Target}?baud={BaudRate}&flow=rtscts" : $"serial:{Target}?baud={BaudRate}",
    };
}
