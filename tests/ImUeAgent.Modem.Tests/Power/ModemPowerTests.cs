// SPDX-License-Identifier: MIT
using System.Device.Gpio;
using ImUeAgent.Modem.Power;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace ImUeAgent.Modem.Tests.Power;

public sealed class ModemPowerTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero));

    private static BoardDescription Board(bool statusActiveLow = false, bool withStatus = true) => new()
    {
        Name = "test-board",
        PowerEnable = new GpioLine(1, SimulatedModemGpio.PowerEnable),
        Pwrkey = new GpioLine(0, SimulatedModemGpio.Pwrkey),
        Reset = new GpioLine(0, SimulatedModemGpio.Reset),
        Status = withStatus ? new GpioLine(0, SimulatedModemGpio.Status, statusActiveLow) : null,
        Timing = new PowerTiming
        {
            PwrkeyOnMilliseconds = 600, PwrkeyOffMilliseconds = 800, ResetMilliseconds = 300,
            StatusTimeoutMilliseconds = 10000, OffSettleMilliseconds = 2000, StatusPollMilliseconds = 100,
        },
    };

    private (ModemPower Power, SimulatedModemGpio Gpio) Create(BoardDescription board, SimulatedModemGpio? gpio = null)
    {
        gpio ??= new SimulatedModemGpio(_time) { StatusActiveLow = board.Status?.ActiveLow ?? false };
        var driver = gpio;
        // Both chips of the board map to one simulated module (power enable lives on chip 1 like the PinePhone's PL7).
        var power = new ModemPower(board, _ => new GpioController(driver), _time, NullLogger<ModemPower>.Instance);
        return (power, gpio);
    }

    /// <summary>Runs a sequence to completion by moving the fake clock in 10 ms steps (bounded).</summary>
    private async Task RunAsync(Task sequence, TimeSpan limit)
    {
        var end = _time.GetUtcNow() + limit;
        while (!sequence.IsCompleted && _time.GetUtcNow() < end)
        {
            _time.Advance(TimeSpan.FromMilliseconds(10));
            await Task.Yield();
        }

        await sequence.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Power_on_pulses_pwrkey_for_the_board_time_and_waits_for_status()
    {
        var (power, gpio) = Create(Board());
        using (power)
        {
            Assert.Equal(ModemPowerState.Off, power.State);
            var start = _time.GetUtcNow();
            await RunAsync(power.PowerOnAsync(CancellationToken.None), TimeSpan.FromSeconds(20));

            var press = Assert.Single(gpio.PwrkeyPresses);
            Assert.Equal(start, press.At);
            Assert.InRange(press.Held, TimeSpan.FromMilliseconds(600), TimeSpan.FromMilliseconds(610));
            Assert.True(gpio.On);
            Assert.Equal(ModemPowerState.On, power.State);
            // Done once STATUS showed On: boot takes 2.5 s after the release, sampled every 100 ms.
            Assert.InRange(_time.GetUtcNow() - start, TimeSpan.FromMilliseconds(3100), TimeSpan.FromMilliseconds(3250));
        }
    }

    [Fact]
    public async Task Power_on_when_already_on_does_not_touch_pwrkey()
    {
        var gpio = new SimulatedModemGpio(_time);
        gpio.StartOn();
        var (power, _) = Create(Board(), gpio);
        using (power)
        {
            await RunAsync(power.PowerOnAsync(CancellationToken.None), TimeSpan.FromSeconds(1));
            Assert.Empty(gpio.PwrkeyPresses);
        }
    }

    [Fact]
    public async Task Active_low_status_is_read_through_its_polarity()
    {
        var (power, gpio) = Create(Board(statusActiveLow: true));
        using (power)
        {
            Assert.Equal(ModemPowerState.Off, power.State);
            await RunAsync(power.PowerOnAsync(CancellationToken.None), TimeSpan.FromSeconds(20));
            Assert.True(gpio.On);
            Assert.Equal(ModemPowerState.On, power.State);
        }
    }

    [Fact]
    public async Task Dead_module_fails_with_a_clear_reason_and_pwrkey_released()
    {
        var gpio = new SimulatedModemGpio(_time) { Dead = true };
        var (power, _) = Create(Board(), gpio);
        using (power)
        {
            var failure = await Assert.ThrowsAsync<ModemPowerException>(() => RunAsync(power.PowerOnAsync(CancellationToken.None), TimeSpan.FromSeconds(30)));
            Assert.Equal("board test-board: STATUS (gpiochip0 line 233) did not show On within 10000 ms", failure.Message);
            Assert.Single(gpio.PwrkeyPresses); // pressed once, released, not pressed again
        }
    }

    [Fact]
    public async Task Power_off_uses_the_long_pulse()
    {
        var gpio = new SimulatedModemGpio(_time);
        gpio.StartOn();
        var (power, _) = Create(Board(), gpio);
        using (power)
        {
            await RunAsync(power.PowerOffAsync(CancellationToken.None), TimeSpan.FromSeconds(20));
            var press = Assert.Single(gpio.PwrkeyPresses);
            Assert.InRange(press.Held, TimeSpan.FromMilliseconds(800), TimeSpan.FromMilliseconds(810));
            Assert.False(gpio.On);
        }
    }

    [Fact]
    public async Task Power_cycle_switches_off_drops_the_supply_settles_and_switches_on()
    {
        var gpio = new SimulatedModemGpio(_time);
        gpio.StartOn();
        var (power, _) = Create(Board(), gpio);
        using (power)
        {
            await RunAsync(power.PowerCycleAsync(CancellationToken.None), TimeSpan.FromSeconds(30));
            Assert.Equal(2, gpio.PwrkeyPresses.Count);
            Assert.InRange(gpio.PwrkeyPresses[0].Held, TimeSpan.FromMilliseconds(800), TimeSpan.FromMilliseconds(810));
            Assert.InRange(gpio.PwrkeyPresses[1].Held, TimeSpan.FromMilliseconds(600), TimeSpan.FromMilliseconds(610));
            // Supply: asserted at open, dropped after the module went off, restored after the settle time.
            Assert.Equal([PinValue.High, PinValue.Low, PinValue.High], gpio.PowerEnableWrites.Select(w => w.Value));
            Assert.InRange(gpio.PowerEnableWrites[2].At - gpio.PowerEnableWrites[1].At, TimeSpan.FromMilliseconds(2000), TimeSpan.FromMilliseconds(2010));
            Assert.True(gpio.On);
        }
    }

    [Fact]
    public async Task Reset_holds_the_line_for_the_board_time()
    {
        var (power, gpio) = Create(Board());
        using (power)
        {
            await RunAsync(power.ResetAsync(CancellationToken.None), TimeSpan.FromSeconds(2));
            var press = Assert.Single(gpio.ResetPresses);
            Assert.InRange(press.Held, TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(310));
        }
    }

    [Fact]
    public async Task Cancelling_mid_pulse_releases_pwrkey()
    {
        var (power, gpio) = Create(Board());
        using (power)
        using (var cts = new CancellationTokenSource())
        {
            var sequence = power.PowerOnAsync(cts.Token);
            _time.Advance(TimeSpan.FromMilliseconds(200));
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sequence);
            var press = Assert.Single(gpio.PwrkeyPresses);
            Assert.Equal(TimeSpan.FromMilliseconds(200), press.Held);
            Assert.False(gpio.On); // 200 ms is too short to switch a module on
        }
    }

    [Fact]
    public async Task Without_status_line_the_state_is_unknown_and_sequences_only_drive()
    {
        var (power, gpio) = Create(Board(withStatus: false));
        using (power)
        {
            Assert.Equal(ModemPowerState.Unknown, power.State);
            await RunAsync(power.PowerOnAsync(CancellationToken.None), TimeSpan.FromSeconds(2));
            Assert.Single(gpio.PwrkeyPresses);
        }
    }
}
