// SPDX-License-Identifier: MIT
using ImUeAgent.Modem.At;
using ImUeAgent.Modem.BringUp;
using ImUeAgent.Modem.Power;
using ImUeAgent.Modem.Profiles;
using ImUeAgent.Modem.Tests.At;
using ImUeAgent.Modem.Tests.Ports;

namespace ImUeAgent.Modem.Tests.BringUp;

/// <summary>
/// A <see cref="ModemService"/> on an in-memory port with a <see cref="FakeModem"/> behind it, on a fake clock. The
/// channel's quiet gap (a distinctive 37 ms) is advanced automatically; every other wait is advanced by the test.
/// </summary>
internal sealed class ServiceHarness : IAsyncDisposable
{
    public static readonly TimeSpan QuietGap = TimeSpan.FromMilliseconds(37);
    public static readonly TimeSpan ReopenBackoff = TimeSpan.FromMilliseconds(53);

    public static readonly AtChannelSettings ChannelSettings = new()
    {
        QuietGap = QuietGap,
        ReopenBackoffInitial = ReopenBackoff,
        ReopenBackoffMax = ReopenBackoff,
    };

    private readonly CancellationTokenSource _stop = new();
    private Task? _advancer;

    private readonly FakeModem? _modem;

    /// <param name="withFakeModem">False when the test serves the port itself (transcript replay).</param>
    public ServiceHarness(bool withFakeModem = true)
    {
        _modem = withFakeModem ? new FakeModem(Port) : null;
    }

    public TestClock Clock { get; } = new();

    public InMemoryModemPort Port { get; } = new();

    public FakeModem Modem => _modem ?? throw new InvalidOperationException("this harness has no fake modem");

    public TranscriptRecorder Transcript { get; } = new();

    public ModemService Service { get; private set; } = null!;

    public static ModemServiceSettings DefaultSettings { get; } = new() { Port = "tcp:127.0.0.1:1", Channel = ChannelSettings };

    public static ModemProfile Generic(Action<ModemProfile>? change = null)
    {
        var profile = ModemService.BuiltInGenericProfile();
        change?.Invoke(profile);
        return profile;
    }

    public async Task<ModemService> StartAsync(ModemServiceSettings? settings = null, ModemProfile? profile = null, ModemPower? power = null)
    {
        settings ??= DefaultSettings;
        Service = new ModemService(Port, settings with { Profiles = profile is not null ? [profile] : settings.Profiles ?? [Generic()], Channel = settings.Channel ?? ChannelSettings }, Clock, null, power)
        {
            Transcript = Transcript,
        };
        _advancer = Task.Run(AdvanceQuietGapsAsync);
        await Service.StartAsync(TestContext.Current.CancellationToken);
        return Service;
    }

    /// <summary>A bare AT channel on the same fake modem (for the UICC channel tests), Ready when returned.</summary>
    public async Task<AtChannel> StartChannelAsync()
    {
        Channel = new AtChannel(Port, ChannelSettings, Clock) { Transcript = Transcript };
        _advancer ??= Task.Run(AdvanceQuietGapsAsync);
        Channel.Start();
        await Channel.WaitForStateAsync(AtChannelState.Ready, TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(20));
        return Channel;
    }

    public AtChannel? Channel { get; private set; }

    /// <summary>Waits (20 s real time at most) for a state; a Failed state when waiting for something else fails the test with its reason.</summary>
    public async Task<ModemState> WaitForAsync(Func<ModemState, bool> match, bool failedIsAnError = true)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        try
        {
            await foreach (var state in Service.WatchStateAsync(timeout.Token))
            {
                if (match(state))
                {
                    return state;
                }

                if (failedIsAnError && state.Phase == ModemPhase.Failed)
                {
                    Assert.Fail($"bring-up failed: {state.LastFailure}; commands: {string.Join(" | ", _modem?.Commands ?? [])}");
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
        }

        Assert.Fail($"state not reached; last {Service.State}; commands: {string.Join(" | ", _modem?.Commands ?? [])}; unexpected: {string.Join(" | ", _modem?.Unexpected ?? [])}");
        return null!;
    }

    public Task<ModemState> WaitForPhaseAsync(ModemPhase phase, bool failedIsAnError = true)
        => WaitForAsync(s => s.Phase == phase, failedIsAnError && phase != ModemPhase.Failed);

    public async ValueTask DisposeAsync()
    {
        if (Service is not null)
        {
            await Service.DisposeAsync();
        }

        if (Channel is not null)
        {
            await Channel.DisposeAsync();
        }

        await _stop.CancelAsync();
        if (_advancer is not null)
        {
            await _advancer;
        }

        if (_modem is not null)
        {
            await _modem.DisposeAsync();
        }

        _stop.Dispose();
    }

    private async Task AdvanceQuietGapsAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Clock.WhenTimerAsync(QuietGap).WaitAsync(_stop.Token);
                Clock.Fake.Advance(QuietGap);
            }
            catch (TimeoutException)
            {
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
