// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Text;

namespace ImUeAgent.Modem.At;

/// <summary>The shape of one comma-separated field of an information text (V.250 §5.7.2, 27.007 §4.1).</summary>
public enum AtValueKind
{
    /// <summary>Nothing between two commas: an omitted optional parameter (27.007 "[,[&lt;lac&gt;]...").</summary>
    Empty,

    /// <summary>A decimal integer, optionally negative (vendor RSRP/RSSI values).</summary>
    Number,

    /// <summary>A string constant in double quotes (V.250 §5.4.2.2).</summary>
    QuotedString,

    /// <summary>An unquoted range <c>a-b</c>, as inside test-command answers <c>(1-5)</c>.</summary>
    Range,

    /// <summary>A parenthesised compound value <c>(0,1,2)</c> or <c>(1-24)</c>; read it with <see cref="AtValue.Items"/>.</summary>
    List,

    /// <summary>Any other unquoted text, e.g. <c>ME PDN ACT 1</c> (+CGEV) or unquoted hexadecimal.</summary>
    Token,
}

/// <summary>Why the value grammar rejected an information text (closed set, STYLE.md §4).</summary>
public enum AtValueError
{
    None = 0,

    /// <summary>A string constant without its closing quote.</summary>
    UnterminatedString,

    /// <summary>'(' without ')' or ')' without '('.</summary>
    UnbalancedParenthesis,

    /// <summary>Text after a closing quote or parenthesis that is not a comma.</summary>
    TrailingCharacters,

    /// <summary>Parentheses nested deeper than <see cref="AtValueReader.MaxNesting"/>.</summary>
    NestingTooDeep,
}

