// SPDX-License-Identifier: MIT
namespace ImUeAgent.Modem.At;

/// <summary>
/// One AT command line as the channel sends it. <see cref="Text"/> is written with S3 (CR) appended, V.250 §5.2.1.
/// </summary>
/// <example><code>
/// new AtCommand("AT+CGLA=1,42,\"...\"", "+CGLA") { Timeout = TimeSpan.FromSeconds(30), NoRetransmit = true, IsSensitive = true }
/// new AtCommand("AT+CGSN") { AcceptsUnprefixedLines = true }
/// new AtCommand("AT+CMGS=23", "+CMGS") { DataAfterPrompt = "0011000B91..." }
/// </code></example>
public sealed class AtCommand
{
    /// <summary>Ctrl-Z: 27.005 §3.5.1 ends the data sent after the "&gt; " prompt.</summary>
    public const char DataTerminator = '\u001A';

    private readonly string[] _responsePrefixes;

    /// <param name="text">The command line without CR, e.g. <c>AT+CEREG?</c>.</param>
    /// <param name="responsePrefixes">
    /// Names of the information text lines that answer this command, e.g. <c>+CEREG</c>. A line matches when it starts
    /// with the name followed by ':' (or the end of the line); a prefix ending in ':' or ' ' matches as written.
    /// </param>
    public AtCommand(string text, params string[] responsePrefixes)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        ArgumentNullException.ThrowIfNull(responsePrefixes);
        if (!IsCommandText(text))
        {
            throw new ArgumentException("an AT command line is printable ASCII without CR or LF", nameof(text));
        }

        foreach (var prefix in responsePrefixes)
        {
            ArgumentException.ThrowIfNullOrEmpty(prefix, nameof(responsePrefixes));
        }

        Text = text;
        _responsePrefixes = responsePrefixes;
    }

    public string Text { get; }

    public IReadOnlyList<string> ResponsePrefixes => _responsePrefixes;

    /// <summary>
    /// The answer has no name (ATI, +CGSN, +CIMI, +CGMI): lines that are neither final results, expected prefixes,
    /// subscribed URCs nor URC-shaped (starting with '+', '^', '$', '%', '#', '*') belong to this command.
    /// </summary>
    public bool AcceptsUnprefixedLines { get; init; }

    /// <summary>How long to wait for the final result after the command is written; null: the channel default.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// Never send again after a timeout: AUTHENTICATE through +CGLA/+CSIM is slow and a second run consumes a sequence
    /// number on the card (TS 33.102 §6.3.3), dialling twice places two calls.
    /// </summary>
    public bool NoRetransmit { get; init; }

    /// <summary>Text written after the modem's "&gt; " prompt, followed by Ctrl-Z (27.005 §3.5.1 +CMGS).</summary>
    public string? DataAfterPrompt
    {
        get;
        init
        {
            if (value is not null && (value.Length == 0 || !IsDataText(value)))
            {
                throw new ArgumentException("data after the prompt is printable ASCII without CR, LF, Ctrl-Z or ESC", nameof(value));
            }

            field = value;
        }
    }

    /// <summary>
    /// The command or its answer carries secrets (RAND/AUTN in, RES/CK/IK out of +CGLA): the transcript and logs show
    /// only the command name and the length.
    /// </summary>
    public bool IsSensitive { get; init; }

    /// <summary>True when <paramref name="line"/> is information text of this command.</summary>
    public bool MatchesPrefix(string line)
    {
        foreach (var prefix in _responsePrefixes)
        {
            if (LineHasPrefix(line, prefix))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The text safe to show: the command itself, or its name and length when sensitive.</summary>
    public string Display => IsSensitive ? Redact(Text) : Text;

    public override string ToString() => Display;

    /// <summary>The prefix rule shared by commands and URC subscriptions.</summary>
    internal static bool LineHasPrefix(string line, string prefix)
    {
        if (!line.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        return prefix[^1] is ':' or ' ' || line.Length == prefix.Length || line[prefix.Length] is ':' or ' ';
    }

    /// <summary>Keeps the command or information-text name ("AT+CGLA", "+CGLA") and hides the rest.</summary>
    internal static string Redact(string text)
    {
        var cut = text.AsSpan().IndexOfAny('=', ':');
        return cut < 0 ? $"<redacted {text.Length} chars>" : $"{text[..(cut + 1)]}<redacted {text.Length - cut - 1} chars>";
    }

    private static bool IsCommandText(string text)
    {
        foreach (var c in text)
        {
            if (c is < ' ' or > '~')
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsDataText(string text) => IsCommandText(text);
}
