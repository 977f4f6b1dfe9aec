// SPDX-License-Identifier: MIT
namespace ImUeAgent.Testbed.Modem;

/// <summary>The +CME ERROR codes the emulated MT reports (TS 27.007 §9.2.1 and §9.2.2).</summary>
internal enum CmeError
{
    PhoneFailure = 0,
    OperationNotAllowed = 3,
    OperationNotSupported = 4,
    SimNotInserted = 10,
    SimFailure = 13,
    SimBusy = 14,
    InvalidIndex = 21,
    NoNetworkService = 30,
    IncorrectParameters = 50,
    Unknown = 100,
    UnspecifiedGprsError = 148,
}

internal static class CmeErrorText
{
    /// <summary>The verbose text of +CMEE=2 (TS 27.007 §9.2).</summary>
    public static string Verbose(CmeError error) => error switch
    {
        CmeError.PhoneFailure => "phone failure",
        CmeError.OperationNotAllowed => "operation not allowed",
        CmeError.OperationNotSupported => "operation not supported",
        CmeError.SimNotInserted => "SIM not inserted",
        CmeError.SimFailure => "SIM failure",
        CmeError.SimBusy => "SIM busy",
        CmeError.InvalidIndex => "invalid index",
        CmeError.NoNetworkService => "no network service",
        CmeError.IncorrectParameters => "incorrect parameters",
        CmeError.UnspecifiedGprsError => "unspecified GPRS error",
        _ => "unknown",
    };
}
