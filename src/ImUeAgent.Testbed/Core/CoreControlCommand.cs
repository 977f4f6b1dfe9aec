// SPDX-License-Identifier: MIT
using System.Globalization;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Testbed.Core;

/// <summary>What a control line asks of the core.</summary>
internal enum CoreControlVerb
{
    /// <summary>`drop next [METHOD]`: withhold the next response the core sends (for METHOD only, if given).</summary>
    DropNext,

    /// <summary>`503 [retry-after S]`: the next REGISTER gets 503 Service Unavailable (with Retry-After).</summary>
    ServiceUnavailable,

    /// <summary>`423 [min-expires S]`: the next REGISTER gets 423 Interval Too Brief with Min-Expires.</summary>
    IntervalTooBrief,

    /// <summary>`403`: the next REGISTER gets 403 Forbidden.</summary>
    Forbidden,

    /// <summary>`deregister IMPU [deactivated|rejected]`: network-initiated de-registration (TS 24.229 §5.4.1.5).</summary>
    Deregister,

    /// <summary>`shorten IMPU SECONDS`: the registration now ends in SECONDS (RFC 3680 event "shortened").</summary>
    Shorten,

    /// <summary>`desync IMPI [COUNT]`: the HSS's next COUNT vectors (default 1, 0 disarms) carry a SQN the card has
    /// already passed, so the ISIM answers synchronisation failure with AUTS (TS 33.102 §6.3.3, §6.3.5).</summary>
    Desync,

    /// <summary>`mac-failure IMPI [COUNT]`: the HSS's next COUNT vectors (default 1, 0 disarms) carry a wrong MAC-A, so
    /// the ISIM rejects the network (TS 33.102 §6.3.3; the UE then acts per TS 24.229 §5.1.1.5.3).</summary>
    MacFailure,

    /// <summary>`restart`: P-CSCF restart, every registration, subscription and connection forgotten.</summary>
    Restart,

    /// <summary>`contacts IMPU`: the registered contacts of IMPU.</summary>
    Contacts,

    /// <summary>`status`: one line of state.</summary>
    Status,

    /// <summary>`help`: the list of commands.</summary>
    Help,
}

/// <summary>Why a control line was refused.</summary>
internal enum CoreControlError
{
    None,
    Empty,
    UnknownCommand,
    MissingArgument,
    BadNumber,
    BadUri,
    BadKeyword,
    ExtraArgument,
    BadIdentity,
}

