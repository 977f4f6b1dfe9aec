// SPDX-License-Identifier: MIT
using System.IO.Pipelines;
using ImUeAgent.Testbed.Modem;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImUeAgent.Testbed.Tests.Modem;

public sealed class ModemSessionTests : IAsyncDisposable
{
    private readonly SignallingTimeProvider _time = new();
    private readonly StringWriter _transcriptText = new();
    private readonly Transcript _transcript;
    private readonly UiccCard _card = new(new CardSettings(), ModemQuirks.None);
    private readonly ModemInterpreter _interpreter;
    private readonly FaultState _faults = new();
    private readonly ModemSession _session;
    private readonly CancellationTokenSource _stop = new();
    private readonly Pipe _toModem = new();
    private readonly Pipe _fromModem = new();
    private readonly Task _running;
    private readonly TerminalSide _te;

    public ModemSessionTests()
    {
        _transcript = new Transcript(_transcriptText, _time, ownsWriter: false);
        _interpreter = new ModemInterpreter(new ModemSettings { AttachDelay = TimeSpan.FromSeconds(1) }, _card, _time);
        _session = new ModemSession(_interpreter, _faults, _transcript, NullLogger.Instance, _time);
        _running = _session.RunAsync(new DuplexPipe(_toModem.Reader, _fromModem.Writer), _stop.Token);
        _te = new TerminalSide(_fromModem.Reader, _toModem.Writer);
    }

    [Fact]
    public async Task Echo_then_reply_in_v1_framing()
    {
        await _te.SendAsync("AT+CGMI\r");
        Assert.Equal("AT+CGMI\r\r\nImUeAgent\r\n\r\nOK\r\n", await _te.ReadUntilAsync("OK\r\n"));
        await _te.SendAsync("ATE0\r\nAT\r\n");
        Assert.Equal("ATE0\r\r\nOK\r\n", await _te.ReadUntilAsync("OK\r\n"));
        Assert.Equal("\r\nOK\r\n", await _te.ReadUntilAsync("OK\r\n"));
    }

    [Fact]
    public async Task A_urc_raised_by_a_command_follows_its_reply()
    {
        await _te.SendAsync("ATE0;+CEREG=1;+CFUN=1,1\r");
        var text = await _te.ReadUntilAsync("+CPIN: READY\r\n");
        Assert.Equal("ATE0;+CEREG=1;+CFUN=1,1\r\r\nOK\r\n\r\nRDY\r\n\r\n+CPIN: READY\r\n", text);
    }

    [Fact]
    public async Task Timer_urcs_arrive_without_a_command()
    {
        await _te.SendAsync("AT+CEREG=1\r");
        await _te.ReadUntilAsync("OK\r\n");
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.EndsWith("\r\n+CEREG: 1\r\n", await _te.ReadUntilAsync("+CEREG: 1\r\n"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dropped_reply_is_never_sent_and_the_next_one_is()
    {
        _faults.DropReplies(1);
        await _te.SendAsync("ATE0\rAT+CGMR\r");
        // ATE0's OK is dropped, so the next line is not echoed.
        Assert.Equal("ATE0\r\r\nTB01R01\r\n\r\nOK\r\n", await _te.ReadUntilAsync("OK\r\n"));
    }

    [Fact]
    public async Task Slow_reply_waits_for_the_clock()
    {
        _faults.ReplyDelay = TimeSpan.FromSeconds(2);
        await _te.SendAsync("AT\r");
        await _time.WaitForTimerAsync(TimeSpan.FromSeconds(2));
        _time.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.DoesNotContain("OK", _te.Pending(), StringComparison.Ordinal);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal("AT\r\r\nOK\r\n", await _te.ReadUntilAsync("OK\r\n"));
    }

    [Fact]
    public async Task Garbage_is_sent_between_lines()
    {
        await _te.SendAsync("AT\r");
        await _te.ReadUntilAsync("OK\r\n");
        await _session.SendGarbageAsync(64, TestContext.Current.CancellationToken);
        await _te.SendAsync("AT+CGMR\r");
        var text = await _te.ReadUntilAsync("TB01R01\r\n\r\nOK\r\n");
        Assert.True(text.Length >= 64 + "AT+CGMR\r".Length);
        Assert.Contains("64 garbage bytes", _transcriptText.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_overlong_line_answers_error_and_the_session_goes_on()
    {
        await _te.SendAsync("ATE0\r");
        await _te.ReadUntilAsync("OK\r\n");
        await _te.SendAsync(new string('A', 5000) + "\rAT\r");
        Assert.Equal("\r\nERROR\r\n", await _te.ReadUntilAsync("ERROR\r\n"));
        Assert.Equal("\r\nOK\r\n", await _te.ReadUntilAsync("OK\r\n"));

        // The same line arriving in pieces: the first 2 KiB overflow, the rest is discarded up to its CR.
        await _te.SendAsync(new string('A', 3000));
        await _te.SendAsync(new string('A', 3000) + "\rAT+CGMR\r");
        Assert.Equal("\r\nERROR\r\n", await _te.ReadUntilAsync("ERROR\r\n"));
        Assert.Equal("\r\nTB01R01\r\n\r\nOK\r\n", await _te.ReadUntilAsync("OK\r\n"));
    }

    [Fact]
    public async Task Transcript_has_directions_and_never_the_authenticate_secrets()
    {
        await _te.SendAsync("AT+CCHO=\"A0000000871004\"\r");
        await _te.ReadUntilAsync("OK\r\n");
        await _te.SendAsync("AT+CGLA=1,80,\"00880081221023553CBE9637A89D218AE64DAE47BF351055F328B43577B9B94A9FFAC354DFAFB300\"\r");
        var reply = await _te.ReadUntilAsync("OK\r\n");
        Assert.Contains("A54211D5E3BA50BF", reply, StringComparison.Ordinal);

        var transcript = _transcriptText.ToString();
        Assert.Contains("<- AT+CCHO=\"A0000000871004\"", transcript, StringComparison.Ordinal);
        Assert.Contains("-> +CCHO: 1", transcript, StringComparison.Ordinal);
        Assert.Contains("-> +CGLA: 92,\"<AUTHENTICATE response redacted>9000\"", transcript, StringComparison.Ordinal);
        foreach (var secret in new[] { "A54211D5E3BA50BF", "B40BA9A3C58B2A05", "F769BCD751044604", "465B5CE8", "CD63CB71" })
        {
            Assert.DoesNotContain(secret, transcript, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task The_session_ends_when_the_te_closes()
    {
        await _toModem.Writer.CompleteAsync();
        await _running.WaitAsync(TestSupport.Patience, TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _running.WaitAsync(TestSupport.Patience);
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        _session.Dispose();
        _interpreter.Dispose();
        _card.Dispose();
        _transcript.Dispose();
        _stop.Dispose();
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
