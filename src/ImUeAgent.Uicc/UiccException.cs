// SPDX-License-Identifier: MIT
namespace ImUeAgent.Uicc;

/// <summary>
/// A UICC operation failed. The message says what and where (file id, status word, offset); it never carries key
/// material, RES, CK, IK or file contents.
/// </summary>
public sealed class UiccException : Exception
{
    public UiccException()
        : this(UiccErrorReason.UnexpectedStatusWord, "UICC operation failed")
    {
    }

    public UiccException(string message)
        : this(UiccErrorReason.UnexpectedStatusWord, message)
    {
    }

    public UiccException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = UiccErrorReason.UnexpectedStatusWord;
    }

    public UiccException(UiccErrorReason reason, string message, ushort? statusWord = null)
        : base(message)
    {
        Reason = reason;
        StatusWord = statusWord;
    }

    /// <summary>Why it failed.</summary>
    public UiccErrorReason Reason { get; }

    /// <summary>The status word SW1SW2 when the failure is the card's answer.</summary>
    public ushort? StatusWord { get; }
}
