// SPDX-License-Identifier: MIT
namespace ImUeAgent.Uicc.Apdu;

/// <summary>Classes of status words SW1SW2 the procedures act on (ETSI TS 102 221 §10.2.1).</summary>
public enum StatusWordKind
{
    /// <summary>90 00: normal ending.</summary>
    Success,

    /// <summary>91 xx: normal ending, a proactive command of xx bytes is pending (the data is valid).</summary>
    SuccessProactiveCommandPending,

    /// <summary>61 xx: xx more response bytes; fetch them with GET RESPONSE (Le = xx, 00 meaning 256).</summary>
    MoreDataAvailable,

    /// <summary>6C xx: wrong Le; re-send the same command with Le = xx.</summary>
    WrongLength,

    /// <summary>98 62: authentication error, incorrect MAC (TS 31.103 §7.1.2.1).</summary>
    AuthenticationError,

    /// <summary>69 82: security status not satisfied (PIN not verified, access condition).</summary>
    SecurityStatusNotSatisfied,

    /// <summary>6A 82: file or application not found.</summary>
    FileNotFound,

    /// <summary>6A 83: record not found.</summary>
    RecordNotFound,

    /// <summary>Any other status word: an error for the procedures here.</summary>
    Other,
}

/// <summary>Status word helpers.</summary>
public static class StatusWords
{
    /// <summary>90 00.</summary>
    public const ushort Success = 0x9000;

    /// <summary>98 62.</summary>
    public const ushort AuthenticationError = 0x9862;

    /// <summary>69 82.</summary>
    public const ushort SecurityStatusNotSatisfied = 0x6982;

    /// <summary>6A 82.</summary>
    public const ushort FileNotFound = 0x6A82;

    /// <summary>6A 83.</summary>
    public const ushort RecordNotFound = 0x6A83;

    /// <summary>Classifies SW1SW2.</summary>
    public static StatusWordKind Classify(ushort statusWord) => (statusWord >> 8) switch
    {
        0x90 when statusWord == Success => StatusWordKind.Success,
        0x91 => StatusWordKind.SuccessProactiveCommandPending,
        0x61 => StatusWordKind.MoreDataAvailable,
        0x6C => StatusWordKind.WrongLength,
        0x98 when statusWord == AuthenticationError => StatusWordKind.AuthenticationError,
        0x69 when statusWord == SecurityStatusNotSatisfied => StatusWordKind.SecurityStatusNotSatisfied,
        0x6A when statusWord == FileNotFound => StatusWordKind.FileNotFound,
        0x6A when statusWord == RecordNotFound => StatusWordKind.RecordNotFound,
        _ => StatusWordKind.Other,
    };

    /// <summary>True for 90 00 and 91 xx: the command completed and its data is valid.</summary>
    public static bool IsSuccess(StatusWordKind kind) =>
        kind is StatusWordKind.Success or StatusWordKind.SuccessProactiveCommandPending;

    /// <summary>"90 00" style text for messages and logs.</summary>
    public static string Format(ushort statusWord) => $"{statusWord >> 8:X2} {statusWord & 0xFF:X2}";
}
