// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Im.Content;

/// <summary>An MSRP SEND request stored as text (message/msrp, OMA SIMPLE IM Appendix D.2: the IM Server keeps the
/// SEND it received, with its receive timestamp, and pushes it encapsulated). This is a whole-text parser for a
/// complete, stored request — the live MSRP stream is framed by the Msrp project.</summary>
public sealed class MsrpSendText
{
    private MsrpSendText(string transactionId, MimeHeaderList headers, ReadOnlyMemory<byte> body, char flag, bool repaired)
    {
        TransactionId = transactionId;
        Headers = headers;
        Body = body;
        ContinuationFlag = flag;
        IsRepaired = repaired;
    }

    public string TransactionId { get; }

    public MimeHeaderList Headers { get; }

    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>'$' complete, '+' more chunks follow, '#' aborted (RFC 4975 §7.1.1).</summary>
    public char ContinuationFlag { get; }

    /// <summary>True when the text only parsed after the hand-written-example repairs (indentation, LF line ends,
    /// missing empty line).</summary>
    public bool IsRepaired { get; }

    public string? MessageId => Headers.GetValue("Message-ID");

    public string? ToPath => Headers.GetValue("To-Path");

    public string? FromPath => Headers.GetValue("From-Path");

    public MediaType? ContentType => Headers.ContentType;

    public string? ByteRange => Headers.GetValue("Byte-Range");

    /// <summary>Date header the IM Server adds with its receive timestamp (Appendix D.2 example).</summary>
    public DateTimeOffset? Date => SipHeaderText.ParseDate(Headers.GetValue("Date"));

    /// <summary>Parses "MSRP tid SEND" CRLF headers [CRLF body CRLF] "-------tid" flag (RFC 4975 §9). Strict
    /// first; with <paramref name="lenient"/>, retries with the repairs the seed's examples need.</summary>
    public static ContentResult<MsrpSendText> Parse(ReadOnlyMemory<byte> text, bool lenient = false, int maxSize = 1024 * 1024)
    {
        if (text.Length > maxSize)
        {
            return ContentResult<MsrpSendText>.Fail(ContentError.TooLarge, maxSize);
        }

        ContentResult<MsrpSendText> strict = ParseCore(text, strict: true);
        if (strict.IsSuccess || !lenient)
        {
            return strict;
        }

        ContentResult<MsrpSendText> repaired = ParseCore(text, strict: false);
        return repaired.IsSuccess ? repaired : strict;
    }

    private static ContentResult<MsrpSendText> ParseCore(ReadOnlyMemory<byte> memory, bool strict)
    {
        ReadOnlySpan<byte> span = memory.Span;
        int start = 0;
        if (!strict)
        {
            while (start < span.Length && span[start] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                start++;
            }
        }

        int lf = span[start..].IndexOf((byte)'\n');
        if (lf < 0)
        {
            return ContentResult<MsrpSendText>.Fail(ContentError.InvalidMsrpStartLine, start);
        }

        ReadOnlySpan<byte> line = span.Slice(start, lf);
        if (line.EndsWith("\r"u8))
        {
            line = line[..^1];
        }
        else if (strict)
        {
            return ContentResult<MsrpSendText>.Fail(ContentError.InvalidMsrpStartLine, start + lf);
        }

        // RFC 4975 §9: req-start = pMSRP SP transact-id SP method CRLF; transact-id = ident (4 to 32 chars).
        string startLine = Encoding.ASCII.GetString(strict ? line : ContentText.Trim(line));
        string[] words = startLine.Split(' ');
        if (words.Length != 3 || words[0] != "MSRP" || words[1].Length is < 4 or > 32 || !ContentText.IsMimeToken(words[1]))
        {
            return ContentResult<MsrpSendText>.Fail(ContentError.InvalidMsrpStartLine, start);
        }

        if (words[2] != "SEND")
        {
            return ContentResult<MsrpSendText>.Fail(ContentError.UnsupportedMsrpMethod, start);
        }

        string tid = words[1];
        int headersStart = start + lf + 1;
        byte[] endLine = Encoding.ASCII.GetBytes("-------" + tid);

        // The end-line may follow the headers directly (no body) or come after the body.
        int endAt = FindEndLine(span, endLine, headersStart, strict, out int endLineStart, out char flag);
        if (endAt < 0 && strict)
        {
            return ContentResult<MsrpSendText>.Fail(ContentError.MissingMsrpEndLine, span.Length);
        }

        int contentEnd = endAt < 0 ? span.Length : endLineStart;
        var headers = new List<MimeHeader>();
        HeaderBlockOptions options = strict
            ? HeaderBlockOptions.Strict with { AllowBareLf = false, AllowEndOfInput = true }
            : HeaderBlockOptions.Lenient;
        ContentError e = HeaderBlockReader.Read(span[headersStart..contentEnd], options, headers, out int consumed, out int errorOffset);
        if (e != ContentError.None)
        {
            return ContentResult<MsrpSendText>.Fail(e, headersStart + errorOffset);
        }

        var list = new MimeHeaderList(headers);
        if (list.GetValue("To-Path") is null || list.GetValue("From-Path") is null)
        {
            return ContentResult<MsrpSendText>.Fail(ContentError.MissingHeader, headersStart);
        }

        int bodyStart = headersStart + consumed;
        int bodyEnd = contentEnd;
        if (!strict)
        {
            while (bodyEnd > bodyStart && span[bodyEnd - 1] is (byte)'\r' or (byte)'\n' or (byte)' ' or (byte)'\t')
            {
                bodyEnd--;
            }

            while (bodyStart < bodyEnd && span[bodyStart] is (byte)' ' or (byte)'\t')
            {
                bodyStart++;
            }
        }

        if (bodyEnd < bodyStart)
        {
            bodyEnd = bodyStart;
        }

        return ContentResult<MsrpSendText>.Ok(new MsrpSendText(tid, list, memory[bodyStart..bodyEnd], endAt < 0 ? '$' : flag, !strict));
    }

    /// <summary>Finds "-------tid" followed by '$', '+' or '#' at the start of a line. Strict: preceded by CRLF (the
    /// CRLF belongs to the end-line, RFC 4975 §9) or directly after the header block; returns the offset of the
    /// end-line and, in <paramref name="contentEnd"/>, where the body ends.</summary>
    private static int FindEndLine(ReadOnlySpan<byte> span, ReadOnlySpan<byte> endLine, int from, bool strict, out int contentEnd, out char flag)
    {
        contentEnd = -1;
        flag = '$';
        int pos = from;
        while (pos < span.Length)
        {
            int i = span[pos..].IndexOf(endLine);
            if (i < 0)
            {
                return -1;
            }

            int at = pos + i;
            pos = at + 1;
            int after = at + endLine.Length;
            if (after >= span.Length || span[after] is not ((byte)'$' or (byte)'+' or (byte)'#'))
            {
                continue;
            }

            int lineStart = at;
            if (!strict)
            {
                while (lineStart > from && span[lineStart - 1] is (byte)' ' or (byte)'\t')
                {
                    lineStart--;
                }
            }

            if (lineStart == from)
            {
                contentEnd = from;
            }
            else if (lineStart >= 2 && span[lineStart - 2] == '\r' && span[lineStart - 1] == '\n')
            {
                contentEnd = lineStart - 2;
            }
            else if (!strict && span[lineStart - 1] == '\n')
            {
                contentEnd = lineStart - 1;
            }
            else
            {
                continue;
            }

            flag = (char)span[after];
            return at;
        }

        return -1;
    }
}
