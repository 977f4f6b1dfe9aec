// SPDX-License-Identifier: MIT
using System.Globalization;
using ImUeAgent.Modem.At;

namespace ImUeAgent.Modem.BringUp;

/// <summary>Answers and causes in words, for failure reasons people read.</summary>
public static class AtWords
{
    /// <summary>"ERROR", "+CME ERROR: 3 (operation not allowed)", "no answer (timed out)".</summary>
    public static string Describe(AtResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return response.Result switch
        {
            AtResultCode.CmeError when response.ErrorCode is { } code => $"+CME ERROR: {code.ToString(CultureInfo.InvariantCulture)} ({response.ErrorText ?? CmeError(code)})",
            AtResultCode.CmeError => $"+CME ERROR: {response.ErrorText}",
            AtResultCode.CmsError => $"+CMS ERROR: {response.ErrorCode?.ToString(CultureInfo.InvariantCulture) ?? response.ErrorText}",
            AtResultCode.TimedOut => "no answer (timed out)",
            AtResultCode.ChannelUnavailable => "nothing (the AT channel is unavailable)",
            _ => response.FinalLine ?? response.Result.ToString(),
        };
    }

    /// <summary>27.007 §9.2.1 text of a +CME ERROR number.</summary>
    public static string CmeError(int code) => code switch
    {
        0 => "phone failure",
        3 => "operation not allowed",
        4 => "operation not supported",
        5 => "PH-SIM PIN required",
        10 => "SIM not inserted",
        11 => "SIM PIN required",
        12 => "SIM PUK required",
        13 => "SIM failure",
        14 => "SIM busy",
        15 => "SIM wrong",
        16 => "incorrect password",
        17 => "SIM PIN2 required",
        18 => "SIM PUK2 required",
        21 => "invalid index",
        22 => "not found",
        30 => "no network service",
        31 => "network timeout",
        32 => "network not allowed - emergency calls only",
        50 => "incorrect parameters",
        100 => "unknown",
        103 => "illegal MS",
        106 => "illegal ME",
        107 => "GPRS services not allowed",
        111 => "PLMN not allowed",
        112 => "location area not allowed",
        113 => "roaming not allowed in this location area",
        132 => "service option not supported",
        133 => "requested service option not subscribed",
        134 => "service option temporarily out of order",
        148 => "unspecified GPRS error",
        149 => "PDP authentication failure",
        150 => "invalid mobile class",
        _ => "no text known",
    };

    /// <summary>EMM cause (TS 24.301 §9.9.3.9, Annex A) in words, as +CEREG &lt;reject_cause&gt; with &lt;cause_type&gt; 0 gives it.</summary>
    public static string EmmCause(int cause) => cause switch
    {
        2 => "IMSI unknown in HSS",
        3 => "illegal UE",
        5 => "IMEI not accepted",
        6 => "illegal ME",
        7 => "EPS services not allowed",
        8 => "EPS services and non-EPS services not allowed",
        9 => "UE identity cannot be derived by the network",
        10 => "implicitly detached",
        11 => "PLMN not allowed",
        12 => "tracking area not allowed",
        13 => "roaming not allowed in this tracking area",
        14 => "EPS services not allowed in this PLMN",
        15 => "no suitable cells in tracking area",
        16 => "MSC temporarily not reachable",
        17 => "network failure",
        18 => "CS domain not available",
        19 => "ESM failure",
        20 => "MAC failure",
        21 => "synch failure",
        22 => "congestion",
        23 => "UE security capabilities mismatch",
        24 => "security mode rejected, unspecified",
        25 => "not authorized for this CSG",
        26 => "non-EPS authentication unacceptable",
        31 => "redirection to 5GCN required",
        35 => "requested service option not authorized in this PLMN",
        39 => "CS service temporarily not available",
        40 => "no EPS bearer context activated",
        42 => "severe network failure",
        95 => "semantically incorrect message",
        96 => "invalid mandatory information",
        97 => "message type non-existent or not implemented",
        98 => "message type not compatible with the protocol state",
        99 => "information element non-existent or not implemented",
        100 => "conditional IE error",
        101 => "message not compatible with the protocol state",
        111 => "protocol error, unspecified",
        _ => "no text known",
    };

    /// <summary>
    /// "attach denied: cause 15 (no suitable cells in tracking area)"; &lt;cause_type&gt; 1 is manufacturer specific
    /// (27.007 §10.1.22); without a cause (+CEREG mode below 3) it says so.
    /// </summary>
    public static string AttachDenied(int? causeType, int? rejectCause)
    {
        if (rejectCause is not { } cause)
        {
            return "attach denied (the network gave no reject cause)";
        }

        var number = cause.ToString(CultureInfo.InvariantCulture);
        return causeType == 1
            ? $"attach denied: manufacturer-specific cause {number}"
            : $"attach denied: cause {number} ({EmmCause(cause)})";
    }
}
