// SPDX-License-Identifier: MIT
using ImUeAgent.Im.Store;
using ImUeAgent.Msrp.Sessions;

namespace ImUeAgent.Im.Client;

internal enum AttemptResult : byte
{
    Sent,
    Transient,
    Permanent,
}

/// <summary>How one send attempt ended: the outbox transition to make and the status behind it.</summary>
internal readonly record struct AttemptOutcome(AttemptResult Result, int? StatusCode, OutboxFailureReason Reason, string Detail)
{
    public static AttemptOutcome Sent(int status) => new(AttemptResult.Sent, status, OutboxFailureReason.None, "sent");

    public static AttemptOutcome Transient(int? status, string detail) => new(AttemptResult.Transient, status, OutboxFailureReason.None, detail);

    public static AttemptOutcome Permanent(OutboxFailureReason reason, int? status, string detail) => new(AttemptResult.Permanent, status, reason, detail);

    /// <summary>A final SIP response: 2xx sent; 408/480/500/503/504 (and 6xx "busy everywhere" 600) worth another try
    /// later (RFC 3261 §21: the request may succeed at another time); every other failure is final.</summary>
    public static AttemptOutcome FromSip(int status) => status switch
    {
        >= 200 and < 300 => Sent(status),
        408 or 480 or 500 or 503 or 504 or 600 => Transient(status, "SIP " + status.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        413 or 513 => Permanent(OutboxFailureReason.TooLarge, status, "too large"),
        _ => Permanent(OutboxFailureReason.Rejected, status, "SIP " + status.ToString(System.Globalization.CultureInfo.InvariantCulture)),
    };

    /// <summary>The MSRP SEND's outcome (RFC 4975 §7.1.1: 408 is a timeout, 413 says stop sending this message).</summary>
    public static AttemptOutcome FromMsrp(MsrpSendResult result) => result.Outcome switch
    {
        MsrpSendOutcome.Delivered => Sent(result.StatusCode == 0 ? 200 : result.StatusCode),
        MsrpSendOutcome.TimedOut or MsrpSendOutcome.ConnectionLost or MsrpSendOutcome.Cancelled => Transient(result.StatusCode, "MSRP " + result.Outcome),
        _ when result.StatusCode == 413 => Permanent(OutboxFailureReason.TooLarge, 413, "MSRP 413"),
        _ => Permanent(OutboxFailureReason.Rejected, result.StatusCode, "MSRP " + result.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture)),
    };
}
