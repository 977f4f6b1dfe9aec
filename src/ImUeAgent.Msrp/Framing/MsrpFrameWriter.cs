// SPDX-License-Identifier: MIT
using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace ImUeAgent.Msrp.Framing;

/// <summary>
/// Serialises MSRP frames (RFC 4975 §9) straight into an <see cref="IBufferWriter{T}"/> (a PipeWriter in practice):
/// synchronous writes into the writer's memory, no intermediate strings; the caller decides when to flush.
/// </summary>
public static class MsrpFrameWriter
{
    private static readonly byte[] s_crlf = "\r\n"u8.ToArray();

    public static void WriteRequestLine(IBufferWriter<byte> writer, ReadOnlySpan<byte> transactionId, ReadOnlySpan<byte> method)
    {
        Write(writer, "MSRP "u8);
        Write(writer, transactionId);
        Write(writer, " "u8);
        Write(writer, method);
        Write(writer, s_crlf);
    }

    public static ReadOnlySpan<byte> MethodName(MsrpMethod method) => method switch
    {
        MsrpMethod.Send => "SEND"u8,
        MsrpMethod.Report => "REPORT"u8,
        MsrpMethod.Auth => "AUTH"u8,
        _ => throw new ArgumentOutOfRangeException(nameof(method)),
    };

