// SPDX-License-Identifier: MIT
using System.Collections.Frozen;
using System.Globalization;

namespace ImUeAgent.Modem.At;

/// <summary>
/// How a command ended. The first values are the final result codes of V.250 §5.7.1 and 27.007 §9.2; the last two
/// are the channel's own outcomes when no final result came.
/// </summary>
public enum AtResultCode
{
    Ok,
    Error,

    /// <summary>27.007 §9.2: "+CME ERROR: &lt;err&gt;" (numeric or verbose).</summary>
    CmeError,

    /// <summary>27.005 §3.2.5: "+CMS ERROR: &lt;err&gt;".</summary>
    CmsError,
    NoCarrier,
    Connect,
    Busy,
    NoAnswer,
    NoDialtone,

    /// <summary>No final result within the command's timeout. The channel has resynchronised since.</summary>
    TimedOut,

    /// <summary>The command was not answered because the channel is (or became) broken: port lost, closed, unresponsive.</summary>
    ChannelUnavailable,
}

/// <summary>A final result line classified by an <see cref="AtFinalResultTable"/>.</summary>
public readonly record struct AtFinalResult(AtResultCode Code, int? ErrorCode, string? ErrorText)
{
    public bool IsOk => Code == AtResultCode.Ok;
}

/// <summary>One entry of the final result table: a whole line, or a line prefix ("CONNECT 115200", "+CME ERROR:").</summary>
public sealed record AtFinalResultPattern(string Text, AtResultCode Code, bool IsPrefix = false);

/// <summary>
/// The terminator table (STYLE.md §8, the second step of the routing rule): which lines end a command. Extensible per
/// modem profile with <see cref="With"/>, e.g. a vendor's "COMMAND NOT SUPPORT" as <see cref="AtResultCode.Error"/>.
/// </summary>
public sealed class AtFinalResultTable
{
    private readonly AtFinalResultPattern[] _patterns;

    private AtFinalResultTable(AtFinalResultPattern[] patterns)
    {
        _patterns = patterns;
    }

    /// <summary>V.250 §5.7.1 verbose result codes plus 27.007/27.005 extended errors.</summary>
    public static AtFinalResultTable Default { get; } = new(
    [
        new("OK", AtResultCode.Ok),
        new("ERROR", AtResultCode.Error),
        new("+CME ERROR:", AtResultCode.CmeError, IsPrefix: true),
        new("+CMS ERROR:", AtResultCode.CmsError, IsPrefix: true),
        new("NO CARRIER", AtResultCode.NoCarrier),
        new("CONNECT", AtResultCode.Connect),
        new("CONNECT ", AtResultCode.Connect, IsPrefix: true),
        new("BUSY", AtResultCode.Busy),
        new("NO ANSWER", AtResultCode.NoAnswer),
        new("NO DIALTONE", AtResultCode.NoDialtone),
        new("NO DIAL TONE", AtResultCode.NoDialtone),
    ]);

    public IReadOnlyList<AtFinalResultPattern> Patterns => _patterns;

    /// <summary>A table with <paramref name="extra"/> entries checked before the existing ones.</summary>
    public AtFinalResultTable With(params IEnumerable<AtFinalResultPattern> extra)
    {
        ArgumentNullException.ThrowIfNull(extra);
        var added = extra.ToArray();
        foreach (var pattern in added)
        {
            if (string.IsNullOrEmpty(pattern.Text) || pattern.Code is AtResultCode.TimedOut or AtResultCode.ChannelUnavailable)
            {
                throw new ArgumentException($"final result pattern '{pattern.Text}' -> {pattern.Code} is not a modem result", nameof(extra));
            }
        }

        return new AtFinalResultTable([.. added, .. _patterns]);
    }

    /// <summary>True when <paramref name="line"/> is a final result; parses the CME/CMS error code or text.</summary>
    public bool TryMatch(string line, out AtFinalResult result)
    {
        foreach (var pattern in _patterns)
        {
            var matches = pattern.IsPrefix
                ? line.StartsWith(pattern.Text, StringComparison.Ordinal)
                : line.Length == pattern.Text.Length && string.Equals(line, pattern.Text, StringComparison.Ordinal);
            if (!matches)
            {
                continue;
            }

            result = pattern.Code is AtResultCode.CmeError or AtResultCode.CmsError
                ? ParseExtendedError(pattern.Code, line.AsSpan(pattern.Text.Length))
                : new AtFinalResult(pattern.Code, null, null);
            return true;
        }

        result = default;
        return false;
    }

    private static AtFinalResult ParseExtendedError(AtResultCode code, ReadOnlySpan<char> rest)
    {
        var text = rest.Trim(' ');
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return new AtFinalResult(code, number, null);
        }

        var verbose = text.ToString();
        int? known = code == AtResultCode.CmeError && CmeErrorText.TryGetCode(verbose, out var mapped) ? mapped : null;
        return new AtFinalResult(code, known, verbose.Length == 0 ? null : verbose);
    }
}

/// <summary>27.007 §9.2.1 verbose +CME ERROR texts, so "+CME ERROR: SIM not inserted" and "+CME ERROR: 10" compare equal.</summary>
public static class CmeErrorText
{
    private static readonly FrozenDictionary<string, int> Codes = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase)
    {
        ["phone failure"] = 0,
        ["no connection to phone"] = 1,
        ["phone-adaptor link reserved"] = 2,
        ["operation not allowed"] = 3,
        ["operation not supported"] = 4,
        ["PH-SIM PIN required"] = 5,
        ["PH-FSIM PIN required"] = 6,
        ["PH-FSIM PUK required"] = 7,
        ["SIM not inserted"] = 10,
        ["SIM PIN required"] = 11,
        ["SIM PUK required"] = 12,
        ["SIM failure"] = 13,
        ["SIM busy"] = 14,
        ["SIM wrong"] = 15,
        ["incorrect password"] = 16,
        ["SIM PIN2 required"] = 17,
        ["SIM PUK2 required"] = 18,
        ["memory full"] = 20,
        ["invalid index"] = 21,
        ["not found"] = 22,
        ["memory failure"] = 23,
        ["text string too long"] = 24,
        ["invalid characters in text string"] = 25,
        ["dial string too long"] = 26,
        ["invalid characters in dial string"] = 27,
        ["no network service"] = 30,
        ["network timeout"] = 31,
        ["network not allowed - emergency calls only"] = 32,
        ["network personalization PIN required"] = 40,
        ["network personalization PUK required"] = 41,
        ["network subset personalization PIN required"] = 42,
        ["network subset personalization PUK required"] = 43,
        ["service provider personalization PIN required"] = 44,
        ["service provider personalization PUK required"] = 45,
        ["corporate personalization PIN required"] = 46,
        ["corporate personalization PUK required"] = 47,
        ["hidden key required"] = 48,
        ["EAP method not supported"] = 49,
        ["Incorrect parameters"] = 50,
        ["unknown"] = 100,
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    public static bool TryGetCode(string text, out int code) => Codes.TryGetValue(text.Trim(), out code);
}
