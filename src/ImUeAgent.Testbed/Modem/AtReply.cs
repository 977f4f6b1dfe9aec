// SPDX-License-Identifier: MIT
using System.Text;

namespace ImUeAgent.Testbed.Modem;

/// <summary>
/// One line the MT sends. <see cref="Redacted"/> replaces it in the transcript when it carries secrets (an
/// AUTHENTICATE response: RES, CK, IK or AUTS).
/// </summary>
internal readonly record struct AtLine(string Text, string? Redacted = null)
{
    public string ForTranscript => Redacted ?? Text;

    public static implicit operator AtLine(string text) => new(text);
}

/// <summary>Final result of a command line (ITU-T V.250 §5.7.1, TS 27.007 §9.2).</summary>
internal enum AtResultCode
{
    Ok = 0,
    Error = 4,
    CmeError = 100,
}

/// <summary>
/// The MT's answer to one command line: information text, the final result (its text already follows +CMEE) and,
/// under the cme-then-ok quirk, a spurious OK after +CME ERROR. <see cref="None"/>: a line with no "AT" gets nothing.
/// </summary>
internal sealed record AtReply(IReadOnlyList<AtLine> Information, AtResultCode Code, string FinalText, bool TrailingOk = false)
{
    public static AtReply None { get; } = new([], AtResultCode.Ok, string.Empty);

    public bool IsNone => ReferenceEquals(this, None);

    /// <summary>Every line as the TE sees it, information first (for tests and the transcript).</summary>
    public IReadOnlyList<string> Lines()
    {
        if (IsNone)
        {
            return [];
        }

        var lines = Information.Select(l => l.Text).ToList();
        if (FinalText.Length > 0)
        {
            lines.Add(FinalText);
        }

        if (TrailingOk)
        {
            lines.Add("OK");
        }

        return lines;
    }

    /// <summary>
    /// The bytes on the wire (V.250 §5.7): with V1, information as "\r\n" text "\r\n" and the result code as
    /// "\r\nOK\r\n"; with V0, information as text "\r\n" and the result code as its number and "\r".
    /// </summary>
    public string Format(bool verbose)
    {
        if (IsNone)
        {
            return string.Empty;
        }

        var builder = new StringBuilder();
        if (Information.Count > 0)
        {
            if (verbose)
            {
                builder.Append("\r\n");
            }

            foreach (var line in Information)
            {
                builder.Append(line.Text).Append("\r\n");
            }
        }

        if (FinalText.Length == 0)
        {
            return builder.ToString();
        }

        AppendResult(builder, Code, FinalText, verbose);
        if (TrailingOk)
        {
            AppendResult(builder, AtResultCode.Ok, "OK", verbose);
        }

        return builder.ToString();
    }

    /// <summary>A URC: "\r\n" text "\r\n" with V1, text "\r\n" with V0.</summary>
    public static string FormatUnsolicited(string text, bool verbose) => verbose ? $"\r\n{text}\r\n" : $"{text}\r\n";

    private static void AppendResult(StringBuilder builder, AtResultCode code, string text, bool verbose)
    {
        if (verbose)
        {
            builder.Append("\r\n").Append(text).Append("\r\n");
        }
        else if (code == AtResultCode.CmeError)
        {
            builder.Append(text).Append("\r\n");
        }
        else
        {
            builder.Append((int)code).Append('\r');
        }
    }
}
