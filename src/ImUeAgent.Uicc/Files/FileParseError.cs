// SPDX-License-Identifier: MIT
namespace ImUeAgent.Uicc.Files;

/// <summary>Why file content (FCP, EF_DIR record, ISIM EF) was rejected.</summary>
public enum FileParseError
{
    /// <summary>Not rejected.</summary>
    None,

    /// <summary>The content ends inside a tag, length or value.</summary>
    Truncated,

    /// <summary>A length uses a form other than 1 byte, 81 xx or 82 xx xx.</summary>
    LengthFormInvalid,

    /// <summary>The first data object does not have the tag the file defines.</summary>
    UnexpectedTag,

    /// <summary>The file or record holds no data object (all padding or zero length).</summary>
    Empty,

    /// <summary>A value has a length the specification does not allow.</summary>
    LengthOutOfRange,

    /// <summary>A text value is not valid UTF-8.</summary>
    InvalidUtf8,

    /// <summary>A P-CSCF address type other than FQDN, IPv4 or IPv6.</summary>
    UnknownAddressType,

    /// <summary>A P-CSCF IPv4/IPv6 value that is not an address of that family.</summary>
    InvalidAddress,

    /// <summary>An application template without an AID (tag 4F).</summary>
    MissingAid,
}
