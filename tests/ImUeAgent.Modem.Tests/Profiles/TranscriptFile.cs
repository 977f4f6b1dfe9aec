// SPDX-License-Identifier: MIT
namespace ImUeAgent.Modem.Tests.Profiles;

/// <summary>What a transcript line is, from its first character (hardware/modems/README.md, "Transcript format").</summary>
internal enum TranscriptLineKind
{
    /// <summary><c>&gt; AT+CGMI</c>: a line the host sends (without CR), or data after a prompt.</summary>
    Command,

    /// <summary><c>&lt; Quectel</c>: a line the module sends in answer (echo included).</summary>
    Response,

    /// <summary><c>&lt; &gt; </c>: the SMS-style prompt; the next command line is the data it asks for.</summary>
    Prompt,

    /// <summary><c>~ +CEREG: 1</c>: an unsolicited line the module sends at this point.</summary>
    Unsolicited,
}

/// <summary>Why a transcript file cannot be read (a closed set, STYLE.md §4).</summary>
public enum TranscriptFormatError
{
    UnknownLinePrefix,
    EmptyCommand,
    EmptyModuleLine,
    ResponseBeforeCommand,
    ControlCharacter,
    NoLines,
}

internal sealed class TranscriptFormatException(string source, int lineNumber, TranscriptFormatError reason)
    : Exception($"{source}:{lineNumber}: {reason}")
{
    public int LineNumber { get; } = lineNumber;

    public TranscriptFormatError Reason { get; } = reason;
}

internal sealed record TranscriptLine(int LineNumber, TranscriptLineKind Kind, string Text);

/// <summary>One command and everything the module answered to it, in order (URCs kept apart).</summary>
internal sealed record TranscriptExchange(
    TranscriptLine Command,
    IReadOnlyList<TranscriptLine> Responses,
    IReadOnlyList<TranscriptLine> Unsolicited,
    bool IsPromptData);

/// <summary>
/// A written or captured AT transcript of hardware/modems/&lt;modem&gt;/transcripts (test side; src has its own
/// AtTranscript for live channels). Lines: <c># comment</c>, <c>&gt; command</c>, <c>&lt; module line</c>,
/// <c>&lt; &gt; </c> (prompt), <c>~ unsolicited line</c>; blank lines are ignored. A <c># quirk: &lt;flag&gt;</c>
/// comment declares a profile quirk the file exercises beyond its folder's profile.
/// </summary>
internal sealed class TranscriptFile
{
    private TranscriptFile(string source, List<string> header, HashSet<string> quirks, List<TranscriptLine> lines,
        List<TranscriptLine> preamble, List<TranscriptExchange> exchanges)
    {
        Source = source;
        HeaderComments = header;
        Quirks = quirks;
        Lines = lines;
        Preamble = preamble;
        Exchanges = exchanges;
    }

    public string Source { get; }

    /// <summary>The comment lines before the first non-comment line (what it shows and its source).</summary>
    public IReadOnlyList<string> HeaderComments { get; }

    public IReadOnlySet<string> Quirks { get; }

    public IReadOnlyList<TranscriptLine> Lines { get; }

    /// <summary>Unsolicited lines before the first command (e.g. "RDY" at boot).</summary>
    public IReadOnlyList<TranscriptLine> Preamble { get; }

    public IReadOnlyList<TranscriptExchange> Exchanges { get; }

    public static TranscriptFile Load(string path) => Parse(path, File.ReadAllText(path));

    public static TranscriptFile Parse(string source, string text)
    {
        var header = new List<string>();
        var quirks = new HashSet<string>(StringComparer.Ordinal);
        var lines = new List<TranscriptLine>();
        var inHeader = true;
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.EndsWith('\r') ? raw[..^1] : raw;
            if (line.Any(c => char.IsControl(c) && c != '\t'))
            {
                throw new TranscriptFormatException(source, number, TranscriptFormatError.ControlCharacter);
            }

            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            if (line[0] == '#')
            {
                var comment = line[1..].Trim();
                if (inHeader)
                {
                    header.Add(comment);
                }

                if (comment.StartsWith("quirk:", StringComparison.Ordinal))
                {
                    quirks.Add(comment["quirk:".Length..].Trim());
                }

                continue;
            }

            inHeader = false;
            lines.Add(ParseLine(source, number, line));
        }

        if (lines.Count == 0)
        {
            throw new TranscriptFormatException(source, number, TranscriptFormatError.NoLines);
        }

        var preamble = new List<TranscriptLine>();
        var exchanges = new List<TranscriptExchange>();
        TranscriptLine? command = null;
        List<TranscriptLine> responses = [];
        List<TranscriptLine> unsolicited = [];
        var promptData = false;
        var nextIsPromptData = false;
        foreach (var line in lines)
        {
            switch (line.Kind)
            {
                case TranscriptLineKind.Command:
                    if (command is not null)
                    {
                        exchanges.Add(new TranscriptExchange(command, responses, unsolicited, promptData));
                        nextIsPromptData = responses.Count > 0 && responses[^1].Kind == TranscriptLineKind.Prompt;
                    }

                    command = line;
                    promptData = nextIsPromptData;
                    responses = [];
                    unsolicited = [];
                    break;
                case TranscriptLineKind.Response or TranscriptLineKind.Prompt:
                    if (command is null)
                    {
                        throw new TranscriptFormatException(source, line.LineNumber, TranscriptFormatError.ResponseBeforeCommand);
                    }

                    responses.Add(line);
                    break;
                default:
                    (command is null ? preamble : unsolicited).Add(line);
                    break;
            }
        }

        if (command is not null)
        {
            exchanges.Add(new TranscriptExchange(command, responses, unsolicited, promptData));
        }

        return new TranscriptFile(source, header, quirks, lines, preamble, exchanges);
    }

    private static TranscriptLine ParseLine(string source, int number, string line)
    {
        var rest = line.Length >= 2 && line[1] == ' ' ? line[2..] : null;
        switch (line[0])
        {
            case '>':
                if (string.IsNullOrEmpty(rest))
                {
                    throw new TranscriptFormatException(source, number, TranscriptFormatError.EmptyCommand);
                }

                return new TranscriptLine(number, TranscriptLineKind.Command, rest);
            case '<':
                if (rest is not null && rest.TrimEnd() == ">")
                {
                    return new TranscriptLine(number, TranscriptLineKind.Prompt, "> ");
                }

                if (string.IsNullOrEmpty(rest))
                {
                    throw new TranscriptFormatException(source, number, TranscriptFormatError.EmptyModuleLine);
                }

                return new TranscriptLine(number, TranscriptLineKind.Response, rest);
            case '~':
                if (string.IsNullOrEmpty(rest))
                {
                    throw new TranscriptFormatException(source, number, TranscriptFormatError.EmptyModuleLine);
                }

                return new TranscriptLine(number, TranscriptLineKind.Unsolicited, rest);
            default:
                throw new TranscriptFormatException(source, number, TranscriptFormatError.UnknownLinePrefix);
        }
    }
}
