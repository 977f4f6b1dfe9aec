// SPDX-License-Identifier: MIT
using System.Buffers;
using System.Text;

namespace ImUeAgent.Msrp.Framing;

/// <summary>
/// The start line and headers of one MSRP frame, parsed from a private copy of the header block (at most
/// <see cref="MsrpFrameReader.MaxHeaderBlock"/> bytes). Owned and reused by its <see cref="MsrpFrameReader"/>: valid until
/// the reader parses the next head. Values are spans; the <c>Get…</c> helpers allocate strings for callers that keep them.
/// </summary>
public sealed class MsrpFrameHead
{
    private readonly byte[] _block = new byte[MsrpFrameReader.MaxHeaderBlock];
    private readonly List<(Segment Name, Segment Value)> _headers = new(16);
    private Segment _transactionId;
    private Segment _methodName;
    private Segment _comment;
    private Segment _toPath;
    private Segment _fromPath;
    private Segment _messageId;
    private Segment _contentType;
    private Segment _statusComment;

    internal readonly record struct Segment(int Start, int Length)
    {
        public bool IsPresent => Length > 0;
    }

    public MsrpFrameKind Kind { get; private set; }

    public MsrpMethod Method { get; private set; }

    /// <summary>Response status code (responses only).</summary>
    public int StatusCode { get; private set; }

    /// <summary>True when a blank line announced a body (even an empty one).</summary>
    public bool HasBody { get; private set; }

    public ByteRange? ByteRange { get; private set; }

    /// <summary>Success-Report as sent; absent means "no" (RFC 4975 §7.1.1).</summary>
    public bool? SuccessReport { get; private set; }

    /// <summary>Failure-Report as sent; absent means "yes" (RFC 4975 §7.1.1).</summary>
    public MsrpFailureReport? FailureReport { get; private set; }

    public MsrpFailureReport EffectiveFailureReport => FailureReport ?? MsrpFailureReport.Yes;

    public bool EffectiveSuccessReport => SuccessReport ?? false;

    /// <summary>Status header code (REPORT): <c>000 &lt;code&gt;</c>.</summary>
    public int? StatusHeaderCode { get; private set; }

    public int StatusHeaderNamespace { get; private set; }

    /// <summary>
    /// The first header-value problem found in a frame whose framing is intact (the transaction id is known and the
    /// end-line can still be found): the receiver answers 400 and skips the body instead of dropping the connection.
    /// </summary>
    public MsrpFrameError SemanticError { get; private set; }

    /// <summary>Offset in the header block where <see cref="SemanticError"/> was found.</summary>
    public int SemanticErrorOffset { get; private set; }

    public ReadOnlySpan<byte> TransactionId => Slice(_transactionId);

    public ReadOnlySpan<byte> MethodName => Slice(_methodName);

    public ReadOnlySpan<byte> Comment => Slice(_comment);

    public ReadOnlySpan<byte> ToPath => Slice(_toPath);

    public ReadOnlySpan<byte> FromPath => Slice(_fromPath);

    public ReadOnlySpan<byte> MessageId => Slice(_messageId);

    public bool HasMessageId => _messageId.IsPresent;

    public ReadOnlySpan<byte> ContentType => Slice(_contentType);

    public ReadOnlySpan<byte> StatusComment => Slice(_statusComment);

    public int HeaderCount => _headers.Count;

    /// <summary>The raw header block (start line through the terminating line).</summary>
    public ReadOnlySpan<byte> RawBlock => _block.AsSpan(0, BlockLength);

    internal int BlockLength { get; private set; }

    public ReadOnlySpan<byte> HeaderName(int index) => Slice(_headers[index].Name);

    public ReadOnlySpan<byte> HeaderValue(int index) => Slice(_headers[index].Value);

    /// <summary>First header with this name (ASCII case-insensitive).</summary>
    public bool TryGetHeader(ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        foreach (var (n, v) in _headers)
        {
            if (System.Text.Ascii.EqualsIgnoreCase(Slice(n), name))
            {
                value = Slice(v);
                return true;
            }
        }

        value = default;
        return false;
    }

