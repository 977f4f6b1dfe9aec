// SPDX-License-Identifier: MIT
using System.Globalization;

namespace ImUeAgent.Testbed.Modem;

/// <summary>What a control line asks of the emulator.</summary>
internal enum ControlVerb
{
    /// <summary>`slow MS`: delay every reply by MS milliseconds (0 ends it).</summary>
    Slow,

    /// <summary>`drop next` / `drop N`: send no reply to the next N command lines.</summary>
    Drop,

    /// <summary>`garbage N`: send N random bytes now.</summary>
    Garbage,

    /// <summary>`reset`: MT reset, every state lost, "RDY" sent.</summary>
    Reset,

    /// <summary>`vanish MS`: the port disappears (pty closed, TCP listener closed) and comes back after MS ms.</summary>
    Vanish,

    /// <summary>`deny-attach CAUSE`: the network rejects attach with this EMM cause.</summary>
    DenyAttach,

    /// <summary>`allow-attach` (or `attach`): attach accepted again, and started.</summary>
    AllowAttach,

    /// <summary>`detach [MS]`: network detach; attach again after MS ms, or on `attach`.</summary>
    Detach,

    /// <summary>`pdn-drop [CID]`: the network releases the IMS PDN (or context CID).</summary>
    PdnDrop,

    /// <summary>`urc TEXT`: send TEXT as an unsolicited result code.</summary>
    Urc,

    /// <summary>`status`: one line of state.</summary>
    Status,

    /// <summary>`help`: the list of commands.</summary>
    Help,
}

/// <summary>Why a control line was refused.</summary>
internal enum ControlError
{
    None,
    Empty,
    UnknownCommand,
    MissingArgument,
    BadNumber,
    ExtraArgument,
}

/// <summary>A parsed control line: verb, optional number and text.</summary>
internal readonly record struct ControlCommand(ControlVerb Verb, int? Number = null, string? Text = null)
{
    public const int MaxMilliseconds = 3_600_000;
    public const int MaxGarbage = 65_536;
    public const int MaxLineLength = 1024;

    public const string HelpText =
        "slow MS | drop next|N | garbage N | reset | vanish MS | deny-attach CAUSE | allow-attach | attach | detach [MS] | pdn-drop [CID] | urc TEXT | status | help";

    /// <summary>Pure parse of one control line ("slow 2000", "drop next", "deny-attach 15", …).</summary>
    public static ControlError TryParse(string line, out ControlCommand command)
    {
        command = default;
        var trimmed = line.Trim();
        if (trimmed.Length == 0)
        {
            return ControlError.Empty;
        }

        var space = trimmed.IndexOf(' ', StringComparison.Ordinal);
        var verb = (space < 0 ? trimmed : trimmed[..space]).ToLowerInvariant();
        var rest = space < 0 ? string.Empty : trimmed[(space + 1)..].Trim();
        switch (verb)
        {
            case "slow":
                return ParseNumber(rest, 0, MaxMilliseconds, required: true, ControlVerb.Slow, out command);
            case "drop":
                if (string.Equals(rest, "next", StringComparison.OrdinalIgnoreCase))
                {
                    command = new ControlCommand(ControlVerb.Drop, 1);
                    return ControlError.None;
                }

                return ParseNumber(rest, 0, 1_000_000, required: true, ControlVerb.Drop, out command);
            case "garbage":
                return ParseNumber(rest, 1, MaxGarbage, required: true, ControlVerb.Garbage, out command);
            case "reset":
                return NoArgument(rest, ControlVerb.Reset, out command);
            case "vanish":
                return ParseNumber(rest, 0, MaxMilliseconds, required: true, ControlVerb.Vanish, out command);
            case "deny-attach":
                // TS 24.301 §9.9.3.9: EMM cause is one octet.
                return ParseNumber(rest, 1, 255, required: true, ControlVerb.DenyAttach, out command);
            case "allow-attach" or "attach":
                return NoArgument(rest, ControlVerb.AllowAttach, out command);
            case "detach":
                return ParseNumber(rest, 0, MaxMilliseconds, required: false, ControlVerb.Detach, out command);
            case "pdn-drop":
                return ParseNumber(rest, 1, 15, required: false, ControlVerb.PdnDrop, out command);
            case "urc":
                if (rest.Length == 0)
                {
                    return ControlError.MissingArgument;
                }

                command = new ControlCommand(ControlVerb.Urc, Text: rest);
                return ControlError.None;
            case "status":
                return NoArgument(rest, ControlVerb.Status, out command);
            case "help":
                return NoArgument(rest, ControlVerb.Help, out command);
            default:
                return ControlError.UnknownCommand;
        }
    }

    public static string Describe(ControlError error) => error switch
    {
        ControlError.Empty => "empty line",
        ControlError.UnknownCommand => "unknown command (try help)",
        ControlError.MissingArgument => "missing argument",
        ControlError.BadNumber => "argument is not a number in range",
        ControlError.ExtraArgument => "unexpected argument",
        _ => "ok",
    };

    private static ControlError ParseNumber(string rest, int min, int max, bool required, ControlVerb verb, out ControlCommand command)
    {
        command = default;
        if (rest.Length == 0)
        {
            if (required)
            {
                return ControlError.MissingArgument;
            }

            command = new ControlCommand(verb);
            return ControlError.None;
        }

        if (!int.TryParse(rest, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            return ControlError.BadNumber;
        }

        command = new ControlCommand(verb, value);
        return ControlError.None;
    }

    private static ControlError NoArgument(string rest, ControlVerb verb, out ControlCommand command)
    {
        command = new ControlCommand(verb);
        return rest.Length == 0 ? ControlError.None : ControlError.ExtraArgument;
    }
}

/// <summary>The reply-path faults in force (slow, drop), shared by the session and the control channel.</summary>
internal sealed class FaultState
{
    private readonly Lock _gate = new();
    private TimeSpan _delay;
    private int _drops;

    public TimeSpan ReplyDelay
    {
        get
        {
            lock (_gate)
            {
                return _delay;
            }
        }

        set
        {
            lock (_gate)
            {
                _delay = value;
            }
        }
    }

    public void DropReplies(int count)
    {
        lock (_gate)
        {
            _drops = count;
        }
    }

    /// <summary>True (and counts one down) when the next reply is to be dropped.</summary>
    public bool TakeDrop()
    {
        lock (_gate)
        {
            if (_drops <= 0)
            {
                return false;
            }

            _drops--;
            return true;
        }
    }
}