    public static void WriteResponseLine(IBufferWriter<byte> writer, ReadOnlySpan<byte> transactionId, int statusCode, ReadOnlySpan<byte> comment)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 100);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 999);
        Write(writer, "MSRP "u8);
        Write(writer, transactionId);
        Write(writer, " "u8);
        WriteNumber(writer, statusCode);
        if (!comment.IsEmpty)
        {
            Write(writer, " "u8);
            Write(writer, comment);
        }

        Write(writer, s_crlf);
    }

    public static void WriteHeader(IBufferWriter<byte> writer, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        Write(writer, name);
        Write(writer, ": "u8);
        Write(writer, value);
        Write(writer, s_crlf);
    }

    public static void WriteHeader(IBufferWriter<byte> writer, ReadOnlySpan<byte> name, string value)
    {
        Write(writer, name);
        Write(writer, ": "u8);
        int max = Encoding.UTF8.GetMaxByteCount(value.Length);
        var span = writer.GetSpan(max);
        writer.Advance(Encoding.UTF8.GetBytes(value, span));
        Write(writer, s_crlf);
    }

    public static void WriteByteRange(IBufferWriter<byte> writer, ByteRange range)
    {
        Write(writer, "Byte-Range: "u8);
        WriteNumber(writer, range.Start);
        Write(writer, "-"u8);
        WriteNumberOrStar(writer, range.End);
        Write(writer, "/"u8);
        WriteNumberOrStar(writer, range.Total);
        Write(writer, s_crlf);
    }

    /// <summary>Status header of a REPORT: <c>Status: 000 &lt;code&gt; &lt;comment&gt;</c> (RFC 4975 §7.1.2).</summary>
    public static void WriteStatus(IBufferWriter<byte> writer, int statusCode, ReadOnlySpan<byte> comment)
    {
        Write(writer, "Status: 000 "u8);
        WriteNumber(writer, statusCode);
        if (!comment.IsEmpty)
        {
            Write(writer, " "u8);
            Write(writer, comment);
        }

        Write(writer, s_crlf);
    }

    /// <summary>Content-Type and the blank line that opens the body (RFC 4975 §9 content-stuff).</summary>
    public static void WriteContentType(IBufferWriter<byte> writer, ReadOnlySpan<byte> contentType)
    {
        WriteHeader(writer, "Content-Type"u8, contentType);
        Write(writer, s_crlf);
    }

    /// <summary>
    /// The end-line. After a body it is preceded by the CRLF that closes the body (not part of it, RFC 4975 §9
    /// <c>data CRLF</c>); a frame without body ends right after its last header.
    /// </summary>
    public static void WriteEndLine(IBufferWriter<byte> writer, ReadOnlySpan<byte> transactionId, MsrpContinuation flag, bool afterBody)
    {
        var span = writer.GetSpan(2 + 7 + transactionId.Length + 3);
        int n = 0;
        if (afterBody)
        {
            span[n++] = (byte)'\r';
            span[n++] = (byte)'\n';
        }

        "-------"u8.CopyTo(span[n..]);
        n += 7;
        transactionId.CopyTo(span[n..]);
        n += transactionId.Length;
        span[n++] = (byte)flag;
        span[n++] = (byte)'\r';
        span[n++] = (byte)'\n';
        writer.Advance(n);
    }

    /// <summary>A whole response: start line, To-Path (the previous hop), From-Path (this element), end-line.</summary>
    public static void WriteResponse(IBufferWriter<byte> writer, ReadOnlySpan<byte> transactionId, int statusCode,
        ReadOnlySpan<byte> toPath, ReadOnlySpan<byte> fromPath)
    {
        WriteResponseLine(writer, transactionId, statusCode, MsrpStatusCodes.Comment(statusCode));
        WriteHeader(writer, "To-Path"u8, toPath);
        WriteHeader(writer, "From-Path"u8, fromPath);
        WriteEndLine(writer, transactionId, MsrpContinuation.Complete, afterBody: false);
    }

    /// <summary>
    /// The head of a SEND up to and including the blank line before the body (or, with an empty content type, up to
    /// the last header: a bodiless SEND then needs only <see cref="WriteEndLine"/>).
    /// </summary>
    public static void WriteSendHead(IBufferWriter<byte> writer, ReadOnlySpan<byte> transactionId, ReadOnlySpan<byte> toPath,
        ReadOnlySpan<byte> fromPath, ReadOnlySpan<byte> messageId, ByteRange? byteRange, bool successReport,
        MsrpFailureReport failureReport, ReadOnlySpan<byte> contentType)
    {
        WriteRequestLine(writer, transactionId, "SEND"u8);
        WriteHeader(writer, "To-Path"u8, toPath);
        WriteHeader(writer, "From-Path"u8, fromPath);
        WriteHeader(writer, "Message-ID"u8, messageId);
        if (successReport)
        {
            WriteHeader(writer, "Success-Report"u8, "yes"u8);
        }

        if (failureReport != MsrpFailureReport.Yes)
        {
            WriteHeader(writer, "Failure-Report"u8, failureReport == MsrpFailureReport.No ? "no"u8 : "partial"u8);
        }

        if (byteRange is ByteRange range)
        {
            WriteByteRange(writer, range);
        }

        if (!contentType.IsEmpty)
        {
            WriteContentType(writer, contentType);
        }
    }

    /// <summary>A complete REPORT (RFC 4975 §7.1.2): no body, never answered.</summary>
    public static void WriteReport(IBufferWriter<byte> writer, ReadOnlySpan<byte> transactionId, ReadOnlySpan<byte> toPath,
        ReadOnlySpan<byte> fromPath, ReadOnlySpan<byte> messageId, ByteRange byteRange, int statusCode)
    {
        WriteRequestLine(writer, transactionId, "REPORT"u8);
        WriteHeader(writer, "To-Path"u8, toPath);
        WriteHeader(writer, "From-Path"u8, fromPath);
        WriteHeader(writer, "Message-ID"u8, messageId);
        WriteByteRange(writer, byteRange);
        WriteStatus(writer, statusCode, MsrpStatusCodes.Comment(statusCode));
        WriteEndLine(writer, transactionId, MsrpContinuation.Complete, afterBody: false);
    }

    /// <summary>A complete single-chunk SEND with its body; convenient for small messages and tests.</summary>
    public static void WriteSend(IBufferWriter<byte> writer, ReadOnlySpan<byte> transactionId, ReadOnlySpan<byte> toPath,
        ReadOnlySpan<byte> fromPath, ReadOnlySpan<byte> messageId, ReadOnlySpan<byte> contentType, ReadOnlySpan<byte> body,
        ByteRange? byteRange = null, MsrpContinuation flag = MsrpContinuation.Complete, bool successReport = false,
        MsrpFailureReport failureReport = MsrpFailureReport.Yes)
    {
        WriteSendHead(writer, transactionId, toPath, fromPath, messageId, byteRange, successReport, failureReport, contentType);
        if (!contentType.IsEmpty)
        {
            Write(writer, body);
        }

        WriteEndLine(writer, transactionId, flag, afterBody: !contentType.IsEmpty);
    }

    public static void Write(IBufferWriter<byte> writer, ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }

        var span = writer.GetSpan(bytes.Length);
        if (span.Length >= bytes.Length)
        {
            bytes.CopyTo(span);
            writer.Advance(bytes.Length);
            return;
        }

        // Large body slices: fill whatever the writer offers, piece by piece.
        while (!bytes.IsEmpty)
        {
            span = writer.GetSpan(1);
            int n = Math.Min(span.Length, bytes.Length);
            bytes[..n].CopyTo(span);
            writer.Advance(n);
            bytes = bytes[n..];
        }
    }

    internal static void WriteNumber(IBufferWriter<byte> writer, long value)
    {
        var span = writer.GetSpan(20);
        Utf8Formatter.TryFormat(value, span, out int written);
        writer.Advance(written);
    }

    private static void WriteNumberOrStar(IBufferWriter<byte> writer, long? value)
    {
        if (value is long v)
        {
            WriteNumber(writer, v);
        }
        else
        {
            Write(writer, "*"u8);
        }
    }
}
