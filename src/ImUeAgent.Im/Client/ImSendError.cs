// SPDX-License-Identifier: MIT
namespace ImUeAgent.Im.Client;

/// <summary>Why an application's message was refused before it was stored (STYLE.md §4: a closed set).</summary>
public enum ImSendError
{
    /// <summary>No recipient, or one that is not a SIP/SIPS/tel URI.</summary>
    InvalidRecipient,

    /// <summary>The Content-Type is not type/subtype with parameters (RFC 2045 §5.1).</summary>
    InvalidContentType,

    /// <summary>A feature tag is not an RFC 3841 Accept-Contact value.</summary>
    InvalidFeatureTag,

    /// <summary>Several recipients but no conference factory URI configured (8.1.1 step 6b).</summary>
    NoConferenceFactory,

    /// <summary>The client is shut down.</summary>
    Stopped,
}

/// <summary>An application's message was refused; nothing was stored.</summary>
public sealed class ImSendException : Exception
{
    public ImSendException(ImSendError error, string message)
        : base(message) => Error = error;

    public ImSendException()
        : this(ImSendError.InvalidRecipient, "Message refused")
    {
    }

    public ImSendException(string message)
        : this(ImSendError.InvalidRecipient, message)
    {
    }

    public ImSendException(string message, Exception innerException)
        : base(message, innerException) => Error = ImSendError.InvalidRecipient;

    public ImSendError Error { get; }
}
