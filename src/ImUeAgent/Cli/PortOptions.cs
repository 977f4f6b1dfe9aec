// SPDX-License-Identifier: MIT
using System.CommandLine;
using ImUeAgent.Modem.Ports;

namespace ImUeAgent.Cli;

/// <summary>The --port/--baud pair shared by the commands that work directly on a modem port.</summary>
internal sealed class PortOptions
{
    public Option<string> Port { get; } = new("--port", "-p")
    {
        Description = "The modem's AT port: /dev/ttyUSB2, serial:/dev/ttyUSB2?baud=115200&flow=rtscts, pty:/dev/pts/7 or tcp:host:port. "
            + "Use it only while no daemon holds the port.",
        HelpName = "PORT",
        Required = true,
    };

    public Option<int?> Baud { get; } = new("--baud")
    {
        Description = "Serial speed (default 115200, or the baud= of --port).",
        HelpName = "N",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Port);
        command.Options.Add(Baud);
        command.Validators.Add(result =>
        {
            var text = result.GetValue(Port);
            if (text is not null && !ModemPortAddress.TryParse(text, out _, out var error))
            {
                result.AddError($"--port: '{text}' is not a port address ({error})");
            }

            if (result.GetValue(Baud) is { } baud && baud is < 300 or > 4000000)
            {
                result.AddError("--baud must be 300..4000000");
            }
        });
    }

    public ModemPortAddress Address(ParseResult parse)
    {
        // The validator above has already refused an address that does not parse.
        if (!ModemPortAddress.TryParse(parse.GetValue(Port), out var address, out var error))
        {
            throw new InvalidOperationException($"--port: {error}");
        }

        return parse.GetValue(Baud) is { } baud ? address! with { BaudRate = baud } : address!;
    }
}
