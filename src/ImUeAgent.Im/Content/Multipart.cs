// SPDX-License-Identifier: MIT
using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Im.Content;

/// <summary>One body part of a multipart entity (RFC 2046 §5.1): its headers and its body bytes (a slice of the input,
/// binary-safe). A part that is itself multipart carries the parsed <see cref="Nested"/> body.</summary>
public sealed class MimePart
{
    public MimePart(MimeHeaderList headers, ReadOnlyMemory<byte> body)
    {
        ArgumentNullException.ThrowIfNull(headers);
        Headers = headers;
        Body = body;
    }

    /// <summary>A part to build: Content-Type first, then the other headers in order.</summary>
    public MimePart(MediaType contentType, ReadOnlyMemory<byte> body, params IEnumerable<MimeHeader> otherHeaders)
        : this(new MimeHeaderList([new MimeHeader("Content-Type", (contentType ?? throw new ArgumentNullException(nameof(contentType))).ToString()), .. otherHeaders]), body)
    {
    }

    public MimeHeaderList Headers { get; }

    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>The parsed body when this part is multipart/*; null otherwise.</summary>
    public MultipartBody? Nested { get; internal init; }

    /// <summary>Offset of the part's first header byte in the outermost parsed input.</summary>
    public long Offset { get; internal init; }

    /// <summary>Content-Type; RFC 2046 §5.1: a part without one is text/plain; charset=us-ascii (this returns null
    /// then, so callers can tell).</summary>
    public MediaType? ContentType => Headers.ContentType;

    /// <summary>The Content-Disposition type (RFC 2183), e.g. "recipient-list", "notification"; null when absent.</summary>
    public string? Disposition =>
        Headers.GetValue("Content-Disposition") is { } v && MimeMediaType.TryParseDisposition(v, out string? type, out _) ? type : null;
}

/// <summary>A parsed multipart body: preamble, parts and epilogue (RFC 2046 §5.1.1).</summary>
public sealed class MultipartBody
{
    internal MultipartBody(ReadOnlyMemory<byte> preamble, IReadOnlyList<MimePart> parts, ReadOnlyMemory<byte> epilogue, bool closed)
    {
        Preamble = preamble;
        Parts = parts;
        Epilogue = epilogue;
        IsClosed = closed;
    }

    public ReadOnlyMemory<byte> Preamble { get; }

    public IReadOnlyList<MimePart> Parts { get; }

    public ReadOnlyMemory<byte> Epilogue { get; }

    /// <summary>False only for a lenient parse that reached the end without "--boundary--".</summary>
    public bool IsClosed { get; }
}

/// <summary>Caps and tolerance for <see cref="Multipart.Parse(ReadOnlyMemory{byte}, string, MultipartOptions?)"/>.</summary>
public sealed record MultipartOptions
{
    public static MultipartOptions Default { get; } = new();

    /// <summary>Accepts the hand-written forms seen in the OMA seed examples (Appendix D.2): bare LF, indented
    /// delimiter lines, "--boundary-" as close delimiter, a missing close delimiter, part headers not followed by an
    /// empty line.</summary>
    public static MultipartOptions Lenient { get; } = new() { IsLenient = true };

    public bool IsLenient { get; init; }

    public int MaxParts { get; init; } = 64;

    public int MaxDepth { get; init; } = 4;

    public int MaxSize { get; init; } = 16 * 1024 * 1024;
}

/// <summary>RFC 2046 §5.1 multipart parse and build.</summary>
public static class Multipart
{
    /// <summary>bchars (RFC 2046 §5.1.1) without the space, which may not end a boundary anyway.</summary>
    private const string BoundaryAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>Parses a multipart body whose Content-Type is <paramref name="contentType"/>.</summary>
    public static ContentResult<MultipartBody> Parse(ReadOnlyMemory<byte> body, MediaType contentType, MultipartOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(contentType);
        if (!string.Equals(contentType.Type, "multipart", StringComparison.OrdinalIgnoreCase))
        {
            return ContentResult<MultipartBody>.Fail(ContentError.UnsupportedContentType, 0);
        }

        return contentType.Boundary is { } b ? Parse(body, b, options) : ContentResult<MultipartBody>.Fail(ContentError.InvalidBoundary, 0);
    }

    public static ContentResult<MultipartBody> Parse(ReadOnlyMemory<byte> body, string boundary, MultipartOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(boundary);
        options ??= MultipartOptions.Default;
        if (!IsValidBoundary(boundary))
        {
            return ContentResult<MultipartBody>.Fail(ContentError.InvalidBoundary, 0);
        }

        if (body.Length > options.MaxSize)
        {
            return ContentResult<MultipartBody>.Fail(ContentError.TooLarge, options.MaxSize);
        }

        return ParseAt(body, Encoding.ASCII.GetBytes("--" + boundary), options, 0, 0);
    }

    /// <summary>A fresh boundary: "=_" and 24 random alphanumerics (RFC 2046 §5.1.1: must not occur in the
    /// parts; the '=' and '_' make a collision with quoted-printable or base64 text impossible and with other text
    /// vanishingly unlikely; <see cref="Build"/> checks anyway).</summary>
    public static string NewBoundary() => "=_" + RandomNumberGenerator.GetString(BoundaryAlphabet, 24);

    /// <summary>The multipart/mixed Content-Type for a boundary.</summary>
    public static MediaType MixedType(string boundary) => new("multipart", "mixed", MimeMediaType.Parameter("boundary", boundary));

    /// <summary>Serializes parts: "--boundary CRLF headers CRLF body CRLF" for each, then "--boundary--" CRLF.
    /// Throws when a part contains the delimiter (pick another boundary).</summary>
    public static byte[] Build(string boundary, IEnumerable<MimePart> parts)
    {
        var writer = new ArrayBufferWriter<byte>(512);
        Write(writer, boundary, parts);
        return writer.WrittenSpan.ToArray();
    }

    public static void Write(IBufferWriter<byte> writer, string boundary, IEnumerable<MimePart> parts)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(parts);
        if (!IsValidBoundary(boundary))
        {
            throw new ArgumentException("Boundary must be 1 to 70 bchars not ending with a space (RFC 2046 §5.1.1)", nameof(boundary));
        }

        byte[] delimiter = Encoding.ASCII.GetBytes("--" + boundary);
        foreach (MimePart part in parts)
        {
            if (part.Body.Span.IndexOf(delimiter) >= 0)
            {
                throw new ArgumentException("A part contains the boundary delimiter", nameof(parts));
            }

            writer.Write(delimiter);
            writer.Write("\r\n"u8);
            part.Headers.WriteTo(writer);
            writer.Write("\r\n"u8);
            writer.Write(part.Body.Span);
            writer.Write("\r\n"u8);
        }

        writer.Write(delimiter);
        writer.Write("--\r\n"u8);
    }

    /// <summary>RFC 2046 §5.1.1: boundary := 0*69&lt;bchars&gt; bcharsnospace.</summary>
    public static bool IsValidBoundary(string boundary)
    {
        if (string.IsNullOrEmpty(boundary) || boundary.Length > 70 || boundary[^1] == ' ')
        {
            return false;
        }

        foreach (char c in boundary)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || "'()+_,-./:=? ".Contains(c, StringComparison.Ordinal)))
            {
                return false;
            }
        }

        return true;
    }

    private static ContentResult<MultipartBody> ParseAt(ReadOnlyMemory<byte> memory, byte[] delimiter, MultipartOptions options, long baseOffset, int depth)
    {
        ReadOnlySpan<byte> body = memory.Span;
        Delimiter first = FindDelimiter(body, delimiter, 0, options.IsLenient, true);
        if (first.LineStart < 0)
        {
            return ContentResult<MultipartBody>.Fail(ContentError.BoundaryNotFound, baseOffset);
        }

        ReadOnlyMemory<byte> preamble = memory[..first.BodyEnd];
        var parts = new List<MimePart>();
        Delimiter current = first;
        while (!current.IsClose)
        {
            int partStart = current.Next;
            Delimiter next = FindDelimiter(body, delimiter, partStart, options.IsLenient, false);
            int partEnd;
            if (next.LineStart < 0)
            {
                if (!options.IsLenient)
                {
                    return ContentResult<MultipartBody>.Fail(ContentError.MissingCloseDelimiter, baseOffset + body.Length);
                }

                partEnd = TrimTrailingNewlines(body, partStart, body.Length);
            }
            else
            {
                partEnd = next.BodyEnd;
            }

            if (parts.Count >= options.MaxParts)
            {
                return ContentResult<MultipartBody>.Fail(ContentError.TooManyParts, baseOffset + partStart);
            }

            ContentResult<MimePart> part = ParsePart(memory[partStart..partEnd], options, baseOffset + partStart, depth);
            if (!part.IsSuccess)
            {
                return part.Cast<MultipartBody>();
            }

            parts.Add(part.Value!);
            if (next.LineStart < 0)
            {
                return ContentResult<MultipartBody>.Ok(new MultipartBody(preamble, parts, default, false));
            }

            current = next;
        }

        return ContentResult<MultipartBody>.Ok(new MultipartBody(preamble, parts, memory[current.Next..], true));
    }

    private static ContentResult<MimePart> ParsePart(ReadOnlyMemory<byte> part, MultipartOptions options, long offset, int depth)
    {
        ReadOnlySpan<byte> span = part.Span;
        var headers = new List<MimeHeader>();
        int bodyStart;
        if (!options.IsLenient && span.StartsWith("\r\n"u8))
        {
            bodyStart = 2;
        }
        else if (span.IsEmpty)
        {
            bodyStart = 0;
        }
        else
        {
            HeaderBlockOptions hb = options.IsLenient ? HeaderBlockOptions.Lenient : HeaderBlockOptions.Strict;
            ContentError e = HeaderBlockReader.Read(span, hb, headers, out bodyStart, out int errorOffset);
            if (e != ContentError.None)
            {
                return ContentResult<MimePart>.Fail(e, offset + errorOffset);
            }
        }

        var list = new MimeHeaderList(headers);
        ReadOnlyMemory<byte> body = part[bodyStart..];
        MultipartBody? nested = null;
        if (list.ContentType is { } type && string.Equals(type.Type, "multipart", StringComparison.OrdinalIgnoreCase))
        {
            if (depth + 1 >= options.MaxDepth)
            {
                return ContentResult<MimePart>.Fail(ContentError.NestingTooDeep, offset);
            }

            if (type.Boundary is not { } b || !IsValidBoundary(b))
            {
                return ContentResult<MimePart>.Fail(ContentError.InvalidBoundary, offset);
            }

            ContentResult<MultipartBody> inner = ParseAt(body, Encoding.ASCII.GetBytes("--" + b), options, offset + bodyStart, depth + 1);
            if (!inner.IsSuccess)
            {
                return inner.Cast<MimePart>();
            }

            nested = inner.Value;
        }

        return ContentResult<MimePart>.Ok(new MimePart(list, body) { Nested = nested, Offset = offset });
    }

    /// <summary>Finds the next delimiter line at or after <paramref name="from"/>. RFC 2046 §5.1.1: the CRLF before
    /// "--boundary" belongs to the delimiter; then "--" for the close delimiter, then transport padding (LWSP) and
    /// CRLF.</summary>
    private static Delimiter FindDelimiter(ReadOnlySpan<byte> body, ReadOnlySpan<byte> delimiter, int from, bool lenient, bool first)
    {
        int pos = from;
        while (pos <= body.Length - delimiter.Length)
        {
            int i = body[pos..].IndexOf(delimiter);
            if (i < 0)
            {
                return Delimiter.None;
            }

            int at = pos + i;
            pos = at + 1;

            // Where the line starts and where the previous part's body ends.
            int lineStart = at;
            if (lenient)
            {
                while (lineStart > from && body[lineStart - 1] is (byte)' ' or (byte)'\t')
                {
                    lineStart--;
                }
            }

            int bodyEnd;
            if (lineStart == 0 || (first && lineStart == from && from == 0))
            {
                bodyEnd = 0;
            }
            else if (lineStart >= 2 && body[lineStart - 1] == '\n' && body[lineStart - 2] == '\r')
            {
                bodyEnd = lineStart - 2;
            }
            else if (lenient && body[lineStart - 1] == '\n')
            {
                bodyEnd = lineStart - 1;
            }
            else if (lineStart == from && !first)
            {
                // An empty part directly after the previous delimiter line.
                bodyEnd = from;
            }
            else
            {
                continue;
            }

            if (bodyEnd < from)
            {
                bodyEnd = from;
            }

            // What follows "--boundary".
            int t = at + delimiter.Length;
            bool close = false;
            if (t + 2 <= body.Length && body[t] == '-' && body[t + 1] == '-')
            {
                close = true;
                t += 2;
            }
            else if (lenient && t < body.Length && body[t] == '-')
            {
                close = true;
                t += 1;
            }

            while (t < body.Length && body[t] is (byte)' ' or (byte)'\t')
            {
                t++;
            }

            if (t == body.Length)
            {
                if (close || lenient)
                {
                    return new Delimiter(lineStart, bodyEnd, t, close);
                }

                continue;
            }

            if (body[t] == '\r' && t + 1 < body.Length && body[t + 1] == '\n')
            {
                return new Delimiter(lineStart, bodyEnd, t + 2, close);
            }

            if (lenient && body[t] == '\n')
            {
                return new Delimiter(lineStart, bodyEnd, t + 1, close);
            }

            // "--boundaryX": the boundary is only a prefix of this line; keep looking.
        }

        return Delimiter.None;
    }

    private static int TrimTrailingNewlines(ReadOnlySpan<byte> body, int start, int end)
    {
        while (end > start && body[end - 1] is (byte)'\r' or (byte)'\n' or (byte)' ' or (byte)'\t')
        {
            end--;
        }

        return end;
    }

    private readonly record struct Delimiter(int LineStart, int BodyEnd, int Next, bool IsClose)
    {
        public static Delimiter None => new(-1, -1, -1, false);
    }
}
