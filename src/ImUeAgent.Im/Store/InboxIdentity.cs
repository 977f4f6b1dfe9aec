// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Security.Cryptography;

namespace ImUeAgent.Im.Store;

/// <summary>Kinds of identity a received message can carry. Values are persisted: never renumber.</summary>
public enum InboxIdentityKind
{
    /// <summary>IMDN Message-ID (RFC 5438 §6.3), scoped by the CPIM From URI of the sender.</summary>
    ImdnMessageId = 1,

    /// <summary>SIP MESSAGE Call-ID + CSeq number. The IM Server keeps the Call-ID intact in the push (Appendix D.2).</summary>
    SipRequest = 2,

    /// <summary>MSRP Message-ID scoped by the Call-ID of the session that carried it (Large Message Mode or session).</summary>
    MsrpMessage = 3,

    /// <summary>The unique Message-ID the IM Server assigned to the deferred message (OMA SIMPLE IM 12.2.2.3 item 4).</summary>
    ServerMessageId = 4,

    /// <summary>SHA-256 of a pushed part that could not be parsed: the only stable thing about it.</summary>
    RawContent = 5,
}

/// <summary>
/// One identity of a received message. A message may carry several (e.g. Call-ID+CSeq and an IMDN Message-ID); it
/// is a duplicate when any of them is already stored, and then the identities not yet known are added to the stored
/// message, so later copies are recognised by whichever identity they carry. Build with the factory methods so the
/// same message gives the same identity whether it came live (pager, large mode) or in a deferred push.
/// </summary>
public readonly record struct InboxIdentity
{
    /// <summary>Cap on scope and value (each), well above real Call-IDs and Message-IDs.</summary>
    public const int MaxLength = 1024;

    private InboxIdentity(InboxIdentityKind kind, string scope, string value)
    {
        Kind = kind;
        Scope = scope;
        Value = value;
    }

    public InboxIdentityKind Kind { get; }

    public string Scope { get; }

    public string Value { get; }

    /// <summary>
    /// IMDN Message-ID. RFC 5438 §6.3 only promises uniqueness per sender (and as few as 32 random bits), so the
    /// sender's CPIM From URI (addr-spec, as received) is part of the key. CPIM is end-to-end, so a live and a
    /// deferred copy carry the same From.
    /// </summary>
    public static InboxIdentity ForImdnMessageId(string cpimFromUri, string imdnMessageId) =>
        new(InboxIdentityKind.ImdnMessageId, cpimFromUri, imdnMessageId);

    /// <summary>
    /// A SIP MESSAGE: Call-ID and CSeq sequence number (RFC 3261 §8.1.1.4: Call-ID is globally unique). A pushed
    /// message/sip part carries the original Call-ID and CSeq (Appendix D.2), so it matches the live copy.
    /// </summary>
    public static InboxIdentity ForSipRequest(string callId, uint cseq) =>
        new(InboxIdentityKind.SipRequest, callId, cseq.ToString(CultureInfo.InvariantCulture));

    /// <summary>An MSRP message: the Call-ID of the SIP session that negotiated it and the MSRP Message-ID (RFC 4975 §7.1.1).</summary>
    public static InboxIdentity ForMsrpMessage(string sessionCallId, string msrpMessageId) =>
        new(InboxIdentityKind.MsrpMessage, sessionCallId, msrpMessageId);

    /// <summary>The IM Server's own unique Message-ID for the deferred message ("sip:String@hostname", 12.2.2.3).</summary>
    public static InboxIdentity ForServerMessageId(string serverMessageId) =>
        new(InboxIdentityKind.ServerMessageId, string.Empty, serverMessageId);

    /// <summary>A pushed part that could not be parsed: identified by the SHA-256 of its bytes.</summary>
    public static InboxIdentity ForRawContent(ReadOnlySpan<byte> rawPart)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(rawPart, hash);
        return new(InboxIdentityKind.RawContent, "sha256", Convert.ToHexStringLower(hash));
    }

    /// <summary>Rebuilds a stored identity (reading back from the database).</summary>
    internal static InboxIdentity FromStored(InboxIdentityKind kind, string scope, string value) => new(kind, scope, value);
}
