// SPDX-License-Identifier: MIT
using ImUeAgent.Testbed.Modem;
using Microsoft.Extensions.Time.Testing;

namespace ImUeAgent.Testbed.Tests.Modem;

/// <summary>An interpreter over a soft card and a fake clock, driven line by line.</summary>
internal sealed class ModemFixture : IDisposable
{
    public ModemFixture(ModemSettings? settings = null, CardSettings? card = null)
    {
        Settings = settings ?? new ModemSettings();
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Card = new UiccCard(card ?? new CardSettings(), Settings.Quirks, Settings.MaxLogicalChannels);
        Interpreter = new ModemInterpreter(Settings, Card, Time);
    }

    public ModemSettings Settings { get; }

    public FakeTimeProvider Time { get; }

    public UiccCard Card { get; }

    public ModemInterpreter Interpreter { get; }

    /// <summary>Runs one line and returns what the TE sees, information then the result.</summary>
    public string[] Run(string line) => [.. Interpreter.Execute(line).Lines()];

    public string[] Urcs() => [.. Interpreter.TakeUrcs().Select(u => u.Text)];

    /// <summary>Attaches (default 200 ms) and drops the URCs that came with it.</summary>
    public ModemFixture Attached()
    {
        Time.Advance(Settings.AttachDelay);
        Interpreter.TakeUrcs();
        return this;
    }

    public void Dispose()
    {
        Interpreter.Dispose();
        Card.Dispose();
    }
}
