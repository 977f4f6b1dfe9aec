// SPDX-License-Identifier: MIT
using System.Text;

namespace ImUeAgent.Testbed.Modem;

/// <summary>How an AT command is invoked (ITU-T V.250 §5.3 / TS 27.007 §1).</summary>
internal enum AtCommandKind
{
    /// <summary>`AT+CMD` or a basic command `ATE1`: execute.</summary>
    Action,

    /// <summary>`AT+CMD=args`: set.</summary>
    Set,

    /// <summary>`AT+CMD?`: read the current setting.</summary>
    Read,

    /// <summary>`AT+CMD=?`: test the supported values.</summary>
    Test,
}

/// <summary>Why a command line does not parse (a closed set, STYLE.md §4).</summary>
internal enum AtSyntaxError
{
    None,

    /// <summary>A '"' opens a string that the line never closes.</summary>
    UnterminatedString,

    /// <summary>'+' (or '&amp;') is not followed by a command name.</summary>
    MissingCommandName,

    /// <summary>A character that starts no command (V.250 §5.2.1: only letters, '&amp;' and '+' start commands).</summary>
    UnexpectedCharacter,

    /// <summary>More arguments than any command takes.</summary>
    TooManyArguments,
}

/// <summary>
/// One command of a command line: its name in upper case ("+CGDCONT", "E", "&amp;F", "S0"), how it was invoked,
/// the raw number of a basic command ("E1" → 1) and the arguments of an extended one.
/// </summary>
internal sealed record AtCommand(string Name, AtCommandKind Kind, int? Value, IReadOnlyList<AtArgument> Arguments)
{
    public AtArgument Argument(int index) => index < Arguments.Count ? Arguments[index] : AtArgument.Omitted;
}

/// <summary>
/// One argument of an extended command: omitted (",,"), a bare token (numbers, hex) or a quoted string.
/// </summary>
internal readonly record struct AtArgument(string? Text, bool Quoted)
{
    public static AtArgument Omitted => default;

    public bool IsOmitted => Text is null;

    /// <summary>A decimal integer argument within [min, max]; false when omitted, quoted, malformed or out of range.</summary>
    public bool TryGetInteger(int min, int max, out int value)
    {
        value = 0;
        if (Text is null || Quoted || Text.Length is 0 or > 10)
        {
            return false;
        }

        long parsed = 0;
        foreach (var c in Text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }

            parsed = (parsed * 10) + (c - '0');
        }

        if (parsed < min || parsed > max)
        {
            return false;
        }

        value = (int)parsed;
        return true;
    }

    /// <summary>A string argument (quoted, or a bare token that some hosts send unquoted).</summary>
    public bool TryGetString(out string value)
    {
        value = Text ?? string.Empty;
        return Text is not null;
    }
}

/// <summary>
/// The parse of a whole command line after the "AT" prefix: the commands in order, or the first syntax error and
/// the character offset where it was found.
/// </summary>
internal readonly record struct AtCommandLine(IReadOnlyList<AtCommand> Commands, AtSyntaxError Error, int ErrorOffset)
{
    public bool IsValid => Error == AtSyntaxError.None;
}

/// <summary>
/// Pure parser of a command line (ITU-T V.250 §5.2 and §5.4, TS 27.007 §4): basic commands ("E0", "V1", "&amp;F",
/// "I", "Z", "S0=1") and extended commands ("+CMD", "+CMD=a,"b"", "+CMD?", "+CMD=?") separated by ';'.
/// Spaces outside strings are ignored, names are case-insensitive; strings keep their case and content.
/// </summary>
internal static class AtCommandLineParser
{
    /// <summary>No 27.007 command takes more; a longer list is garbage, not a command.</summary>
    public const int MaxArguments = 32;

    /// <summary>
    /// Finds the "AT" prefix (V.250 §5.2.1: characters before it are ignored) and returns the text after it, or
    /// false when the line holds no command at all.
    /// </summary>
    public static bool TryStripPrefix(string line, out string body)
    {
        for (var i = 0; i + 1 < line.Length; i++)
        {
            if ((line[i] is 'A' or 'a') && (line[i + 1] is 'T' or 't'))
            {
                body = line[(i + 2)..];
                return true;
            }
        }

        body = string.Empty;
        return false;
    }

    public static AtCommandLine Parse(string body)
    {
        var commands = new List<AtCommand>();
        var i = 0;
        while (true)
        {
            i = SkipSpaces(body, i);
            if (i >= body.Length)
            {
                return new AtCommandLine(commands, AtSyntaxError.None, 0);
            }

            var c = body[i];
            if (c == ';')
            {
                i++;
                continue;
            }

            AtSyntaxError error;
            if (c is '+' or '$' or '%' or '^' or '#' or '*')
            {
                error = ParseExtended(body, ref i, commands);
            }
            else if (char.IsAsciiLetter(c) || c == '&')
            {
                error = ParseBasic(body, ref i, commands);
            }
            else
            {
                error = AtSyntaxError.UnexpectedCharacter;
            }

            if (error != AtSyntaxError.None)
            {
                return new AtCommandLine(commands, error, i);
            }
        }
    }

