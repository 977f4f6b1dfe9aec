// SPDX-License-Identifier: MIT
namespace ImUeAgent.Sip.Message;

/// <summary>SIP request methods. Methods are case-sensitive tokens (RFC 3261 §7.1): anything that is not exactly one of
/// these spellings is an <see cref="Extension"/> method, whose token the request keeps.</summary>
public enum SipMethod : byte
{
    Extension = 0,
    Invite,
    Ack,
    Bye,
    Cancel,
    Register,
    Options,
    Info,
    Prack,
    Update,
    Subscribe,
    Notify,
    Publish,
    Message,
    Refer,
}

/// <summary>Conversions between <see cref="SipMethod"/> and its token.</summary>
public static class SipMethods
{
    /// <summary>Identifies a method token, case-sensitively.</summary>
    public static SipMethod Parse(ReadOnlySpan<byte> token) => token.Length switch
    {
        3 when token.SequenceEqual("ACK"u8) => SipMethod.Ack,
        3 when token.SequenceEqual("BYE"u8) => SipMethod.Bye,
        4 when token.SequenceEqual("INFO"u8) => SipMethod.Info,
        5 when token.SequenceEqual("PRACK"u8) => SipMethod.Prack,
        5 when token.SequenceEqual("REFER"u8) => SipMethod.Refer,
        6 when token.SequenceEqual("INVITE"u8) => SipMethod.Invite,
        6 when token.SequenceEqual("CANCEL"u8) => SipMethod.Cancel,
        6 when token.SequenceEqual("UPDATE"u8) => SipMethod.Update,
        6 when token.SequenceEqual("NOTIFY"u8) => SipMethod.Notify,
        7 when token.SequenceEqual("OPTIONS"u8) => SipMethod.Options,
        7 when token.SequenceEqual("PUBLISH"u8) => SipMethod.Publish,
        7 when token.SequenceEqual("MESSAGE"u8) => SipMethod.Message,
        8 when token.SequenceEqual("REGISTER"u8) => SipMethod.Register,
        9 when token.SequenceEqual("SUBSCRIBE"u8) => SipMethod.Subscribe,
        _ => SipMethod.Extension,
    };

    /// <summary>The token of a standard method; empty for <see cref="SipMethod.Extension"/>.</summary>
    public static string ToToken(this SipMethod method) => method switch
    {
        SipMethod.Invite => "INVITE",
        SipMethod.Ack => "ACK",
        SipMethod.Bye => "BYE",
        SipMethod.Cancel => "CANCEL",
        SipMethod.Register => "REGISTER",
        SipMethod.Options => "OPTIONS",
        SipMethod.Info => "INFO",
        SipMethod.Prack => "PRACK",
        SipMethod.Update => "UPDATE",
        SipMethod.Subscribe => "SUBSCRIBE",
        SipMethod.Notify => "NOTIFY",
        SipMethod.Publish => "PUBLISH",
        SipMethod.Message => "MESSAGE",
        SipMethod.Refer => "REFER",
        _ => string.Empty,
    };
}
