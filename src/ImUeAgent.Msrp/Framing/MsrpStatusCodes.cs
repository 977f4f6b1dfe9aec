// SPDX-License-Identifier: MIT
namespace ImUeAgent.Msrp.Framing;

/// <summary>MSRP status codes (RFC 4975 §10, RFC 4976 §5) and their comments on the wire.</summary>
public static class MsrpStatusCodes
{
    public const int Ok = 200;
    public const int BadRequest = 400;
    public const int Unauthorized = 401;
    public const int Forbidden = 403;
    public const int RequestTimeout = 408;
    public const int StopSending = 413;
    public const int UnsupportedMediaType = 415;
    public const int ParameterOutOfBounds = 423;
    public const int SessionDoesNotExist = 481;
    public const int UnknownMethod = 501;
    public const int SessionAlreadyBound = 506;

    /// <summary>The comment written after the code; empty for codes this implementation does not name.</summary>
    public static ReadOnlySpan<byte> Comment(int code) => code switch
    {
        Ok => "OK"u8,
        BadRequest => "Bad Request"u8,
        Unauthorized => "Unauthorized"u8,
        Forbidden => "Forbidden"u8,
        RequestTimeout => "Request Timeout"u8,
        StopSending => "Stop Sending Message"u8,
        UnsupportedMediaType => "Unsupported Media Type"u8,
        ParameterOutOfBounds => "Parameter Out Of Bounds"u8,
        SessionDoesNotExist => "Session Does Not Exist"u8,
        UnknownMethod => "Unknown Method"u8,
        SessionAlreadyBound => "Session Already In Use"u8,
        _ => default,
    };

    public static bool IsSuccess(int code) => code is >= 200 and < 300;
}
