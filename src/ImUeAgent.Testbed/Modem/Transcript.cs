// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Testbed.Modem;

/// <summary>
/// The emulator's transcript: one timestamped line per command received ("&lt;-"), line sent ("-&gt;") and event
/// ("--"), to a file or stderr. Lines that carry secrets are written in their redacted form (<see cref="AtLine"/>);
/// K, OPc, RES, CK and IK never get here. Thread-safe.
/// </summary>
internal sealed class Transcript : IDisposable
{
    private readonly Lock _gate = new();
    private readonly TextWriter _writer;
    private readonly TimeProvider _time;
    private readonly bool _ownsWriter;

    public Transcript(TextWriter writer, TimeProvider time, bool ownsWriter)
    {
        _writer = writer;
        _time = time;
        _ownsWriter = ownsWriter;
    }

    public static Transcript ToFile(string path, TimeProvider time)
    {
        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        return new Transcript(new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true }, time, ownsWriter: true);
    }

    public void Received(string line) => Write("<-", Printable(line));

    public void Sent(AtLine line) => Write("->", Printable(line.ForTranscript));

    public void Event(string text) => Write("--", text);

    public void Dispose()
    {
        if (_ownsWriter)
        {
            lock (_gate)
            {
                _writer.Dispose();
            }
        }
    }

    private void Write(string direction, string text)
    {
        var stamp = _time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        lock (_gate)
        {
            _writer.WriteLine($"{stamp} {direction} {text}");
            _writer.Flush();
        }
    }

    /// <summary>Control characters and non-ASCII bytes as \xNN, so garbage stays on one readable line.</summary>
    internal static string Printable(string text)
    {
        if (!text.Any(c => c is < ' ' or > '~'))
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (c is < ' ' or > '~')
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:X2}");
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}

/// <summary>An <see cref="ILogger"/> whose events go into the transcript, so one file tells the whole story.</summary>
internal sealed class TranscriptLogger(Transcript transcript, LogLevel minimum) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
        Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        var text = formatter(state, exception);
        if (exception is not null)
        {
            text += $" ({exception.GetType().Name}: {exception.Message})";
        }

        transcript.Event($"[{logLevel}] {text}");
    }
}
