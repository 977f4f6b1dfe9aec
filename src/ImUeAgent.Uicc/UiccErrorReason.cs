// SPDX-License-Identifier: MIT
namespace ImUeAgent.Uicc;

/// <summary>Why a UICC operation failed (STYLE.md §4: a closed set, never string matching).</summary>
public enum UiccErrorReason
{
    /// <summary>A response APDU shorter than the two status bytes SW1 SW2.</summary>
    ResponseTooShort,

    /// <summary>The card answered with a status word the procedure does not expect.</summary>
    UnexpectedStatusWord,

    /// <summary>A response chained over 61xx / 6Cxx grew beyond the cap.</summary>
    ResponseTooLong,

    /// <summary>The card kept answering 61xx / 6Cxx beyond the exchange limit.</summary>
    TooManyExchanges,

    /// <summary>The FCP template returned by SELECT is malformed (ETSI TS 102 221 §11.1.1.3).</summary>
    MalformedFileControlParameters,

    /// <summary>An EF_DIR record is not a valid application template (ETSI TS 102 221 §13.1).</summary>
    MalformedDirectoryRecord,

    /// <summary>EF_DIR lists no ISIM application (AID prefix A0000000871004).</summary>
    IsimNotFound,

    /// <summary>A file the ISIM must have (IMPI, DOMAIN, IMPU) is absent.</summary>
    MandatoryFileMissing,

    /// <summary>An EF's content is not the TLV the specification defines (TS 31.103 §4.2).</summary>
    MalformedFileContent,

    /// <summary>An AUTHENTICATE response is malformed (TS 31.103 §7.1.2).</summary>
    MalformedAuthenticateResponse,

    /// <summary>The soft ISIM key file cannot be read.</summary>
    KeyFileUnreadable,

    /// <summary>The soft ISIM key file is readable or writable by group or others.</summary>
    KeyFileInsecure,

    /// <summary>The soft ISIM key file's content is invalid.</summary>
    KeyFileInvalid,

    /// <summary>The soft ISIM SQN state file is invalid or cannot be written.</summary>
    SqnStateInvalid,
}
