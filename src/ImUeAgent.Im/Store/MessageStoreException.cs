// SPDX-License-Identifier: MIT
namespace ImUeAgent.Im.Store;

/// <summary>
/// The message store refused an operation or failed to commit. When this is thrown from a write, nothing of that
/// write is on disk, so the caller must not acknowledge it (no MSRP 200 / SIP 200, no API success).
/// Messages name the field, id or path; they never carry message bodies.
/// </summary>
public sealed class MessageStoreException : Exception
{
    public MessageStoreException()
        : this(MessageStoreErrorReason.IoError, "Message store operation failed")
    {
    }

    public MessageStoreException(string message)
        : this(MessageStoreErrorReason.IoError, message)
    {
    }

    public MessageStoreException(string message, Exception innerException)
        : this(MessageStoreErrorReason.IoError, message, innerException)
    {
    }

    public MessageStoreException(MessageStoreErrorReason reason, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Reason = reason;
    }

    /// <summary>Why it failed.</summary>
    public MessageStoreErrorReason Reason { get; }
}
