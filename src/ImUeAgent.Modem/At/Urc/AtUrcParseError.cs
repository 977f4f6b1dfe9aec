// SPDX-License-Identifier: MIT
namespace ImUeAgent.Modem.At.Urc;

/// <summary>Why a typed URC/answer parser rejected a line (closed set, STYLE.md §4).</summary>
public enum AtUrcParseError
{
    None = 0,

    /// <summary>The line does not carry the name this parser reads.</summary>
    WrongName,

    /// <summary>The value grammar failed (unterminated string, unbalanced parenthesis...).</summary>
    MalformedValues,

    /// <summary>A mandatory field is missing or empty.</summary>
    MissingField,

    /// <summary>A numeric field is not a number.</summary>
    NotANumber,

    /// <summary>A hexadecimal field (lac, tac, ci, ext_info) is not hexadecimal or is too long.</summary>
    NotHexadecimal,

    /// <summary>A number outside the range its parameter allows.</summary>
    OutOfRange,
}