    // V.250 §5.3.1: a basic command is one letter (or '&' and a letter) followed by an optional decimal number;
    // S-parameters are "Sn=value" / "Sn?".
    private static AtSyntaxError ParseBasic(string body, ref int i, List<AtCommand> commands)
    {
        var name = new StringBuilder();
        if (body[i] == '&')
        {
            i = SkipSpaces(body, i + 1);
            if (i >= body.Length || !char.IsAsciiLetter(body[i]))
            {
                return AtSyntaxError.MissingCommandName;
            }

            name.Append('&');
        }

        var letter = char.ToUpperInvariant(body[i]);
        name.Append(letter);
        i++;
        if (letter == 'S' && name.Length == 1)
        {
            var register = ReadDigits(body, ref i);
            if (register is null)
            {
                return AtSyntaxError.UnexpectedCharacter;
            }

            name.Append(register.Value);
            i = SkipSpaces(body, i);
            if (i < body.Length && body[i] == '?')
            {
                i++;
                commands.Add(new AtCommand(name.ToString(), AtCommandKind.Read, null, []));
                return AtSyntaxError.None;
            }

            if (i < body.Length && body[i] == '=')
            {
                i++;
                var value = ReadDigits(body, ref i);
                commands.Add(new AtCommand(name.ToString(), AtCommandKind.Set, value, []));
                return AtSyntaxError.None;
            }

            commands.Add(new AtCommand(name.ToString(), AtCommandKind.Action, null, []));
            return AtSyntaxError.None;
        }

        var number = ReadDigits(body, ref i);
        commands.Add(new AtCommand(name.ToString(), AtCommandKind.Action, number, []));
        return AtSyntaxError.None;
    }

    // TS 27.007 §4.1 / V.250 §5.4: "+NAME" then "=?", "=args", "?" or nothing; the command ends at ';' or the
    // end of the line. Names are letters, digits and a few punctuation marks.
    private static AtSyntaxError ParseExtended(string body, ref int i, List<AtCommand> commands)
    {
        var name = new StringBuilder();
        name.Append(body[i]);
        i++;
        while (i < body.Length && IsNameChar(body[i]))
        {
            name.Append(char.ToUpperInvariant(body[i]));
            i++;
        }

        if (name.Length == 1)
        {
            return AtSyntaxError.MissingCommandName;
        }

        i = SkipSpaces(body, i);
        if (i >= body.Length || body[i] == ';')
        {
            commands.Add(new AtCommand(name.ToString(), AtCommandKind.Action, null, []));
            return AtSyntaxError.None;
        }

        if (body[i] == '?')
        {
            i++;
            commands.Add(new AtCommand(name.ToString(), AtCommandKind.Read, null, []));
            return EndOfCommand(body, ref i);
        }

        if (body[i] != '=')
        {
            return AtSyntaxError.UnexpectedCharacter;
        }

        i = SkipSpaces(body, i + 1);
        if (i < body.Length && body[i] == '?')
        {
            i++;
            commands.Add(new AtCommand(name.ToString(), AtCommandKind.Test, null, []));
            return EndOfCommand(body, ref i);
        }

        var arguments = new List<AtArgument>();
        while (true)
        {
            i = SkipSpaces(body, i);
            if (arguments.Count == MaxArguments)
            {
                return AtSyntaxError.TooManyArguments;
            }

            if (i < body.Length && body[i] == '"')
            {
                var close = body.IndexOf('"', i + 1);
                if (close < 0)
                {
                    return AtSyntaxError.UnterminatedString;
                }

                arguments.Add(new AtArgument(body[(i + 1)..close], Quoted: true));
                i = SkipSpaces(body, close + 1);
            }
            else
            {
                var start = i;
                while (i < body.Length && body[i] is not (',' or ';') && body[i] != '"')
                {
                    i++;
                }

                var token = body[start..i].Replace(" ", string.Empty, StringComparison.Ordinal);
                arguments.Add(token.Length == 0 ? AtArgument.Omitted : new AtArgument(token, Quoted: false));
            }

            if (i >= body.Length || body[i] == ';')
            {
                break;
            }

            if (body[i] != ',')
            {
                return AtSyntaxError.UnexpectedCharacter;
            }

            i++;
        }

        commands.Add(new AtCommand(name.ToString(), AtCommandKind.Set, null, arguments));
        return AtSyntaxError.None;
    }

    private static AtSyntaxError EndOfCommand(string body, ref int i)
    {
        i = SkipSpaces(body, i);
        return i >= body.Length || body[i] == ';' ? AtSyntaxError.None : AtSyntaxError.UnexpectedCharacter;
    }

    private static bool IsNameChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '!' or '%' or '-' or '.' or '/' or ':' or '_';

    private static int? ReadDigits(string body, ref int i)
    {
        var start = i;
        var value = 0;
        while (i < body.Length && char.IsAsciiDigit(body[i]) && i - start < 9)
        {
            value = (value * 10) + (body[i] - '0');
            i++;
        }

        return i == start ? null : value;
    }

    private static int SkipSpaces(string body, int i)
    {
        while (i < body.Length && body[i] == ' ')
        {
            i++;
        }

        return i;
    }
}
