// SPDX-License-Identifier: MIT
namespace ImUeAgent.Msrp.Framing;

/// <summary>Request methods known to this implementation (RFC 4975 §7, RFC 4976 §5); anything else is <see cref="Other"/>.</summary>
public enum MsrpMethod
{
    Other = 0,
    Send,
    Report,
    Auth,
}

/// <summary>Whether a frame is a request or a response.</summary>
public enum MsrpFrameKind
{
    Request,
    Response,
}

/// <summary>The end-line flag (RFC 4975 §5.1): '$' last chunk, '+' more follows, '#' aborted.</summary>
public enum MsrpContinuation
{
    Complete = '$',
    More = '+',
    Aborted = '#',
}

/// <summary>Failure-Report values (RFC 4975 §7.1.1, default yes).</summary>
public enum MsrpFailureReport
{
    Yes,
    No,
    Partial,
}
