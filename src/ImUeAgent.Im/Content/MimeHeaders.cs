// SPDX-License-Identifier: MIT
using System.Buffers;
using System.Collections;
using System.Text;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Im.Content;

/// <summary>One "Name: value" header of a MIME entity, a CPIM content header or an encapsulated MSRP request. The
/// name keeps its spelling; the value is UTF-8 text with folds unfolded to a single SP (RFC 5322 §2.2.3) and outer
/// whitespace trimmed.</summary>
public sealed class MimeHeader
{
    public MimeHeader(string name, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(value);
        Name = name;
        Value = value;
    }

    public string Name { get; }

    public string Value { get; }

    public override string ToString() => Name + ": " + Value;
}

/// <summary>An ordered header list with case-insensitive lookup (RFC 2045 §5.1, RFC 5322 §1.2.2: field names are
/// case-insensitive).</summary>
public sealed class MimeHeaderList : IReadOnlyList<MimeHeader>
{
    private readonly MimeHeader[] _items;
    private MediaType? _contentType;
    private bool _contentTypeParsed;

    public MimeHeaderList(IEnumerable<MimeHeader> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        _items = [.. headers];
    }

    public static MimeHeaderList Empty { get; } = new([]);

    public int Count => _items.Length;

    public MimeHeader this[int index] => _items[index];

    /// <summary>The first header with this name, or null.</summary>
    public MimeHeader? Find(string name)
    {
        foreach (MimeHeader h in _items)
        {
            if (string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return h;
            }
        }

        return null;
    }

    public string? GetValue(string name) => Find(name)?.Value;

    public int CountOf(string name)
    {
        int n = 0;
        foreach (MimeHeader h in _items)
        {
            if (string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                n++;
            }
        }

        return n;
    }

    /// <summary>Content-Type parsed; null when absent or malformed (<see cref="MimeMediaType.TryParse"/> tells which).</summary>
    public MediaType? ContentType
    {
        get
        {
            if (!_contentTypeParsed)
            {
                string? v = GetValue("Content-Type");
                _contentType = v is not null && MimeMediaType.TryParse(v, out MediaType? m) ? m : null;
                _contentTypeParsed = true;
            }

            return _contentType;
        }
    }