    public string GetTransactionId() => Encoding.ASCII.GetString(TransactionId);

    public string GetMessageId() => Encoding.ASCII.GetString(MessageId);

    public string GetToPath() => Encoding.UTF8.GetString(ToPath);

    public string GetFromPath() => Encoding.UTF8.GetString(FromPath);

    public string GetContentType() => Encoding.UTF8.GetString(ContentType);

    public string GetComment() => Encoding.UTF8.GetString(Comment);

    public string? GetHeader(string name)
    {
        Span<byte> nameBytes = stackalloc byte[Math.Min(name.Length, 128)];
        int n = Encoding.ASCII.GetBytes(name.AsSpan(0, nameBytes.Length), nameBytes);
        return TryGetHeader(nameBytes[..n], out var v) ? Encoding.UTF8.GetString(v) : null;
    }

    private ReadOnlySpan<byte> Slice(Segment s) => _block.AsSpan(s.Start, s.Length);

    /// <summary>
    /// Parses a complete header block. Returns a fatal error (framing lost) or None; value-level problems go to
    /// <see cref="SemanticError"/>. <paramref name="terminatorIsEndLine"/> says whether the block ended in an end-line
    /// (no body) rather than a blank line.
    /// </summary>
    internal MsrpFrameError Parse(in ReadOnlySequence<byte> block, bool terminatorIsEndLine, out int errorOffset, out MsrpContinuation endFlag)
    {
        Reset();
        block.CopyTo(_block);
        BlockLength = (int)block.Length;
        HasBody = !terminatorIsEndLine;
        endFlag = MsrpContinuation.Complete;
        errorOffset = 0;
        var span = _block.AsSpan(0, BlockLength);

        int lineEnd = span.IndexOf("\r\n"u8);
        var fatal = ParseStartLine(span[..lineEnd], out errorOffset);
        if (fatal != MsrpFrameError.None)
        {
            return fatal;
        }

        int pos = lineEnd + 2;
        int index = 0;
        while (pos < span.Length)
        {
            int len = span[pos..].IndexOf("\r\n"u8);
            var line = span.Slice(pos, len);
            if (line.IsEmpty)
            {
                break; // blank line: body follows
            }

            if (line.StartsWith("-------"u8))
            {
                // RFC 4975 §9: msg-req without content-stuff ends with the end-line right after the headers.
                var tid = TransactionId;
                if (line.Length != 7 + tid.Length + 1 || !line.Slice(7, tid.Length).SequenceEqual(tid) || !IsFlag(line[^1]))
                {
                    errorOffset = pos;
                    return MsrpFrameError.InvalidEndLine;
                }

                endFlag = (MsrpContinuation)line[^1];
                break;
            }

            ParseHeaderLine(line, pos, index++);
            pos += len + 2;
        }

        if (SemanticError == MsrpFrameError.None)
        {
            if (!_toPath.IsPresent)
            {
                NoteSemantic(MsrpFrameError.ToPathNotFirst, lineEnd + 2);
            }
            else if (!_fromPath.IsPresent)
            {
                NoteSemantic(MsrpFrameError.FromPathNotSecond, lineEnd + 2);
            }
        }

        return MsrpFrameError.None;
    }

    internal static bool IsFlag(byte b) => b is (byte)'$' or (byte)'+' or (byte)'#';

    private void Reset()
    {
        _headers.Clear();
        _transactionId = _methodName = _comment = _toPath = _fromPath = _messageId = _contentType = _statusComment = default;
        Kind = MsrpFrameKind.Request;
        Method = MsrpMethod.Other;
        StatusCode = 0;
        ByteRange = null;
        SuccessReport = null;
        FailureReport = null;
        StatusHeaderCode = null;
        StatusHeaderNamespace = 0;
        SemanticError = MsrpFrameError.None;
        SemanticErrorOffset = 0;
    }

