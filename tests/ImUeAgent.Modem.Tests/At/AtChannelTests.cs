// SPDX-License-Identifier: MIT
using ImUeAgent.Modem.At;
using ImUeAgent.Modem.Tests.Ports;

namespace ImUeAgent.Modem.Tests.At;

public sealed class AtChannelTests : IAsyncLifetime
{
    private static readonly AtChannelSettings Settings = new()
    {
        DefaultCommandTimeout = TimeSpan.FromSeconds(5),
        ResyncTimeout = TimeSpan.FromSeconds(2),
        QuietGap = TimeSpan.FromMilliseconds(300),
        ReopenBackoffInitial = TimeSpan.FromSeconds(1),
        ReopenBackoffMax = TimeSpan.FromSeconds(4),
        MaxConsecutiveTimeouts = 3,
        RetransmissionsOnTimeout = 1,
        TrailingOkWindow = TimeSpan.FromMilliseconds(150),
    };

    private readonly TestClock _clock = new();
    private readonly InMemoryModemPort _port = new();
    private readonly TranscriptRecorder _transcript = new();
    private readonly List<AtChannelStatus> _statuses = [];
    private AtChannel _channel = null!;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_channel is not null)
        {
            await _channel.DisposeAsync();
        }
    }

    [Fact]
    public async Task AnswersAPrefixedQueryWithEchoOn()
    {
        var modem = await StartReadyAsync();
        var reply = Send(new AtCommand("AT+CEREG?", "+CEREG"));
        await modem.ExpectAsync("AT+CEREG?");
        await modem.SendAsync("AT+CEREG?\r\r\n+CEREG: 2,1,\"1A2B\",\"01A2B3C4\",7\r\n\r\nOK\r\n");
        var response = await reply;
        Assert.True(response.IsOk);
        Assert.Equal(["+CEREG: 2,1,\"1A2B\",\"01A2B3C4\",7"], response.Lines);
        var values = response.GetValues("+CEREG");
        Assert.True(values.TryReadInt32(out var n));
        Assert.Equal(2, n);
        Assert.Contains(_transcript.Entries, e => e.Route == AtLineRoute.Echo && e.Text == "AT+CEREG?");
    }

    public static TheoryData<int> ChunkSizes => [1, 2, 3, 7, 64, 4096];

    [Theory]
    [MemberData(nameof(ChunkSizes))]
    public async Task UrcsBetweenResponseLinesGoToTheRouterNotTheCaller(int chunk)
    {
        var modem = await StartReadyAsync();
        var urcs = new List<string>();
        _channel.Urcs.Subscribe("+CEREG", u => urcs.Add(u.Line));
        _channel.Urcs.Subscribe("+CGEV", u => urcs.Add(u.Line));
        var reply = Send(new AtCommand("AT+CGDCONT?", "+CGDCONT"));
        await modem.ExpectAsync("AT+CGDCONT?");
        var bytes = System.Text.Encoding.ASCII.GetBytes(
            "\r\n+CGDCONT: 1,\"IP\",\"ims\"\r\n\r\n+CEREG: 1\r\n\r\n+CGDCONT: 2,\"IPV4V6\",\"internet\"\r\n\r\n+CGEV: ME PDN ACT 1\r\n\r\nOK\r\n");
        for (var i = 0; i < bytes.Length; i += chunk)
        {
            await modem.SendAsync(bytes.AsMemory(i, Math.Min(chunk, bytes.Length - i)));
        }

        var response = await reply;
        Assert.True(response.IsOk);
        Assert.Equal(["+CGDCONT: 1,\"IP\",\"ims\"", "+CGDCONT: 2,\"IPV4V6\",\"internet\""], response.Lines);
        Assert.Equal(["+CEREG: 1", "+CGEV: ME PDN ACT 1"], urcs);
    }

    [Fact]
    public async Task UnprefixedAnswersAndErrors()
    {
        var modem = await StartReadyAsync();
        var imei = Send(new AtCommand("AT+CGSN") { AcceptsUnprefixedLines = true });
        await modem.ExpectAsync("AT+CGSN");
        await modem.ReplyAsync("+CEREG: 2", "351234567890123", "OK");
        Assert.Equal(["351234567890123"], (await imei).Lines);

        var pin = Send(new AtCommand("AT+CPIN?", "+CPIN"));
        await modem.ExpectAsync("AT+CPIN?");
        await modem.ReplyAsync("+CME ERROR: SIM not inserted");
        var error = await pin;
        Assert.Equal((AtResultCode.CmeError, 10, "SIM not inserted"), (error.Result, error.ErrorCode!.Value, error.ErrorText));
    }

    [Fact]
    public async Task TrailingOkAfterCmeErrorIsSwallowedWhenTheProfileSaysSo()
    {
        var modem = await StartReadyAsync(Settings with { CmeErrorTrailingOk = true });
        var first = Send(new AtCommand("AT+CGACT=1,1"));
        await modem.ExpectAsync("AT+CGACT=1,1");
        await modem.ReplyAsync("+CME ERROR: 30");
        Assert.Equal(AtResultCode.CmeError, (await first).Result);

        // The next command waits for the quirk's OK instead of racing it.
        var second = Send(new AtCommand("AT+CGSN") { AcceptsUnprefixedLines = true });
        await modem.ReplyAsync("OK");
        await modem.ExpectAsync("AT+CGSN");
        await modem.ReplyAsync("351234567890123", "OK");
        Assert.Equal(["351234567890123"], (await second).Lines);

        // Without the OK the window elapses and the channel goes on.
        var third = Send(new AtCommand("AT+CGACT=1,2"));
        await modem.ExpectAsync("AT+CGACT=1,2");
        await modem.ReplyAsync("+CME ERROR: 3");
        Assert.Equal(AtResultCode.CmeError, (await third).Result);
        var fourth = Send(new AtCommand("AT"));
        await _clock.AdvanceWhenWaitingAsync(Settings.TrailingOkWindow);
        await modem.ExpectAsync("AT");
        await modem.ReplyAsync("OK");
        Assert.True((await fourth).IsOk);
    }

    [Fact]
    public async Task LateReplyAfterTimeoutNeverReachesTheNextCommand()
    {
        var modem = await StartReadyAsync();
        var authenticate = new AtCommand("AT+CGLA=1,10,\"0088008122\"", "+CGLA") { Timeout = TimeSpan.FromSeconds(10), NoRetransmit = true };
        var slow = Send(authenticate);
        await modem.ExpectAsync(authenticate.Text);
        await _clock.AdvanceWhenWaitingAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(AtResultCode.TimedOut, (await slow).Result);

        // The modem was busy: the late answer (and its OK) arrive while the resync AT is in flight, then AT's own OK.
        await modem.ExpectAsync("AT");
        await modem.ReplyAsync("+CGLA: 4,\"9000\"", "OK");
        await _clock.WhenTimerAsync(Settings.QuietGap);
        await modem.ReplyAsync("OK");
        await _transcript.WhenLineAsync("OK", AtLineRoute.Stale);
        await _clock.AdvanceWhenWaitingAsync(Settings.QuietGap); // disturbed gap
        await _clock.AdvanceWhenWaitingAsync(Settings.QuietGap); // quiet gap
        await _channel.WaitForStateAsync(AtChannelState.Ready, TestContext.Current.CancellationToken);

        var next = Send(new AtCommand("AT+CSQ", "+CSQ"));
        await modem.ExpectAsync("AT+CSQ");
        await modem.ReplyAsync("+CSQ: 20,99", "OK");
        var response = await next;
        Assert.Equal(["+CSQ: 20,99"], response.Lines);
        Assert.Contains(_transcript.Entries, e => e.Text == "+CGLA: 4,\"9000\"" && e.Route == AtLineRoute.Stale);
        Assert.Equal(
            [AtChannelState.Opening, AtChannelState.Ready, AtChannelState.Resynchronising, AtChannelState.Ready],
            _statuses.Select(s => s.State));
    }

    [Fact]
    public async Task TimedOutCommandIsRetransmittedUnlessForbidden()
    {
        var modem = await StartReadyAsync();
        var reply = Send(new AtCommand("AT+COPS?", "+COPS"));
        await modem.ExpectAsync("AT+COPS?");
        await _clock.AdvanceWhenWaitingAsync(Settings.DefaultCommandTimeout);
        await modem.AnswerSyncAsync();
        await _clock.AdvanceWhenWaitingAsync(Settings.QuietGap);
        await modem.ExpectAsync("AT+COPS?");
        await modem.ReplyAsync("+COPS: 0,0,\"Operator\",7", "OK");
        var response = await reply;
        Assert.True(response.IsOk);
        Assert.Single(response.Lines);
    }

    [Fact]
    public async Task ConsecutiveTimeoutsBreakTheChannelAndItReopensWithBackoff()
    {
        var modem = await StartReadyAsync();
        var reply = Send(new AtCommand("AT+CFUN=1") { NoRetransmit = true });
        await modem.ExpectAsync("AT+CFUN=1");
        await _clock.AdvanceWhenWaitingAsync(Settings.DefaultCommandTimeout); // 1
        await modem.ExpectAsync("AT");
        await _clock.AdvanceWhenWaitingAsync(Settings.ResyncTimeout); // 2
        await modem.ExpectAsync("AT");
        await _clock.AdvanceWhenWaitingAsync(Settings.ResyncTimeout); // 3 -> broken
        Assert.Equal(AtResultCode.TimedOut, (await reply).Result);
        var broken = await _channel.WaitForStateAsync(AtChannelState.Broken, TestContext.Current.CancellationToken);
        Assert.Equal(AtChannelBreakReason.Unresponsive, broken.Reason);

        // While broken, commands are refused at once instead of queueing behind a dead modem.
        Assert.Equal(AtResultCode.ChannelUnavailable, (await Send(new AtCommand("AT+CGSN"))).Result);
        Assert.Equal(1, _port.OpenCount);
        await _clock.WhenTimerAsync(Settings.ReopenBackoffInitial);
        _clock.Fake.Advance(Settings.ReopenBackoffInitial - TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, _port.OpenCount);
        _clock.Fake.Advance(TimeSpan.FromMilliseconds(1));
        var reopened = await _port.NextModemAsync();
        Assert.Equal(2, _port.OpenCount);
        await reopened.AnswerSyncAsync();
        await _clock.AdvanceWhenWaitingAsync(Settings.QuietGap);
        await _channel.WaitForStateAsync(AtChannelState.Ready, TestContext.Current.CancellationToken);

        var after = Send(new AtCommand("AT+CFUN?", "+CFUN"));
        await reopened.ExpectAsync("AT+CFUN?");
        await reopened.ReplyAsync("+CFUN: 1", "OK");
        Assert.True((await after).IsOk);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task PortThatVanishesIsWaitedForAndReopened(bool withError)
    {
        var modem = await StartReadyAsync();
        var pending = Send(new AtCommand("AT+CGATT=1"));
        await modem.ExpectAsync("AT+CGATT=1");
        _port.Unplug(withError);
        Assert.Equal(AtResultCode.ChannelUnavailable, (await pending).Result);
        var lost = await _channel.WaitForStateAsync(AtChannelState.Broken, TestContext.Current.CancellationToken);
        Assert.Equal(AtChannelBreakReason.PortLost, lost.Reason);

        // Re-enumeration takes a while: opens fail, the backoff doubles (1 s, 2 s, then the 4 s cap).
        await _clock.AdvanceWhenWaitingAsync(TimeSpan.FromSeconds(1));
        await _clock.AdvanceWhenWaitingAsync(TimeSpan.FromSeconds(2));
        await _clock.AdvanceWhenWaitingAsync(TimeSpan.FromSeconds(4));
        await _clock.WhenTimerAsync(TimeSpan.FromSeconds(4));
        Assert.Equal(3, _port.FailedOpens);
        Assert.Contains(_statuses, s => s.Reason == AtChannelBreakReason.PortUnavailable);

        _port.Plug();
        _clock.Fake.Advance(TimeSpan.FromSeconds(4));
        var back = await _port.NextModemAsync();
        await back.AnswerSyncAsync();
        await _clock.AdvanceWhenWaitingAsync(Settings.QuietGap);
        await _channel.WaitForStateAsync(AtChannelState.Ready, TestContext.Current.CancellationToken);
        var reply = Send(new AtCommand("AT+CGATT?", "+CGATT"));
        await back.ExpectAsync("AT+CGATT?");
        await back.ReplyAsync("+CGATT: 1", "OK");
        Assert.Equal(["+CGATT: 1"], (await reply).Lines);
    }

    [Fact]
    public async Task CancellingInFlightResynchronisesAndCancellingQueuedNeverSends()
    {
        var modem = await StartReadyAsync();
        using var inFlight = new CancellationTokenSource();
        using var queued = new CancellationTokenSource();
        var first = _channel.SendAsync(new AtCommand("AT+COPS=?", "+COPS") { Timeout = TimeSpan.FromMinutes(3) }, inFlight.Token);
        var second = _channel.SendAsync(new AtCommand("AT+NEVER"), queued.Token);
        await modem.ExpectAsync("AT+COPS=?");
        await queued.CancelAsync();
        await inFlight.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);

        await modem.ExpectAsync("AT");
        await modem.ReplyAsync("+COPS: (2,\"Op\",\"Op\",\"26201\",7),,(0-4),(0-2)", "OK");
        await _clock.WhenTimerAsync(Settings.QuietGap);
        await modem.ReplyAsync("OK");
        await _transcript.WhenLineAsync("OK", AtLineRoute.Stale);
        await _clock.AdvanceWhenWaitingAsync(Settings.QuietGap);
        await _clock.AdvanceWhenWaitingAsync(Settings.QuietGap);
        var next = Send(new AtCommand("AT+CSQ", "+CSQ"));
        await modem.ExpectAsync("AT+CSQ"); // AT+NEVER was never written
        await modem.ReplyAsync("+CSQ: 31,99", "OK");
        Assert.Equal(["+CSQ: 31,99"], (await next).Lines);
    }

    [Fact]
    public async Task SendsDataAfterThePrompt()
    {
        var modem = await StartReadyAsync();
        var reply = Send(new AtCommand("AT+CMGS=17", "+CMGS") { DataAfterPrompt = "0011000B916407281553F80000AA" });
        await modem.ExpectAsync("AT+CMGS=17");
        await modem.SendAsync("AT+CMGS=17\r\r\n> ");
        Assert.Equal("0011000B916407281553F80000AA", await modem.ReadCommandAsync());
        await modem.SendAsync("0011000B916407281553F80000AA\u001a\r\n+CMGS: 12\r\n\r\nOK\r\n");
        var response = await reply;
        Assert.True(response.IsOk);
        Assert.Equal(["+CMGS: 12"], response.Lines);
    }

    [Fact]
    public async Task ErrorBeforePromptEndsTheCommandWithoutData()
    {
        var modem = await StartReadyAsync();
        var reply = Send(new AtCommand("AT+CMGS=17", "+CMGS") { DataAfterPrompt = "00" });
        await modem.ExpectAsync("AT+CMGS=17");
        await modem.ReplyAsync("+CMS ERROR: 302");
        Assert.Equal((AtResultCode.CmsError, 302), ((await reply).Result, (await reply).ErrorCode!.Value));
        var next = Send(new AtCommand("AT"));
        await modem.ExpectAsync("AT");
        await modem.ReplyAsync("OK");
        Assert.True((await next).IsOk);
    }

    [Fact]
    public async Task SensitiveCommandsStayOutOfTheTranscript()
    {
        var modem = await StartReadyAsync();
        const string Rand = "00112233445566778899AABBCCDDEEFF";
        const string Res = "DB08A54211D5E3BA50BF";
        var command = new AtCommand($"AT+CGLA=1,78,\"008800812210{Rand}\"", "+CGLA") { IsSensitive = true, NoRetransmit = true };
        var reply = Send(command);
        await modem.ExpectAsync(command.Text);
        await modem.SendAsync($"{command.Text}\r\r\n+CGLA: 24,\"{Res}9000\"\r\n\r\nOK\r\n");
        var response = await reply;
        Assert.Contains(Res, response.Lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain(_transcript.Entries, e => e.Text.Contains(Rand, StringComparison.Ordinal) || e.Text.Contains(Res, StringComparison.Ordinal));
        Assert.DoesNotContain(Res, response.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CommandsSentBeforeReadyWaitForIt()
    {
        _channel = NewChannel(Settings);
        var early = Send(new AtCommand("ATE0"));
        _channel.Start();
        var modem = await _port.NextModemAsync();
        await modem.AnswerSyncAsync();
        await _clock.AdvanceWhenWaitingAsync(Settings.QuietGap);
        await modem.ExpectAsync("ATE0");
        await modem.ReplyAsync("OK");
        Assert.True((await early).IsOk);
    }

    [Fact]
    public async Task DisposeFailsWhatIsQueued()
    {
        _channel = NewChannel(Settings);
        var queued = Send(new AtCommand("AT"));
        await _channel.DisposeAsync();
        Assert.Equal(AtResultCode.ChannelUnavailable, (await queued).Result);
        Assert.Equal(AtChannelState.Closed, _channel.Status.State);
        Assert.Throws<ObjectDisposedException>(() => { _ = _channel.SendAsync(new AtCommand("AT"), TestContext.Current.CancellationToken); });
    }

    [Fact]
    public async Task RandomBytesAreReportedSkippedAndTheChannelKeepsWorking()
    {
        // Bounded memory: the pipe pauses the writer at 64 KiB; a reader that kept bytes would stall this test.
        var modem = await StartReadyAsync(attachTranscript: false);
        var random = new Random(20260101);
        var noise = new byte[10 * 1024 * 1024];
        random.NextBytes(noise);
        // Long runs without line ends exercise the 2 KiB cap too.
        for (var at = 0; at + 5000 < noise.Length; at += 1_000_000)
        {
            noise.AsSpan(at, 5000).Fill((byte)'Z');
        }

        var expected = CountFramingErrors([.. noise, (byte)'\r', (byte)'\n']);
        for (var at = 0; at < noise.Length; at += 8191)
        {
            await modem.SendAsync(noise.AsMemory(at, Math.Min(8191, noise.Length - at)));
        }

        // A marker after the noise: once it is dispatched every noise byte has been through the reader loop.
        var marker = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = _channel.Urcs.Subscribe("+MARKER", _ => marker.TrySetResult());
        await modem.SendAsync("\r\n+MARKER: 1\r\n");
        await marker.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        var reply = Send(new AtCommand("AT+CGMR") { AcceptsUnprefixedLines = true });
        await modem.ExpectAsync("AT+CGMR");
        await modem.ReplyAsync("EG25GGBR07A08M2G", "OK");
        var response = await reply;
        Assert.True(response.IsOk);
        Assert.Equal(["EG25GGBR07A08M2G"], response.Lines);
        Assert.True(expected > 10_000, $"only {expected} bad lines in the noise");
        Assert.Equal(expected, _channel.FramingErrors);
        Assert.Equal(AtChannelState.Ready, _channel.Status.State);
    }

    private static long CountFramingErrors(byte[] bytes)
    {
        var sequence = new System.Buffers.ReadOnlySequence<byte>(bytes);
        var state = default(AtFramerState);
        long errors = 0;
        AtFrameStatus status;
        while ((status = AtFramer.Read(ref state, ref sequence, out _)) != AtFrameStatus.Incomplete)
        {
            if (status == AtFrameStatus.Error)
            {
                errors++;
            }
        }

        return errors;
    }

    private Task<AtResponse> Send(AtCommand command) => _channel.SendAsync(command, TestContext.Current.CancellationToken);

    private AtChannel NewChannel(AtChannelSettings settings, bool attachTranscript = true)
    {
        var channel = new AtChannel(_port, settings, _clock);
        if (attachTranscript)
        {
            channel.Transcript = _transcript;
        }

        channel.StatusChanged += s =>
        {
            lock (_statuses)
            {
                _statuses.Add(s);
            }
        };
        return channel;
    }

    private async Task<ScriptedModem> StartReadyAsync(AtChannelSettings? settings = null, bool attachTranscript = true)
    {
        _channel = NewChannel(settings ?? Settings, attachTranscript);
        _channel.Start();
        var modem = await _port.NextModemAsync();
        await modem.AnswerSyncAsync();
        await _clock.AdvanceWhenWaitingAsync((settings ?? Settings).QuietGap);
        await _channel.WaitForStateAsync(AtChannelState.Ready, TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(20));
        return modem;
    }
}
