// SPDX-License-Identifier: MIT
namespace ImUeAgent.Modem.At;

/// <summary>
/// The answer to one <see cref="AtCommand"/>: its final result and its information text lines, kept as received and
/// parsed only when asked (<see cref="GetValues(int)"/>).
/// </summary>
public sealed class AtResponse
{
    private static readonly string[] NoLines = [];
    private readonly string[] _lines;

    internal AtResponse(AtCommand command, AtFinalResult final, string? finalLine, string[] lines)
    {
        Command = command;
        Final = final;
        FinalLine = finalLine;
        _lines = lines;
    }

    internal static AtResponse Synthetic(AtCommand command, AtResultCode code)
        => new(command, new AtFinalResult(code, null, null), null, NoLines);

    public AtCommand Command { get; }

    public AtFinalResult Final { get; }

    public AtResultCode Result => Final.Code;

    public bool IsOk => Final.Code == AtResultCode.Ok;

    /// <summary>+CME/+CMS error number (mapped from the verbose text when 27.007 §9.2.1 names it).</summary>
    public int? ErrorCode => Final.ErrorCode;

    /// <summary>Verbose +CME/+CMS error text when the modem sent one (AT+CMEE=2).</summary>
    public string? ErrorText => Final.ErrorText;

    /// <summary>The final result line as received; null for <see cref="AtResultCode.TimedOut"/>/<see cref="AtResultCode.ChannelUnavailable"/>.</summary>
    public string? FinalLine { get; }

    /// <summary>Information text lines in arrival order (URCs that came in between are not here).</summary>
    public IReadOnlyList<string> Lines => _lines;

    /// <summary>The first line with <paramref name="prefix"/>, or null.</summary>
    public string? FirstLine(string prefix)
    {
        foreach (var line in _lines)
        {
            if (AtCommand.LineHasPrefix(line, prefix))
            {
                return line;
            }
        }

        return null;
    }

    /// <summary>The values of line <paramref name="index"/>, after its name.</summary>
    public AtValueReader GetValues(int index) => AtValueReader.ForLine(_lines[index], out _);

    /// <summary>The values of the first line with <paramref name="prefix"/>; an empty reader when there is none.</summary>
    public AtValueReader GetValues(string prefix)
    {
        var line = FirstLine(prefix);
        return line is null ? default : AtValueReader.ForLine(line, out _);
    }

    /// <summary>Result and line count only: answers can carry secrets (+CGLA).</summary>
    public override string ToString()
        => Final.ErrorCode is { } code ? $"{Final.Code} {code} ({_lines.Length} lines)" : $"{Final.Code} ({_lines.Length} lines)";
}