/// <summary>A parsed control line of the core.</summary>
internal readonly record struct CoreControlCommand(CoreControlVerb Verb, uint? Number = null, string? Text = null, SipUri? Uri = null)
{
    public const string HelpText =
        "drop next [METHOD] | 503 [retry-after S] | 423 [min-expires S] | 403 | deregister IMPU [deactivated|rejected] | shorten IMPU SECONDS | desync IMPI [COUNT] | mac-failure IMPI [COUNT] | restart | contacts IMPU | status | help";

    /// <summary>Most vectors one `desync` / `mac-failure` line arms.</summary>
    public const uint MaxFaultyVectors = 1000;

    /// <summary>Pure parse of one control line.</summary>
    public static CoreControlError TryParse(string line, out CoreControlCommand command)
    {
        command = default;
        var words = (line ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 0)
        {
            return CoreControlError.Empty;
        }

        switch (words[0].ToLowerInvariant())
        {
            case "drop":
                if (words.Length < 2 || !string.Equals(words[1], "next", StringComparison.OrdinalIgnoreCase))
                {
                    return words.Length < 2 ? CoreControlError.MissingArgument : CoreControlError.BadKeyword;
                }

                if (words.Length > 3)
                {
                    return CoreControlError.ExtraArgument;
                }

                if (words.Length == 3 && !SipSyntaxCheck.IsToken(words[2]))
                {
                    return CoreControlError.BadKeyword;
                }

                command = new CoreControlCommand(CoreControlVerb.DropNext, Text: words.Length == 3 ? words[2].ToUpperInvariant() : null);
                return CoreControlError.None;
            case "503":
                return Optional(words, "retry-after", CoreControlVerb.ServiceUnavailable, out command);
            case "423":
                return Optional(words, "min-expires", CoreControlVerb.IntervalTooBrief, out command);
            case "403":
                return NoArgument(words, CoreControlVerb.Forbidden, out command);
            case "deregister":
                if (words.Length < 2)
                {
                    return CoreControlError.MissingArgument;
                }

                if (!SipUri.TryParse(words[1], out var target))
                {
                    return CoreControlError.BadUri;
                }

                if (words.Length > 3)
                {
                    return CoreControlError.ExtraArgument;
                }

                var reason = words.Length == 3 ? words[2].ToLowerInvariant() : "deactivated";
                if (reason is not ("deactivated" or "rejected"))
                {
                    return CoreControlError.BadKeyword;
                }

                command = new CoreControlCommand(CoreControlVerb.Deregister, Text: reason, Uri: target);
                return CoreControlError.None;
            case "shorten":
                if (words.Length < 3)
                {
                    return CoreControlError.MissingArgument;
                }

                if (!SipUri.TryParse(words[1], out var shortened))
                {
                    return CoreControlError.BadUri;
                }

                if (words.Length > 3)
                {
                    return CoreControlError.ExtraArgument;
                }

                if (!TryNumber(words[2], out var seconds) || seconds == 0)
                {
                    return CoreControlError.BadNumber;
                }

                command = new CoreControlCommand(CoreControlVerb.Shorten, seconds, Uri: shortened);
                return CoreControlError.None;
            case "desync":
                return HssFault(words, CoreControlVerb.Desync, out command);
            case "mac-failure":
                return HssFault(words, CoreControlVerb.MacFailure, out command);
            case "contacts":
                if (words.Length < 2)
                {
                    return CoreControlError.MissingArgument;
                }

                if (words.Length > 2)
                {
                    return CoreControlError.ExtraArgument;
                }

                if (!SipUri.TryParse(words[1], out var whose))
                {
                    return CoreControlError.BadUri;
                }

                command = new CoreControlCommand(CoreControlVerb.Contacts, Uri: whose);
                return CoreControlError.None;
            case "restart":
                return NoArgument(words, CoreControlVerb.Restart, out command);
            case "status":
                return NoArgument(words, CoreControlVerb.Status, out command);
            case "help":
                return NoArgument(words, CoreControlVerb.Help, out command);
            default:
                return CoreControlError.UnknownCommand;
        }
    }

    public static string Describe(CoreControlError error) => error switch
    {
        CoreControlError.Empty => "empty line",
        CoreControlError.UnknownCommand => "unknown command (try help)",
        CoreControlError.MissingArgument => "missing argument",
        CoreControlError.BadNumber => "argument is not a number in range",
        CoreControlError.BadUri => "argument is not a sip: or tel: URI",
        CoreControlError.BadKeyword => "unexpected keyword",
        CoreControlError.ExtraArgument => "unexpected argument",
        CoreControlError.BadIdentity => "argument is not a private identity (user@realm)",
        _ => "ok",
    };

    private static CoreControlError Optional(string[] words, string keyword, CoreControlVerb verb, out CoreControlCommand command)
    {
        command = default;
        switch (words.Length)
        {
            case 1:
                command = new CoreControlCommand(verb);
                return CoreControlError.None;
            case 2:
                return string.Equals(words[1], keyword, StringComparison.OrdinalIgnoreCase) ? CoreControlError.MissingArgument : CoreControlError.BadKeyword;
            case 3:
                if (!string.Equals(words[1], keyword, StringComparison.OrdinalIgnoreCase))
                {
                    return CoreControlError.BadKeyword;
                }

                if (!TryNumber(words[2], out var value))
                {
                    return CoreControlError.BadNumber;
                }

                command = new CoreControlCommand(verb, value);
                return CoreControlError.None;
            default:
                return CoreControlError.ExtraArgument;
        }
    }

    /// <summary>`VERB IMPI [COUNT]`. The IMPI is an NAI, username@realm (TS 23.003 §13.3).</summary>
    private static CoreControlError HssFault(string[] words, CoreControlVerb verb, out CoreControlCommand command)
    {
        command = default;
        if (words.Length < 2)
        {
            return CoreControlError.MissingArgument;
        }

        if (words.Length > 3)
        {
            return CoreControlError.ExtraArgument;
        }

        var impi = words[1];
        var at = impi.LastIndexOf('@');
        if (impi.Length > 255 || at <= 0 || at == impi.Length - 1 || impi.Any(c => c is <= ' ' or > '~' or '"' or '\\' or '<' or '>'))
        {
            return CoreControlError.BadIdentity;
        }

        uint count = 1;
        if (words.Length == 3 && (!uint.TryParse(words[2], NumberStyles.None, CultureInfo.InvariantCulture, out count) || count > MaxFaultyVectors))
        {
            return CoreControlError.BadNumber;
        }

        command = new CoreControlCommand(verb, count, Text: impi);
        return CoreControlError.None;
    }

    private static CoreControlError NoArgument(string[] words, CoreControlVerb verb, out CoreControlCommand command)
    {
        command = new CoreControlCommand(verb);
        return words.Length == 1 ? CoreControlError.None : CoreControlError.ExtraArgument;
    }

    // RFC 3261 §20.19 / §20.33: delta-seconds; capped at a day so a typo does not park the UE for weeks.
    private static bool TryNumber(string text, out uint value) =>
        uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value <= 86_400;
}

/// <summary>RFC 3261 §25.1 token characters, for a method name typed on the control channel.</summary>
internal static class SipSyntaxCheck
{
    public static bool IsToken(string text) =>
        text.Length is > 0 and <= 32 && text.All(c => char.IsAsciiLetterOrDigit(c) || "-.!%*_+`'~".Contains(c, StringComparison.Ordinal));
}
