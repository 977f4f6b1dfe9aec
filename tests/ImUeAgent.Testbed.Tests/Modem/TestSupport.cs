// SPDX-License-Identifier: MIT
using System.IO.Pipelines;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace ImUeAgent.Testbed.Tests.Modem;

/// <summary>A fake clock that tells when code under test starts waiting on it, so a test advances only then.</summary>
internal sealed class SignallingTimeProvider : FakeTimeProvider
{
    private readonly Channel<TimeSpan> _created = Channel.CreateUnbounded<TimeSpan>();

    public SignallingTimeProvider()
        : base(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero))
    {
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            _created.Writer.TryWrite(dueTime);
        }

        return timer;
    }

    /// <summary>Waits until a timer due in <paramref name="due"/> has been created.</summary>
    public async Task WaitForTimerAsync(TimeSpan due)
    {
        using var timeout = new CancellationTokenSource(TestSupport.Patience);
        while (await _created.Reader.ReadAsync(timeout.Token) != due)
        {
        }
    }
}

/// <summary>The TE side of an in-memory connection: what the MT sent, read up to an expected text.</summary>
internal sealed class TerminalSide(PipeReader fromModem, PipeWriter toModem)
{
    private readonly StringBuilder _received = new();

    public async Task SendAsync(string text)
    {
        await toModem.WriteAsync(Encoding.Latin1.GetBytes(text));
    }

    /// <summary>Reads until <paramref name="expected"/> has arrived; returns everything up to and including it.</summary>
    public async Task<string> ReadUntilAsync(string expected)
    {
        using var timeout = new CancellationTokenSource(TestSupport.Patience);
        while (true)
        {
            var text = _received.ToString();
            var index = text.IndexOf(expected, StringComparison.Ordinal);
            if (index >= 0)
            {
                _received.Remove(0, index + expected.Length);
                return text[..(index + expected.Length)];
            }

            var result = await fromModem.ReadAsync(timeout.Token);
            foreach (var segment in result.Buffer)
            {
                _received.Append(Encoding.Latin1.GetString(segment.Span));
            }

            fromModem.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                throw new EndOfStreamException($"connection ended before \"{expected}\"; got \"{_received}\"");
            }
        }
    }

    /// <summary>What has arrived so far without waiting.</summary>
    public string Pending()
    {
        while (fromModem.TryRead(out var result))
        {
            foreach (var segment in result.Buffer)
            {
                _received.Append(Encoding.Latin1.GetString(segment.Span));
            }

            fromModem.AdvanceTo(result.Buffer.End);
            if (result.Buffer.IsEmpty || result.IsCompleted)
            {
                break;
            }
        }

        return _received.ToString();
    }
}

internal static class TestSupport
{
    /// <summary>Upper bound on waiting for real I/O; tests never sleep, they wait for an event up to this.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
}
