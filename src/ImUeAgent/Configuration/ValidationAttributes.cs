// SPDX-License-Identifier: MIT
using System.ComponentModel.DataAnnotations;

namespace ImUeAgent.Configuration;

// Small validators instead of [RegularExpression]: that attribute compiles its pattern at run time and drags the
// whole regular-expression engine (hundreds of KiB) into the AOT binary.

/// <summary>One of a fixed set of words (case-insensitive, as the binder reads enums).</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class OneOfAttribute(params string[] allowed) : ValidationAttribute
{
    public IReadOnlyList<string> Allowed { get; } = allowed;

    public override bool IsValid(object? value) =>
        value is string text && Allowed.Any(a => a.Equals(text, StringComparison.OrdinalIgnoreCase));

    public override string FormatErrorMessage(string name) => $"The field {name} must be one of {string.Join(", ", Allowed)}.";
}

/// <summary>Empty, or a string of digits of a given length range.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class DigitsAttribute(int minimum, int maximum) : ValidationAttribute
{
    public int Minimum { get; } = minimum;

    public int Maximum { get; } = maximum;

    public override bool IsValid(object? value) =>
        value is string text && (text.Length == 0 || (text.Length >= Minimum && text.Length <= Maximum && text.All(char.IsAsciiDigit)));

    public override string FormatErrorMessage(string name) => $"The field {name} must be {Minimum} to {Maximum} digits or empty.";
}

/// <summary>Empty, or a modem profile folder name: lower-case letters, digits and '-'.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class ProfileNameAttribute : ValidationAttribute
{
    public override bool IsValid(object? value) =>
        value is string text && text.Length <= 64 && text.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');

    public override string FormatErrorMessage(string name) => $"The field {name} must be a profile folder name (a-z, 0-9, '-') or empty.";
}

/// <summary>An access point name: 1 to 100 printable characters without quotes or commas (TS 23.003 §9.1).</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class ApnAttribute : ValidationAttribute
{
    public override bool IsValid(object? value) =>
        value is string text && text.Length is >= 1 and <= 100 && text.All(c => c is >= '!' and <= '~' and not '"' and not ',');

    public override string FormatErrorMessage(string name) => $"The field {name} must be 1 to 100 printable characters without quotes or commas.";
}

/// <summary>An absolute path short enough for a Unix socket address (sun_path is 108 bytes).</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class SocketPathAttribute : ValidationAttribute
{
    public override bool IsValid(object? value) => value is string text && text.Length is >= 2 and <= 100 && text[0] == '/';

    public override string FormatErrorMessage(string name) => $"The field {name} must be an absolute path of at most 100 characters.";
}

/// <summary>Empty, or a Linux network interface name (IFNAMSIZ: at most 15 bytes, no '/', no white space).</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class InterfaceNameAttribute : ValidationAttribute
{
    public override bool IsValid(object? value) =>
        value is string text && text.Length <= 15 && text != "." && text != ".." &&
        text.All(c => c is > ' ' and <= '~' and not '/' and not ':');

    public override string FormatErrorMessage(string name) => $"The field {name} must be a network interface name (at most 15 characters, no '/', ':' or spaces) or empty.";
}

/// <summary>A digest username: printable characters without quotes, backslashes or white space (it goes into a
/// quoted-string of Authorization, RFC 3261 §25.1).</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class SipTokenAttribute : ValidationAttribute
{
    public override bool IsValid(object? value) =>
        value is string text && text.Length <= 128 && text.All(c => c is > ' ' and <= '~' and not '"' and not '\\');

    public override string FormatErrorMessage(string name) => $"The field {name} must be at most 128 printable characters without quotes, backslashes or spaces.";
}

/// <summary>A sip: or sips: URI with a host (RFC 3261 §19.1), e.g. sip:alice@example.net.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class SipUriTextAttribute : ValidationAttribute
{
    /// <summary>Empty means "not set" and is accepted.</summary>
    public bool AllowEmpty { get; init; }

    public override bool IsValid(object? value) =>
        value is string text && (AllowEmpty && text.Length == 0 || text.Length is > 0 and <= 256 &&
        ImUeAgent.Sip.Message.SipUri.TryParse(text, out var uri) && uri.Scheme is ImUeAgent.Sip.Message.SipUriScheme.Sip or ImUeAgent.Sip.Message.SipUriScheme.Sips &&
        uri.Host.Length > 0);

    public override string FormatErrorMessage(string name) => $"The field {name} must be a sip: URI such as sip:alice@example.net{(AllowEmpty ? " or empty" : "")}.";
}

/// <summary>Empty, or an absolute http:// or https:// URI.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class HttpUriAttribute : ValidationAttribute
{
    public override bool IsValid(object? value) =>
        value is string text && (text.Length == 0 ||
            (text.Length <= 512 && Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)));

    public override string FormatErrorMessage(string name) => $"The field {name} must be an http:// or https:// URI or empty.";
}