    private MsrpFrameError ParseStartLine(ReadOnlySpan<byte> line, out int errorOffset)
    {
        errorOffset = 0;
        if (!line.StartsWith("MSRP "u8))
        {
            return MsrpFrameError.InvalidStartLine;
        }

        int tidEnd = line[5..].IndexOf((byte)' ');
        if (tidEnd < 0)
        {
            errorOffset = 5;
            return MsrpFrameError.InvalidStartLine;
        }

        var tid = line.Slice(5, tidEnd);
        if (!MsrpSyntax.IsIdent(tid))
        {
            errorOffset = 5;
            return MsrpFrameError.InvalidTransactionId;
        }

        _transactionId = new Segment(5, tidEnd);
        int restStart = 5 + tidEnd + 1;
        var rest = line[restStart..];
        errorOffset = restStart;
        if (rest.Length >= 3 && IsDigits(rest[..3]) && (rest.Length == 3 || rest[3] == (byte)' '))
        {
            Kind = MsrpFrameKind.Response;
            StatusCode = ((rest[0] - '0') * 100) + ((rest[1] - '0') * 10) + (rest[2] - '0');
            if (rest.Length > 4)
            {
                if (!MsrpSyntax.IsText(rest[4..]))
                {
                    return MsrpFrameError.InvalidStartLine;
                }

                _comment = new Segment(restStart + 4, rest.Length - 4);
            }

            return MsrpFrameError.None;
        }

        if (rest.Length > 0 && char.IsAsciiDigit((char)rest[0]))
        {
            return MsrpFrameError.InvalidStatusCode;
        }

        if (rest.IsEmpty || rest.ContainsAnyExceptInRange((byte)'A', (byte)'Z'))
        {
            return MsrpFrameError.InvalidMethod;
        }

        Kind = MsrpFrameKind.Request;
        _methodName = new Segment(restStart, rest.Length);
        Method = rest switch
        {
            _ when rest.SequenceEqual("SEND"u8) => MsrpMethod.Send,
            _ when rest.SequenceEqual("REPORT"u8) => MsrpMethod.Report,
            _ when rest.SequenceEqual("AUTH"u8) => MsrpMethod.Auth,
            _ => MsrpMethod.Other,
        };
        return MsrpFrameError.None;
    }

