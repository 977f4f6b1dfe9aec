// SPDX-License-Identifier: MIT
namespace ImUeAgent.Modem.At.Urc;

/// <summary>Field readers shared by the typed parsers: absent trailing fields are null, present ones must be valid.</summary>
internal static class UrcFields
{
    public static bool ReadRequiredInt(ref AtValueReader values, out int number, out AtUrcParseError error)
    {
        number = 0;
        if (!values.TryRead(out var value))
        {
            error = values.Error == AtValueError.None ? AtUrcParseError.MissingField : AtUrcParseError.MalformedValues;
            return false;
        }

        if (value.IsEmpty)
        {
            error = AtUrcParseError.MissingField;
            return false;
        }

        if (!value.TryGetInt32(out number))
        {
            error = AtUrcParseError.NotANumber;
            return false;
        }

        error = AtUrcParseError.None;
        return true;
    }

    public static bool ReadOptionalInt(ref AtValueReader values, out int? number, out AtUrcParseError error)
    {
        number = null;
        if (!values.TryRead(out var value))
        {
            return EndOrMalformed(ref values, out error);
        }

        error = AtUrcParseError.None;
        if (value.IsEmpty)
        {
            return true;
        }

        if (!value.TryGetInt32(out var parsed))
        {
            error = AtUrcParseError.NotANumber;
            return false;
        }

        number = parsed;
        return true;
    }

    /// <summary>A hexadecimal field of at most <paramref name="maxDigits"/> digits, quoted or not.</summary>
    public static bool ReadOptionalHex(ref AtValueReader values, int maxDigits, out ulong? number, out AtUrcParseError error)
    {
        number = null;
        if (!values.TryRead(out var value))
        {
            return EndOrMalformed(ref values, out error);
        }

        error = AtUrcParseError.None;
        if (value.IsEmpty || (value.Kind == AtValueKind.QuotedString && value.Raw.IsEmpty))
        {
            return true;
        }

        if (value.Raw.Length > maxDigits || !value.TryGetHex(out var parsed))
        {
            error = AtUrcParseError.NotHexadecimal;
            return false;
        }

        number = parsed;
        return true;
    }

    public static bool ReadOptionalString(ref AtValueReader values, out string? text, out AtUrcParseError error)
    {
        text = null;
        if (!values.TryRead(out var value))
        {
            return EndOrMalformed(ref values, out error);
        }

        error = AtUrcParseError.None;
        if (!value.IsEmpty)
        {
            text = value.GetString();
        }

        return true;
    }

    private static bool EndOrMalformed(ref AtValueReader values, out AtUrcParseError error)
    {
        error = values.Error == AtValueError.None ? AtUrcParseError.None : AtUrcParseError.MalformedValues;
        return error == AtUrcParseError.None;
    }
}
