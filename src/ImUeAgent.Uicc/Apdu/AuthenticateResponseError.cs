// SPDX-License-Identifier: MIT
namespace ImUeAgent.Uicc.Apdu;

/// <summary>Why AUTHENTICATE response data was rejected (TS 31.103 §7.1.2.1).</summary>
public enum AuthenticateResponseError
{
    /// <summary>Not rejected.</summary>
    None,

    /// <summary>No response data.</summary>
    Empty,

    /// <summary>The first byte is neither DB (success) nor DC (synchronisation failure).</summary>
    UnknownTag,

    /// <summary>The data ends before a length byte or before the bytes a length announces.</summary>
    Truncated,

    /// <summary>The RES length is outside 4..16.</summary>
    ResLengthOutOfRange,

    /// <summary>The CK length is not 16.</summary>
    CkLengthInvalid,

    /// <summary>The IK length is not 16.</summary>
    IkLengthInvalid,

    /// <summary>The AUTS length is not 14.</summary>
    AutsLengthInvalid,

    /// <summary>Bytes follow the last field.</summary>
    TrailingData,
}