    private void ParseHeaderLine(ReadOnlySpan<byte> line, int offset, int index)
    {
        int colon = line.IndexOf((byte)':');
        if (colon <= 0 || !MsrpSyntax.IsToken(line[..colon]))
        {
            NoteSemantic(MsrpFrameError.InvalidHeaderLine, offset);
            return;
        }

        int valueStart = colon + 1;
        while (valueStart < line.Length && line[valueStart] is (byte)' ' or (byte)'\t')
        {
            valueStart++;
        }

        int valueEnd = line.Length;
        while (valueEnd > valueStart && line[valueEnd - 1] is (byte)' ' or (byte)'\t')
        {
            valueEnd--;
        }

        var value = line[valueStart..valueEnd];
        if (!MsrpSyntax.IsText(value))
        {
            NoteSemantic(MsrpFrameError.InvalidHeaderLine, offset + valueStart);
            return;
        }

        var name = line[..colon];
        var nameSeg = new Segment(offset, colon);
        var valueSeg = new Segment(offset + valueStart, value.Length);
        _headers.Add((nameSeg, valueSeg));

        if (System.Text.Ascii.EqualsIgnoreCase(name, "To-Path"u8))
        {
            if (index != 0)
            {
                NoteSemantic(_toPath.IsPresent ? MsrpFrameError.DuplicateHeader : MsrpFrameError.ToPathNotFirst, offset);
                return;
            }

            _toPath = valueSeg;
        }
        else if (System.Text.Ascii.EqualsIgnoreCase(name, "From-Path"u8))
        {
            if (index != 1)
            {
                NoteSemantic(
                    _fromPath.IsPresent ? MsrpFrameError.DuplicateHeader
                    : index == 0 ? MsrpFrameError.ToPathNotFirst
                    : MsrpFrameError.FromPathNotSecond,
                    offset);
                return;
            }

            _fromPath = valueSeg;
        }
        else if (index == 0)
        {
            NoteSemantic(MsrpFrameError.ToPathNotFirst, offset);
        }
        else if (index == 1)
        {
            NoteSemantic(MsrpFrameError.FromPathNotSecond, offset);
        }
        else if (System.Text.Ascii.EqualsIgnoreCase(name, "Message-ID"u8))
        {
            if (_messageId.IsPresent)
            {
                NoteSemantic(MsrpFrameError.DuplicateHeader, offset);
            }
            else if (!MsrpSyntax.IsIdent(value))
            {
                NoteSemantic(MsrpFrameError.InvalidMessageId, offset + valueStart);
            }
            else
            {
                _messageId = valueSeg;
            }
        }
        else if (System.Text.Ascii.EqualsIgnoreCase(name, "Byte-Range"u8))
        {
            if (ByteRange is not null)
            {
                NoteSemantic(MsrpFrameError.DuplicateHeader, offset);
            }
            else if (Framing.ByteRange.TryParse(value, out var range))
            {
                ByteRange = range;
            }
            else
            {
                NoteSemantic(MsrpFrameError.InvalidByteRange, offset + valueStart);
            }
        }
        else if (System.Text.Ascii.EqualsIgnoreCase(name, "Success-Report"u8))
        {
            if (SuccessReport is not null)
            {
                NoteSemantic(MsrpFrameError.DuplicateHeader, offset);
            }
            else if (value.SequenceEqual("yes"u8))
            {
                SuccessReport = true;
            }
            else if (value.SequenceEqual("no"u8))
            {
                SuccessReport = false;
            }
            else
            {
                NoteSemantic(MsrpFrameError.InvalidSuccessReport, offset + valueStart);
            }
        }
        else if (System.Text.Ascii.EqualsIgnoreCase(name, "Failure-Report"u8))
        {
            if (FailureReport is not null)
            {
                NoteSemantic(MsrpFrameError.DuplicateHeader, offset);
            }
            else if (value.SequenceEqual("yes"u8))
            {
                FailureReport = MsrpFailureReport.Yes;
            }
            else if (value.SequenceEqual("no"u8))
            {
                FailureReport = MsrpFailureReport.No;
            }
            else if (value.SequenceEqual("partial"u8))
            {
                FailureReport = MsrpFailureReport.Partial;
            }
            else
            {
                NoteSemantic(MsrpFrameError.InvalidFailureReport, offset + valueStart);
            }
        }
        else if (System.Text.Ascii.EqualsIgnoreCase(name, "Status"u8))
        {
            // RFC 4975 §9: Status = namespace SP status-code [SP comment]; namespace "000" is the only one defined.
            if (StatusHeaderCode is not null)
            {
                NoteSemantic(MsrpFrameError.DuplicateHeader, offset);
            }
            else if (value.Length >= 7 && IsDigits(value[..3]) && value[3] == (byte)' ' && IsDigits(value.Slice(4, 3))
                     && (value.Length == 7 || value[7] == (byte)' '))
            {
                StatusHeaderNamespace = ((value[0] - '0') * 100) + ((value[1] - '0') * 10) + (value[2] - '0');
                StatusHeaderCode = ((value[4] - '0') * 100) + ((value[5] - '0') * 10) + (value[6] - '0');
                if (value.Length > 8)
                {
                    _statusComment = new Segment(valueSeg.Start + 8, value.Length - 8);
                }
            }
            else
            {
                NoteSemantic(MsrpFrameError.InvalidStatusHeader, offset + valueStart);
            }
        }
        else if (System.Text.Ascii.EqualsIgnoreCase(name, "Content-Type"u8))
        {
            if (_contentType.IsPresent)
            {
                NoteSemantic(MsrpFrameError.DuplicateHeader, offset);
            }
            else
            {
                _contentType = valueSeg;
            }
        }
    }

    private void NoteSemantic(MsrpFrameError error, int offset)
    {
        if (SemanticError == MsrpFrameError.None)
        {
            SemanticError = error;
            SemanticErrorOffset = offset;
        }
    }

    private static bool IsDigits(ReadOnlySpan<byte> s) => !s.IsEmpty && !s.ContainsAnyExceptInRange((byte)'0', (byte)'9');
}