/// <summary>One field cut by <see cref="AtValueReader"/>. It slices the text it came from.</summary>
public readonly ref struct AtValue
{
    internal AtValue(AtValueKind kind, ReadOnlySpan<char> raw)
    {
        Kind = kind;
        Raw = raw;
    }

    public AtValueKind Kind { get; }

    /// <summary>The field's text: between the quotes (still escaped) for strings, inside the parentheses for lists.</summary>
    public ReadOnlySpan<char> Raw { get; }

    public bool IsEmpty => Kind == AtValueKind.Empty;

    public bool TryGetInt32(out int value)
    {
        value = 0;
        return Kind == AtValueKind.Number
            && int.TryParse(Raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    public bool TryGetInt64(out long value)
    {
        value = 0;
        return Kind == AtValueKind.Number
            && long.TryParse(Raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>
    /// Reads a hexadecimal value, quoted ("00C3", 27.007 &lt;lac&gt;/&lt;tac&gt;/&lt;ci&gt;) or not (some firmware
    /// drops the quotes, 27.007 &lt;ext_info&gt; is unquoted hexadecimal).
    /// </summary>
    public bool TryGetHex(out ulong value)
    {
        value = 0;
        if (Kind is not (AtValueKind.QuotedString or AtValueKind.Number or AtValueKind.Token) || Raw.IsEmpty || Raw.Length > 16)
        {
            return false;
        }

        return ulong.TryParse(Raw, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>A range <c>a-b</c>; a single number is the range <c>a-a</c>.</summary>
    public bool TryGetRange(out long first, out long last)
    {
        first = last = 0;
        if (Kind == AtValueKind.Number)
        {
            if (!TryGetInt64(out first))
            {
                return false;
            }

            last = first;
            return true;
        }

        if (Kind != AtValueKind.Range)
        {
            return false;
        }

        var skip = Raw[0] == '-' ? 1 : 0;
        var dash = Raw[skip..].IndexOf('-') + skip;
        return long.TryParse(Raw[..dash], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out first)
            && long.TryParse(Raw[(dash + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out last);
    }

    /// <summary>
    /// The field as text: strings unescaped (V.250 §5.4.2.2 "\hh"; "\"" and "\\" as firmware writes them; any other
    /// backslash kept as it is), every other kind as written.
    /// </summary>
    public string GetString() => Kind == AtValueKind.QuotedString ? Unescape(Raw) : Raw.ToString();

    /// <summary>The items of a parenthesised list, read with the same grammar.</summary>
    public AtValueReader Items => Kind == AtValueKind.List ? new AtValueReader(Raw) : default;

    public override string ToString() => $"{Kind}:{Raw}";

    internal static string Unescape(ReadOnlySpan<char> raw)
    {
        if (raw.IndexOf('\\') < 0)
        {
            return raw.ToString();
        }

        var builder = new StringBuilder(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c == '\\' && IsHexPair(raw, i + 1))
            {
                builder.Append((char)int.Parse(raw.Slice(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
                i += 2;
            }
            else if (c == '\\' && i + 1 < raw.Length && raw[i + 1] is '"' or '\\')
            {
                builder.Append(raw[i + 1]);
                i++;
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private static bool IsHexPair(ReadOnlySpan<char> raw, int at)
        => at + 1 < raw.Length && char.IsAsciiHexDigit(raw[at]) && char.IsAsciiHexDigit(raw[at + 1]);
}

/// <summary>
/// Tokenizer for the values of an information text or URC, <c>+NAME: a,"b",(1-5),,x</c> (V.250 §5.7.2; 27.007 §4.1
/// compound values). The same reader serves solicited answers and URCs. Pure and allocation-free: fields slice the
/// input.
/// </summary>
public ref struct AtValueReader
{
    /// <summary>Depth cap for nested parentheses (+COPS=? nests one level; 8 leaves room for vendors).</summary>
    public const int MaxNesting = 8;

    private readonly ReadOnlySpan<char> _text;
    private int _position;
    private bool _done;

    public AtValueReader(ReadOnlySpan<char> values)
    {
        _text = values;
        _done = values.Trim(' ').IsEmpty;
    }

    /// <summary>Set when <see cref="TryRead"/> returned false because the text is malformed.</summary>
    public AtValueError Error { get; private set; }

    /// <summary>Offset in the text where <see cref="Error"/> was found.</summary>
    public int ErrorPosition { get; private set; }

    /// <summary>True when every field has been read without error.</summary>
    public readonly bool IsAtEnd => _done && Error == AtValueError.None;

    /// <summary>
    /// Splits a line into its name and values: <c>+CEREG: 1,"00C3"</c> gives <c>+CEREG</c> and <c>1,"00C3"</c>. A line
    /// without a name (an IMEI, "Quectel") has an empty name and is all values.
    /// </summary>
    public static AtValueReader ForLine(ReadOnlySpan<char> line, out ReadOnlySpan<char> name)
    {
        var colon = NameLength(line);
        if (colon < 0)
        {
            name = [];
            return new AtValueReader(line);
        }

        name = line[..colon].TrimEnd(' ');
        return new AtValueReader(line[(colon + 1)..]);
    }

    /// <summary>Length of the name before ':' (name characters only: letters, digits, symbols, space), or -1.</summary>
    internal static int NameLength(ReadOnlySpan<char> line)
    {
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c == ':')
            {
                return i == 0 ? -1 : i;
            }

            if (!(char.IsAsciiLetterOrDigit(c) || c is '+' or '^' or '$' or '%' or '#' or '*' or '&' or '_' or '-' or '.' or ' '))
            {
                return -1;
            }
        }

        return -1;
    }

    /// <summary>Reads the next field; false at the end or on malformed text (then <see cref="Error"/> says why).</summary>
    public bool TryRead(out AtValue value)
    {
        value = default;
        if (_done)
        {
            return false;
        }

        var text = _text;
        var i = _position;
        while (i < text.Length && text[i] == ' ')
        {
            i++;
        }

        int end;
        if (i < text.Length && text[i] == '"')
        {
            var close = i + 1;
            while (true)
            {
                if (close >= text.Length)
                {
                    return Fail(AtValueError.UnterminatedString, i);
                }

                if (text[close] == '\\' && close + 1 < text.Length && text[close + 1] is '"' or '\\')
                {
                    close += 2;
                    continue;
                }

                if (text[close] == '"')
                {
                    break;
                }

                close++;
            }

            value = new AtValue(AtValueKind.QuotedString, text[(i + 1)..close]);
            end = close + 1;
        }
        else if (i < text.Length && text[i] == '(')
        {
            var close = MatchingParenthesis(text, i, out var error);
            if (error != AtValueError.None)
            {
                return Fail(error, i);
            }

            value = new AtValue(AtValueKind.List, text[(i + 1)..close]);
            end = close + 1;
        }
        else
        {
            var comma = text[i..].IndexOf(',');
            end = comma < 0 ? text.Length : i + comma;
            var raw = text[i..end].Trim(' ');
            if (raw.IndexOfAny('"', '(', ')') >= 0)
            {
                return Fail(raw.Contains('"') ? AtValueError.TrailingCharacters : AtValueError.UnbalancedParenthesis, i);
            }

            value = new AtValue(Classify(raw), raw);
        }

        while (end < text.Length && text[end] == ' ')
        {
            end++;
        }

        if (end >= text.Length)
        {
            _done = true;
            _position = text.Length;
            return true;
        }

        if (text[end] != ',')
        {
            value = default;
            return Fail(AtValueError.TrailingCharacters, end);
        }

        _position = end + 1;
        return true;
    }

    /// <summary>Reads the next field as an integer; false if missing, empty or not a number.</summary>
    public bool TryReadInt32(out int number)
    {
        number = 0;
        return TryRead(out var value) && value.TryGetInt32(out number);
    }

    /// <summary>Skips <paramref name="count"/> fields; false if there were fewer.</summary>
    public bool Skip(int count)
    {
        for (var i = 0; i < count; i++)
        {
            if (!TryRead(out _))
            {
                return false;
            }
        }

        return true;
    }

    private bool Fail(AtValueError error, int position)
    {
        Error = error;
        ErrorPosition = position;
        _done = true;
        return false;
    }

    private static AtValueKind Classify(ReadOnlySpan<char> raw)
    {
        if (raw.IsEmpty)
        {
            return AtValueKind.Empty;
        }

        var digits = raw[0] == '-' ? raw[1..] : raw;
        if (digits.IsEmpty)
        {
            return AtValueKind.Token;
        }

        var dash = digits.IndexOf('-');
        if (dash < 0)
        {
            return IsDigits(digits) ? AtValueKind.Number : AtValueKind.Token;
        }

        var high = digits[(dash + 1)..];
        if (!high.IsEmpty && high[0] == '-')
        {
            high = high[1..];
        }

        return IsDigits(digits[..dash]) && IsDigits(high) ? AtValueKind.Range : AtValueKind.Token;
    }

    private static bool IsDigits(ReadOnlySpan<char> text) => !text.IsEmpty && !text.ContainsAnyExceptInRange('0', '9');

    private static int MatchingParenthesis(ReadOnlySpan<char> text, int open, out AtValueError error)
    {
        var depth = 0;
        var quoted = false;
        for (var i = open; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }

                continue;
            }

            switch (c)
            {
                case '"':
                    quoted = true;
                    break;
                case '(':
                    if (++depth > MaxNesting)
                    {
                        error = AtValueError.NestingTooDeep;
                        return -1;
                    }

                    break;
                case ')':
                    if (--depth == 0)
                    {
                        error = AtValueError.None;
                        return i;
                    }

                    break;
            }
        }

        error = quoted ? AtValueError.UnterminatedString : AtValueError.UnbalancedParenthesis;
        return -1;
    }
}
