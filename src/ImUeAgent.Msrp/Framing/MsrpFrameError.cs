// SPDX-License-Identifier: MIT
namespace ImUeAgent.Msrp.Framing;

/// <summary>Why an MSRP frame was rejected (closed set; never string matching).</summary>
public enum MsrpFrameError
{
    None = 0,
    /// <summary>The start line is not <c>MSRP SP transact-id SP method|status</c> (RFC 4975 §9 req-start / resp-start).</summary>
    InvalidStartLine,
    /// <summary>transact-id is not an ident: ALPHANUM then 3..31 of ALPHANUM / "." / "-" / "+" / "%" / "=".</summary>
    InvalidTransactionId,
    /// <summary>The method is not 1*UPALPHA.</summary>
    InvalidMethod,
    /// <summary>The response status code is not three digits.</summary>
    InvalidStatusCode,
    /// <summary>Start line and headers exceed the 8 KiB cap before their end was seen.</summary>
    HeaderBlockTooLarge,
    /// <summary>A header line lacks the ':' separator, has an invalid name, or contains a control character.</summary>
    InvalidHeaderLine,
    /// <summary>The first header is not To-Path (RFC 4975 §9: To-Path, then From-Path, come first).</summary>
    ToPathNotFirst,
    /// <summary>The second header is not From-Path.</summary>
    FromPathNotSecond,
    /// <summary>A header that may appear once appears twice.</summary>
    DuplicateHeader,
    /// <summary>Byte-Range is not <c>start-end/total</c> with 1-based start, end and total digits or '*'.</summary>
    InvalidByteRange,
    /// <summary>Success-Report is neither "yes" nor "no".</summary>
    InvalidSuccessReport,
    /// <summary>Failure-Report is not "yes", "no" or "partial".</summary>
    InvalidFailureReport,
    /// <summary>Status is not <c>3DIGIT SP 3DIGIT [SP comment]</c>.</summary>
    InvalidStatusHeader,
    /// <summary>Message-ID is not an ident.</summary>
    InvalidMessageId,
    /// <summary>A header block without body ended in a line that is not this transaction's end-line.</summary>
    InvalidEndLine,
    /// <summary>The peer closed the connection in the middle of a frame.</summary>
    TruncatedFrame,
}

/// <summary>Thrown where a frame error must leave a synchronous API; carries the closed reason and the byte offset.</summary>
public sealed class MsrpProtocolException : Exception
{
    public MsrpProtocolException(MsrpFrameError error, long offset)
        : base($"MSRP frame rejected: {error} at byte {offset}")
    {
        Error = error;
        Offset = offset;
    }

    public MsrpProtocolException()
        : base("MSRP frame rejected")
    {
    }

    public MsrpProtocolException(string message)
        : base(message)
    {
    }

    public MsrpProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public MsrpFrameError Error { get; }

    public long Offset { get; }
}
