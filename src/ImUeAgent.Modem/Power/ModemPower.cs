// SPDX-License-Identifier: MIT
using System.Device.Gpio;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Modem.Power;

/// <summary>Where the modem's power stands, as far as the lines tell.</summary>
public enum ModemPowerState
{
    /// <summary>No STATUS line: the state cannot be read, only driven.</summary>
    Unknown,
    Off,
    On,
}

/// <summary>
/// Drives a modem's PWRKEY, RESET and supply lines and reads STATUS, per the board description. Recovery uses it as
/// its last step when the modem stops answering on the AT port: reset first, then a full power cycle. All waiting is
/// on <see cref="TimeProvider"/>, so tests run the sequences on a fake clock against a simulated driver.
/// </summary>
public sealed class ModemPower : IDisposable
{
    private readonly BoardDescription _board;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<int, GpioController> _controllers = [];
    private readonly Func<int, GpioController> _controllerForChip;
    private readonly SemaphoreSlim _sequence = new(1, 1);

    /// <param name="controllerForChip">
    /// Opens the controller of a gpiochip; production passes <see cref="OpenLibgpiod"/>, tests a simulated driver.
    /// </param>
    public ModemPower(BoardDescription board, Func<int, GpioController> controllerForChip, TimeProvider time, ILogger<ModemPower> logger)
    {
        _board = board;
        _controllerForChip = controllerForChip;
        _time = time;
        _logger = logger;
        // Outputs start de-asserted so that opening the lines never presses PWRKEY or holds the module in reset.
        if (board.PowerEnable is { } enable)
        {
            OpenOutput(enable, asserted: true);
        }

        OpenOutput(board.Pwrkey, asserted: false);
        if (board.Reset is { } reset)
        {
            OpenOutput(reset, asserted: false);
        }

        if (board.Status is { } status)
        {
            Controller(status.Chip).OpenPin(status.Line, PinMode.Input);
        }
    }

    /// <summary>The controller factory for a real board: libgpiod on /dev/gpiochipN (System.Device.Gpio).</summary>
    public static GpioController OpenLibgpiod(int chip) => new(new System.Device.Gpio.Drivers.LibGpiodDriver(chip));

    public ModemPowerState State => _board.Status is { } status
        ? (IsAsserted(status) ? ModemPowerState.On : ModemPowerState.Off)
        : ModemPowerState.Unknown;

    /// <summary>Switches the module on (supply, then a PWRKEY pulse) and waits for STATUS; nothing to do if already on.</summary>
    public async Task PowerOnAsync(CancellationToken cancellationToken)
    {
        await _sequence.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (State == ModemPowerState.On)
            {
                return;
            }

            _logger.PowerSequence(_board.Name, "power on");
            await PulseAsync(_board.Pwrkey, _board.Timing.PwrkeyOnMilliseconds, cancellationToken).ConfigureAwait(false);
            await WaitForStatusAsync(ModemPowerState.On, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sequence.Release();
        }
    }

    /// <summary>Switches the module off with a long PWRKEY pulse and waits for STATUS to drop.</summary>
    public async Task PowerOffAsync(CancellationToken cancellationToken)
    {
        await _sequence.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await PowerOffCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sequence.Release();
        }
    }

    /// <summary>Holds RESET_N asserted for the board's reset time (a warm restart of the module).</summary>
    public async Task ResetAsync(CancellationToken cancellationToken)
    {
        if (_board.Reset is not { } reset)
        {
            throw new InvalidOperationException($"board {_board.Name} has no RESET line");
        }

        await _sequence.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _logger.PowerSequence(_board.Name, "reset");
            await PulseAsync(reset, _board.Timing.ResetMilliseconds, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sequence.Release();
        }
    }

    /// <summary>
    /// The last step of recovery: module off (PWRKEY, and the supply when the board can switch it), settle, and on
    /// again. STATUS confirms each half where the board has it.
    /// </summary>
    public async Task PowerCycleAsync(CancellationToken cancellationToken)
    {
        await _sequence.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _logger.PowerSequence(_board.Name, "power cycle");
            await PowerOffCoreAsync(cancellationToken).ConfigureAwait(false);
            if (_board.PowerEnable is { } enable)
            {
                Set(enable, asserted: false);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(_board.Timing.OffSettleMilliseconds), _time, cancellationToken).ConfigureAwait(false);
            if (_board.PowerEnable is { } enableAgain)
            {
                Set(enableAgain, asserted: true);
            }

            await PulseAsync(_board.Pwrkey, _board.Timing.PwrkeyOnMilliseconds, cancellationToken).ConfigureAwait(false);
            await WaitForStatusAsync(ModemPowerState.On, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sequence.Release();
        }
    }

    private async Task PowerOffCoreAsync(CancellationToken cancellationToken)
    {
        if (State == ModemPowerState.Off)
        {
            return;
        }

        _logger.PowerSequence(_board.Name, "power off");
        await PulseAsync(_board.Pwrkey, _board.Timing.PwrkeyOffMilliseconds, cancellationToken).ConfigureAwait(false);
        await WaitForStatusAsync(ModemPowerState.Off, cancellationToken).ConfigureAwait(false);
    }

    private async Task PulseAsync(GpioLine line, int milliseconds, CancellationToken cancellationToken)
    {
        Set(line, asserted: true);
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(milliseconds), _time, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Never leave PWRKEY or RESET pressed, even when cancelled: a held PWRKEY switches the module off again.
            Set(line, asserted: false);
        }
    }

    private async Task WaitForStatusAsync(ModemPowerState wanted, CancellationToken cancellationToken)
    {
        if (_board.Status is null)
        {
            return;
        }

        var poll = TimeSpan.FromMilliseconds(_board.Timing.StatusPollMilliseconds);
        var deadline = _time.GetUtcNow() + TimeSpan.FromMilliseconds(_board.Timing.StatusTimeoutMilliseconds);
        while (State != wanted)
        {
            if (_time.GetUtcNow() >= deadline)
            {
                _logger.PowerStatusTimeout(_board.Name, wanted.ToString(), _board.Timing.StatusTimeoutMilliseconds);
                throw new ModemPowerException(
                    $"board {_board.Name}: STATUS ({_board.Status}) did not show {wanted} within {_board.Timing.StatusTimeoutMilliseconds} ms");
            }

            await Task.Delay(poll, _time, cancellationToken).ConfigureAwait(false);
        }

        _logger.PowerState(_board.Name, wanted.ToString());
    }

    private void OpenOutput(GpioLine line, bool asserted) =>
        Controller(line.Chip).OpenPin(line.Line, PinMode.Output, Level(line, asserted));

    private void Set(GpioLine line, bool asserted) => Controller(line.Chip).Write(line.Line, Level(line, asserted));

    private bool IsAsserted(GpioLine line) => (Controller(line.Chip).Read(line.Line) == PinValue.High) != line.ActiveLow;

    private static PinValue Level(GpioLine line, bool asserted) => asserted != line.ActiveLow ? PinValue.High : PinValue.Low;

    private GpioController Controller(int chip)
    {
        if (!_controllers.TryGetValue(chip, out var controller))
        {
            controller = _controllerForChip(chip);
            _controllers.Add(chip, controller);
        }

        return controller;
    }

    public void Dispose()
    {
        foreach (var controller in _controllers.Values)
        {
            controller.Dispose();
        }

        _controllers.Clear();
        _sequence.Dispose();
    }
}

/// <summary>A power sequence that did not have the effect the STATUS line should show.</summary>
public sealed class ModemPowerException(string message) : Exception(message);
