// SPDX-License-Identifier: MIT
using System.CommandLine;
using System.Globalization;
using System.Text;
using ImUeAgent.Daemon;
using ImUeAgent.Modem.At;

namespace ImUeAgent.Cli;

/// <summary>
/// `imue-agent at`: a field engineer's AT console on a port no daemon holds. With commands on the command line it
/// sends each and exits (0 when every one ended in OK); without, it is interactive: history with the arrow keys,
/// Ctrl-C cancels the command in flight (never the console), Ctrl-D or "exit" quits. Every line to and from the
/// modem is shown with a timestamp; unsolicited lines are marked URC.
/// </summary>
internal static class AtConsoleCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var port = new PortOptions();
        var timeout = new Option<int>("--timeout")
        {
            Description = "Seconds to wait for each command's final result (default 10; AUTHENTICATE-type commands may need 30).",
            DefaultValueFactory = _ => 10,
            HelpName = "SECONDS",
        };
        var commands = new Argument<string[]>("COMMAND")
        {
            Description = "AT commands to send in order, e.g. ATI 'AT+CEREG?'. None: interactive console.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command("at", """
            Send AT commands to the modem and show every line to and from it with timestamps, URCs included.
            With COMMANDs: send each, stop at the first that does not end in OK, exit 0 if all did.
            Without: an interactive console (arrow keys for history; Ctrl-C cancels the command in flight;
            Ctrl-D or 'exit' quits). Commands are never retransmitted here: what you type is sent once.
            """)
        {
            timeout, commands,
        };
        port.AddTo(command);
        command.SetAction((parse, cancellationToken) => RunAsync(
            port, parse, TimeSpan.FromSeconds(Math.Clamp(parse.GetValue(timeout), 1, 600)), parse.GetValue(commands) ?? [],
            output, error, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(PortOptions portOptions, ParseResult parse, TimeSpan timeout, string[] commands,
        TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var address = portOptions.Address(parse);
        var console = new ConsoleOutput(output);
        var settings = new AtChannelSettings
        {
            DefaultCommandTimeout = timeout,
            RetransmissionsOnTimeout = 0,
            MaxConsecutiveTimeouts = 1000,
        };
        await using var channel = new AtChannel(address.CreatePort(), settings);
        channel.Transcript = console;
        channel.Urcs.Unhandled += _ => { };
        channel.Start();
        using (var opening = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            opening.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                await channel.WaitForStateAsync(AtChannelState.Ready, opening.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                await error.WriteLineAsync($"imue-agent: cannot open {address}: {channel.Status}").ConfigureAwait(false);
                return ExitCodes.Failure;
            }
        }

        if (commands.Length > 0)
        {
            foreach (var text in commands)
            {
                var response = await SendAsync(channel, text, cancellationToken).ConfigureAwait(false);
                if (!response.IsOk)
                {
                    await error.WriteLineAsync($"imue-agent: {text}: {Describe(response)}").ConfigureAwait(false);
                    return ExitCodes.Failure;
                }
            }

            return ExitCodes.Ok;
        }

        return await InteractiveAsync(channel, console, error, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> InteractiveAsync(AtChannel channel, ConsoleOutput console, TextWriter error, CancellationToken cancellationToken)
    {
        console.Note($"connected to {channel.PortName}; Ctrl-C cancels a command, Ctrl-D or 'exit' quits");
        var editor = new LineEditor(console);
        CancellationTokenSource? inFlight = null;
        var inFlightGate = new Lock();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true; // the console stays; only the command in flight is abandoned
            lock (inFlightGate)
            {
                if (inFlight is null)
                {
                    console.Note("(no command in flight; Ctrl-D or 'exit' quits)");
                }
                else
                {
                    inFlight.Cancel();
                }
            }
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var line = editor.ReadLine("AT> ");
                if (line is null || line.Trim().Equals("exit", StringComparison.OrdinalIgnoreCase))
                {
                    return ExitCodes.Ok;
                }

                if (line.Trim().Length == 0)
                {
                    continue;
                }

                using var command = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                lock (inFlightGate)
                {
                    inFlight = command;
                }

                try
                {
                    var response = await SendAsync(channel, line.Trim(), command.Token).ConfigureAwait(false);
                    if (!response.IsOk)
                    {
                        console.Note(Describe(response));
                    }
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    console.Note("cancelled");
                }
                finally
                {
                    lock (inFlightGate)
                    {
                        inFlight = null;
                    }
                }
            }

            return ExitCodes.Ok;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
            await error.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static Task<AtResponse> SendAsync(AtChannel channel, string text, CancellationToken cancellationToken)
    {
        if (!text.StartsWith("AT", StringComparison.OrdinalIgnoreCase))
        {
            text = "AT" + text;
        }

        // A typed command's information lines: "+NAME:" answers of the same command, and bare lines (ATI, +CGSN).
        var prefixes = ExpectedPrefix(text) is { } prefix ? new[] { prefix } : [];
        return channel.SendAsync(new AtCommand(text, prefixes) { AcceptsUnprefixedLines = true, NoRetransmit = true }, cancellationToken);
    }

    /// <summary>"AT+CEREG?" → "+CEREG:"; "AT^SYSINFO" → "^SYSINFO:"; basic commands have none.</summary>
    internal static string? ExpectedPrefix(string text)
    {
        var body = text.AsSpan(2);
        if (body.Length < 2 || body[0] is not ('+' or '^' or '$' or '%' or '#' or '*'))
        {
            return null;
        }

        var end = body.IndexOfAny("=?;");
        var name = end < 0 ? body : body[..end];
        return name.ToString().ToUpperInvariant() + ":";
    }

    private static string Describe(AtResponse response) => response.Result switch
    {
        AtResultCode.TimedOut => "no final result within the timeout",
        AtResultCode.ChannelUnavailable => "the port is not available",
        _ => response.FinalLine ?? response.Result.ToString(),
    };

    /// <summary>Prints transcript entries, keeping the line being edited intact under asynchronous URCs.</summary>
    private sealed class ConsoleOutput(TextWriter output) : IAtTranscript
    {
        private readonly Lock _gate = new();

        public LineEditor? Editor { get; set; }

        public void Record(in AtTranscriptEntry entry)
        {
            var arrow = entry.Direction == AtTranscriptDirection.ToModem ? "->" : "<-";
            var text = entry.Kind switch
            {
                AtTranscriptKind.FramingError => $"!! {entry.FramingError}: {entry.Text}",
                AtTranscriptKind.Prompt => $"{arrow} > (prompt)",
                AtTranscriptKind.Line when entry.Route == AtLineRoute.Urc => $"{arrow} {entry.Text}   [URC]",
                AtTranscriptKind.Line when entry.Route == AtLineRoute.Echo => $"{arrow} {entry.Text}   [echo]",
                _ => $"{arrow} {entry.Text}",
            };
            Write($"{entry.Timestamp.ToLocalTime().ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture)} {text}");
        }

        public void Note(string text) => Write("   " + text);

        public void Write(string line)
        {
            lock (_gate)
            {
                Editor?.ClearLine();
                output.WriteLine(line);
                output.Flush();
                Editor?.Redraw();
            }
        }

        public void WriteRaw(string text)
        {
            lock (_gate)
            {
                output.Write(text);
                output.Flush();
            }
        }
    }

    /// <summary>
    /// A small line editor for a terminal (left/right, home/end, backspace/delete, up/down history); plain
    /// ReadLine when input is not a terminal (scripts piping commands in).
    /// </summary>
    private sealed class LineEditor
    {
        private readonly ConsoleOutput _console;
        private readonly List<string> _history = [];
        private readonly StringBuilder _line = new();
        private string _prompt = "";
        private int _cursor;
        private bool _active;

        public LineEditor(ConsoleOutput console)
        {
            _console = console;
            console.Editor = this;
        }

        public string? ReadLine(string prompt)
        {
            if (Console.IsInputRedirected)
            {
                return Console.In.ReadLine();
            }

            _prompt = prompt;
            _line.Clear();
            _cursor = 0;
            var historyIndex = _history.Count;
            _active = true;
            Redraw();
            try
            {
                while (true)
                {
                    var key = Console.ReadKey(intercept: true);
                    switch (key.Key)
                    {
                        case ConsoleKey.Enter:
                            _active = false;
                            _console.WriteRaw("\n");
                            var text = _line.ToString();
                            if (text.Trim().Length > 0 && (_history.Count == 0 || _history[^1] != text))
                            {
                                _history.Add(text);
                            }

                            return text;
                        case ConsoleKey.D when key.Modifiers.HasFlag(ConsoleModifiers.Control) && _line.Length == 0:
                            _active = false;
                            _console.WriteRaw("\n");
                            return null;
                        case ConsoleKey.Backspace when _cursor > 0:
                            _line.Remove(--_cursor, 1);
                            break;
                        case ConsoleKey.Delete when _cursor < _line.Length:
                            _line.Remove(_cursor, 1);
                            break;
                        case ConsoleKey.LeftArrow when _cursor > 0:
                            _cursor--;
                            break;
                        case ConsoleKey.RightArrow when _cursor < _line.Length:
                            _cursor++;
                            break;
                        case ConsoleKey.Home:
                            _cursor = 0;
                            break;
                        case ConsoleKey.End:
                            _cursor = _line.Length;
                            break;
                        case ConsoleKey.UpArrow when historyIndex > 0:
                            Replace(_history[--historyIndex]);
                            break;
                        case ConsoleKey.DownArrow when historyIndex < _history.Count:
                            historyIndex++;
                            Replace(historyIndex == _history.Count ? "" : _history[historyIndex]);
                            break;
                        default:
                            if (!char.IsControl(key.KeyChar))
                            {
                                _line.Insert(_cursor++, key.KeyChar);
                            }

                            break;
                    }

                    Redraw();
                }
            }
            finally
            {
                _active = false;
            }
        }

        private void Replace(string text)
        {
            _line.Clear().Append(text);
            _cursor = _line.Length;
        }

        public void ClearLine()
        {
            if (_active)
            {
                Console.Out.Write("\r\u001b[K");
            }
        }

        public void Redraw()
        {
            if (!_active)
            {
                return;
            }

            // Carriage return, prompt and text, erase the rest, then put the cursor back where it belongs.
            var back = _line.Length - _cursor;
            Console.Out.Write($"\r{_prompt}{_line}\u001b[K{(back > 0 ? $"\u001b[{back}D" : "")}");
            Console.Out.Flush();
        }
    }
}
