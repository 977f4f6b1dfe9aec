// SPDX-License-Identifier: MIT
using System.Device.Gpio;

namespace ImUeAgent.Modem.Tests.Power;

/// <summary>
/// A GPIO chip wired to a simulated Quectel-style module: PWRKEY held for at least <see cref="MinOnPulse"/> switches
/// it on, STATUS follows after <see cref="BootTime"/>; held for at least <see cref="MinOffPulse"/> while on switches it
/// off after <see cref="ShutdownTime"/>. RESET restarts it. Only the fake clock moves it.
/// </summary>
internal sealed class SimulatedModemGpio(TimeProvider time) : GpioDriver
{
    public const int Pwrkey = 35;
    public const int Reset = 68;
    public const int Status = 233;
    public const int PowerEnable = 7;

    private readonly Dictionary<int, PinValue> _outputs = [];
    private readonly Dictionary<int, PinMode> _modes = [];
    private DateTimeOffset? _pwrkeyPressedAt;
    private DateTimeOffset? _becomesOnAt;
    private DateTimeOffset? _becomesOffAt;

    public TimeSpan MinOnPulse { get; init; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan MinOffPulse { get; init; } = TimeSpan.FromMilliseconds(650);
    public TimeSpan BootTime { get; init; } = TimeSpan.FromMilliseconds(2500);
    public TimeSpan ShutdownTime { get; init; } = TimeSpan.FromMilliseconds(1500);
    public bool StatusActiveLow { get; init; }
    public bool Dead { get; set; }

    public bool On { get; private set; }

    /// <summary>Every PWRKEY press as (pressed at, held for), in order.</summary>
    public List<(DateTimeOffset At, TimeSpan Held)> PwrkeyPresses { get; } = [];

    public List<(DateTimeOffset At, TimeSpan Held)> ResetPresses { get; } = [];

    public List<(DateTimeOffset At, PinValue Value)> PowerEnableWrites { get; } = [];

    private DateTimeOffset? _resetPressedAt;

    public void StartOn() => On = true;

    protected override int PinCount => 256;

    protected override void OpenPin(int pinNumber) => _modes[pinNumber] = PinMode.Input;

    protected override void ClosePin(int pinNumber) => _modes.Remove(pinNumber);

    protected override void SetPinMode(int pinNumber, PinMode mode) => _modes[pinNumber] = mode;

    protected override PinMode GetPinMode(int pinNumber) => _modes[pinNumber];

    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) => true;

    protected override PinValue Read(int pinNumber)
    {
        Settle();
        if (pinNumber == Status)
        {
            return On != StatusActiveLow ? PinValue.High : PinValue.Low;
        }

        return _outputs.TryGetValue(pinNumber, out var value) ? value : PinValue.Low;
    }

    protected override void Write(int pinNumber, PinValue value)
    {
        Settle();
        var now = time.GetUtcNow();
        var previous = _outputs.TryGetValue(pinNumber, out var old) ? old : PinValue.Low;
        _outputs[pinNumber] = value;
        switch (pinNumber)
        {
            case Pwrkey when value == PinValue.High && previous == PinValue.Low:
                _pwrkeyPressedAt = now;
                break;
            case Pwrkey when value == PinValue.Low && _pwrkeyPressedAt is { } pressed:
                var held = now - pressed;
                PwrkeyPresses.Add((pressed, held));
                _pwrkeyPressedAt = null;
                if (!Dead && !On && _becomesOnAt is null && held >= MinOnPulse)
                {
                    _becomesOnAt = now + BootTime;
                }
                else if (!Dead && On && _becomesOffAt is null && held >= MinOffPulse)
                {
                    _becomesOffAt = now + ShutdownTime;
                }

                break;
            case Reset when value == PinValue.High && previous == PinValue.Low:
                _resetPressedAt = now;
                break;
            case Reset when value == PinValue.Low && _resetPressedAt is { } resetAt:
                ResetPresses.Add((resetAt, now - resetAt));
                _resetPressedAt = null;
                break;
            case PowerEnable:
                PowerEnableWrites.Add((now, value));
                if (value == PinValue.Low)
                {
                    On = false;
                    _becomesOnAt = _becomesOffAt = null;
                }

                break;
        }
    }

    private void Settle()
    {
        var now = time.GetUtcNow();
        if (_becomesOnAt is { } on && now >= on)
        {
            On = true;
            _becomesOnAt = null;
        }

        if (_becomesOffAt is { } off && now >= off)
        {
            On = false;
            _becomesOffAt = null;
        }
    }

    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken) =>
        throw new NotSupportedException("the power sequences sample STATUS; they never wait for edges");

    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback) =>
        throw new NotSupportedException();

    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback) =>
        throw new NotSupportedException();
}