    public IEnumerator<MimeHeader> GetEnumerator() => ((IEnumerable<MimeHeader>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Writes "Name: value CRLF" for each header (no terminating empty line).</summary>
    internal void WriteTo(IBufferWriter<byte> writer)
    {
        foreach (MimeHeader h in _items)
        {
            ContentText.WriteHeader(writer, h.Name, h.Value);
        }
    }
}

/// <summary>How tolerant a header-block read is.</summary>
internal readonly record struct HeaderBlockOptions
{
    public HeaderBlockOptions()
    {
    }

    public int MaxHeaders { get; init; } = 64;

    public int MaxLineLength { get; init; } = 8 * 1024;

    /// <summary>Accept LF without CR as a line end (common in hand-written bodies; RFC 2046 asks for CRLF).</summary>
    public bool AllowBareLf { get; init; } = true;

    /// <summary>The first line that is not "name: value" ends the block and starts the body (the seed's Appendix D.2
    /// examples omit the empty line between part headers and part body).</summary>
    public bool EndAtNonHeaderLine { get; init; }

    /// <summary>The input may end without the empty line (a header-only block, e.g. a sipfrag without body).</summary>
    public bool AllowEndOfInput { get; init; }

    /// <summary>Leading whitespace is stray indentation, not folding, and blank lines before the first header are
    /// skipped (hand-written examples; never on the strict path).</summary>
    public bool IgnoreIndentation { get; init; }

    public static HeaderBlockOptions Strict => new();

    public static HeaderBlockOptions Lenient => new() { EndAtNonHeaderLine = true, AllowEndOfInput = true, IgnoreIndentation = true };
}

/// <summary>Reads a block of header lines terminated by an empty line (RFC 5322 §2.2, RFC 2045 §3).</summary>
internal static class HeaderBlockReader
{
    /// <summary>Reads headers from the start of <paramref name="input"/>. On success <paramref name="consumed"/> is the
    /// offset of the first body byte (after the empty line).</summary>
    public static ContentError Read(ReadOnlySpan<byte> input, in HeaderBlockOptions options, List<MimeHeader> sink, out int consumed, out int errorOffset)
    {
        consumed = 0;
        errorOffset = 0;
        int pos = 0;
        string? pendingName = null;
        StringBuilder? pendingValue = null;
        while (true)
        {
            if (pos >= input.Length)
            {
                if (!options.AllowEndOfInput)
                {
                    errorOffset = pos;
                    return ContentError.HeadersNotTerminated;
                }

                Flush(sink, ref pendingName, ref pendingValue);
                consumed = input.Length;
                return sink.Count > options.MaxHeaders ? Fail(out errorOffset, pos, ContentError.TooManyHeaders) : ContentError.None;
            }

            ReadOnlySpan<byte> rest = input[pos..];
            int lf = rest.IndexOf((byte)'\n');
            int lineLength;
            int next;
            if (lf < 0)
            {
                lineLength = rest.Length;
                next = input.Length;
            }
            else
            {
                bool crlf = lf > 0 && rest[lf - 1] == '\r';
                if (!crlf && !options.AllowBareLf)
                {
                    return Fail(out errorOffset, pos + lf, ContentError.InvalidHeaderLine);
                }

                lineLength = crlf ? lf - 1 : lf;
                next = pos + lf + 1;
            }

            if (lineLength > options.MaxLineLength)
            {
                return Fail(out errorOffset, pos, ContentError.LineTooLong);
            }

            ReadOnlySpan<byte> line = rest[..lineLength];
            if (line.IndexOf((byte)'\r') >= 0)
            {
                return Fail(out errorOffset, pos + line.IndexOf((byte)'\r'), ContentError.InvalidHeaderLine);
            }

            if (options.IgnoreIndentation)
            {
                line = ContentText.Trim(line);
                if (line.IsEmpty && sink.Count == 0 && pendingName is null)
                {
                    pos = next;
                    continue;
                }
            }

            if (line.IsEmpty)
            {
                if (lf < 0 && !options.AllowEndOfInput)
                {
                    errorOffset = pos;
                    return ContentError.HeadersNotTerminated;
                }

                Flush(sink, ref pendingName, ref pendingValue);
                consumed = next;
                return sink.Count > options.MaxHeaders ? Fail(out errorOffset, pos, ContentError.TooManyHeaders) : ContentError.None;
            }

            if (line[0] is (byte)' ' or (byte)'\t')
            {
                if (pendingName is null)
                {
                    if (options.EndAtNonHeaderLine)
                    {
                        consumed = pos;
                        return ContentError.None;
                    }

                    return Fail(out errorOffset, pos, ContentError.UnexpectedContinuation);
                }

                pendingValue!.Append(' ').Append(Encoding.UTF8.GetString(ContentText.Trim(line)));
                pos = next;
                continue;
            }

            int colon = line.IndexOf((byte)':');
            ReadOnlySpan<byte> name = colon <= 0 ? default : ContentText.TrimEnd(line[..colon]);
            if (colon <= 0 || !ContentText.IsFieldName(name))
            {
                if (options.EndAtNonHeaderLine)
                {
                    Flush(sink, ref pendingName, ref pendingValue);
                    consumed = pos;
                    return ContentError.None;
                }

                return Fail(out errorOffset, pos, ContentError.InvalidHeaderLine);
            }

            Flush(sink, ref pendingName, ref pendingValue);
            if (sink.Count >= options.MaxHeaders)
            {
                return Fail(out errorOffset, pos, ContentError.TooManyHeaders);
            }

            pendingName = Encoding.ASCII.GetString(name);
            pendingValue = new StringBuilder(Encoding.UTF8.GetString(ContentText.Trim(line[(colon + 1)..])));
            pos = next;
        }
    }

    private static void Flush(List<MimeHeader> sink, ref string? name, ref StringBuilder? value)
    {
        if (name is not null)
        {
            sink.Add(new MimeHeader(name, value!.ToString()));
            name = null;
            value = null;
        }
    }

    private static ContentError Fail(out int errorOffset, int offset, ContentError error)
    {
        errorOffset = offset;
        return error;
    }
}

/// <summary>Byte-level helpers shared by the codecs.</summary>
internal static class ContentText
{
    /// <summary>RFC 5322 §3.6.8 ftext: printable US-ASCII except ':'.</summary>
    private static readonly SearchValues<byte> FieldNameChars = SearchValues.Create(
        "!\"#$%&'()*+,-./0123456789;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"u8);

    /// <summary>RFC 2045 §5.1 token: any CHAR except SPACE, CTLs and tspecials.</summary>
    private static readonly SearchValues<char> MimeTokenChars = SearchValues.Create(
        "!#$%&'*+-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ^_`abcdefghijklmnopqrstuvwxyz{|}~");

    private static readonly SearchValues<char> AlphaNumerics = SearchValues.Create(
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    public static bool IsFieldName(ReadOnlySpan<byte> name) => !name.IsEmpty && !name.ContainsAnyExcept(FieldNameChars);

    public static bool IsMimeToken(ReadOnlySpan<char> s) => !s.IsEmpty && !s.ContainsAnyExcept(MimeTokenChars);

    public static bool IsAlphaNumeric(ReadOnlySpan<char> s) => !s.IsEmpty && !s.ContainsAnyExcept(AlphaNumerics);

    public static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> s) => TrimEnd(TrimStart(s));

    public static ReadOnlySpan<byte> TrimStart(ReadOnlySpan<byte> s)
    {
        int i = 0;
        while (i < s.Length && s[i] is (byte)' ' or (byte)'\t')
        {
            i++;
        }

        return s[i..];
    }

    public static ReadOnlySpan<byte> TrimEnd(ReadOnlySpan<byte> s)
    {
        int n = s.Length;
        while (n > 0 && s[n - 1] is (byte)' ' or (byte)'\t')
        {
            n--;
        }

        return s[..n];
    }

    /// <summary>Writes "name: value CRLF", refusing CR/LF in either (no header injection).</summary>
    public static void WriteHeader(IBufferWriter<byte> writer, string name, string value)
    {
        if (name.AsSpan().IndexOfAny('\r', '\n') >= 0 || value.AsSpan().IndexOfAny('\r', '\n') >= 0)
        {
            throw new ArgumentException("Header names and values must not contain CR or LF");
        }

        WriteUtf8(writer, name);
        writer.Write(": "u8);
        WriteUtf8(writer, value);
        writer.Write("\r\n"u8);
    }

    public static void WriteUtf8(IBufferWriter<byte> writer, string text)
    {
        int max = Encoding.UTF8.GetMaxByteCount(text.Length);
        Span<byte> span = writer.GetSpan(max);
        int n = Encoding.UTF8.GetBytes(text, span);
        writer.Advance(n);
    }

    /// <summary>Offset of <paramref name="needle"/> at the start of a line (offset 0 or after LF), or -1.</summary>
    public static int IndexOfAtLineStart(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle, int from)
    {
        int pos = from;
        while (pos <= haystack.Length - needle.Length)
        {
            int i = haystack[pos..].IndexOf(needle);
            if (i < 0)
            {
                return -1;
            }

            int at = pos + i;
            if (at == 0 || haystack[at - 1] == '\n')
            {
                return at;
            }

            pos = at + 1;
        }

        return -1;
    }
}
