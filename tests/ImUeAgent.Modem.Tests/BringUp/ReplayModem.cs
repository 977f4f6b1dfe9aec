// SPDX-License-Identifier: MIT
using System.Globalization;
using ImUeAgent.Modem.Tests.Ports;
using ImUeAgent.Modem.Tests.Profiles;

namespace ImUeAgent.Modem.Tests.BringUp;

/// <summary>
/// A scripted modem that answers from hardware/modems transcripts: each command the agent sends is answered by the
/// first not yet used exchange whose command equals it (then that exchange's URCs follow); the transcripts' preamble
/// (e.g. "RDY") is sent when the port opens. A command no exchange answers gets ERROR and is listed in
/// <see cref="Unexpected"/>, which the replay tests require to be empty. The channel's own "AT" is always OK.
/// <para>
/// Equivalences, each for a documented reason and each listed in <see cref="Notes"/> when used:
/// (1) APDUs: a SELECT with Le = 00 equals the same SELECT without Le (T=0 carries case 4 as case 3, ISO/IEC 7816-3
/// §12.2), and SELECT by path from the MF of one file equals SELECT of that file id directly under the MF;
/// (2) SELECT of a file the transcript never selects answers 6A 82 (that card does not have it).
/// </para>
/// </summary>
internal sealed class ReplayModem : IAsyncDisposable
{
    private readonly InMemoryModemPort _port;
    private readonly List<TranscriptExchange> _exchanges;
    private readonly List<TranscriptLine> _preamble;
    private readonly bool[] _used;
    private readonly HashSet<ushort> _selectedFiles = [];
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accept;

    public ReplayModem(InMemoryModemPort port, params TranscriptFile[] transcripts)
    {
        _port = port;
        _exchanges = [.. transcripts.SelectMany(t => t.Exchanges)];
        _preamble = [.. transcripts.SelectMany(t => t.Preamble)];
        _used = new bool[_exchanges.Count];
        foreach (var exchange in _exchanges)
        {
            if (TryApdu(exchange.Command.Text, out _, out var apdu) && apdu.Length >= 7 && apdu[1] == 0xA4 && apdu[2] is 0x00 or 0x08)
            {
                _selectedFiles.Add((ushort)((apdu[5 + apdu[4] - 2] << 8) | apdu[5 + apdu[4] - 1]));
            }
        }

        _accept = Task.Run(AcceptAsync);
    }

    public List<string> Unexpected { get; } = [];

    public List<string> Notes { get; } = [];

    public List<string> Received { get; } = [];

    /// <summary>Exchanges never asked for, "file:line command".</summary>
    public IReadOnlyList<string> Unused(Func<TranscriptExchange, bool>? which = null)
    {
        lock (_gate)
        {
            return [.. _exchanges.Where((e, i) => !_used[i] && (which?.Invoke(e) ?? true)).Select(e => $"{e.Command.LineNumber}: {e.Command.Text}")];
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _accept;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            ScriptedModem modem;
            try
            {
                modem = await _port.NextModemAsync().WaitAsync(_stop.Token);
            }
            catch (TimeoutException)
            {
                continue;
            }

            _ = Task.Run(() => ServeAsync(modem));
        }
    }

    private async Task ServeAsync(ScriptedModem modem)
    {
        try
        {
            if (_preamble.Count > 0)
            {
                await modem.ReplyAsync([.. _preamble.Select(l => l.Text)]);
            }

            while (!_stop.IsCancellationRequested)
            {
                string command;
                try
                {
                    command = await modem.ReadCommandAsync().WaitAsync(_stop.Token);
                }
                catch (TimeoutException)
                {
                    continue;
                }

                if (command == "AT")
                {
                    await modem.ReplyAsync("OK");
                    continue;
                }

                var (answer, urcs) = Answer(command);
                await modem.ReplyAsync(answer);
                if (urcs.Length > 0)
                {
                    await modem.ReplyAsync(urcs);
                }
            }
        }
        catch (Exception exception) when (exception is InvalidOperationException or OperationCanceledException or IOException)
        {
            // Closed by the agent.
        }
    }

    private (string[] Answer, string[] Urcs) Answer(string command)
    {
        lock (_gate)
        {
            Received.Add(command);
            var index = Find(e => e.Command.Text == command);
            if (index < 0 && TryApdu(command, out var prefix, out var apdu))
            {
                var normal = Normalise(prefix, apdu);
                index = Find(e => TryApdu(e.Command.Text, out var p, out var a) && Normalise(p, a) == normal);
                if (index >= 0)
                {
                    Notes.Add($"APDU {command} answered by {_exchanges[index].Command.Text} (equivalent)");
                }
                else if (apdu.Length >= 7 && apdu[1] == 0xA4 && apdu[2] is 0x00 or 0x08
                    && !_selectedFiles.Contains((ushort)((apdu[5 + apdu[4] - 2] << 8) | apdu[5 + apdu[4] - 1])))
                {
                    Notes.Add($"{command}: file absent from the transcript's card, 6A82");
                    var name = prefix.StartsWith("AT+CGLA", StringComparison.Ordinal) ? "+CGLA" : "+CSIM";
                    return ([$"{name}: 4,\"6A82\"", "OK"], []);
                }
            }

            if (index >= 0)
            {
                _used[index] = true;
                var exchange = _exchanges[index];
                return ([.. exchange.Responses.Select(r => r.Text)], [.. exchange.Unsolicited.Select(u => u.Text)]);
            }

            Unexpected.Add(command);
            return (["ERROR"], []);
        }
    }

    private int Find(Func<TranscriptExchange, bool> match)
    {
        for (var i = 0; i < _exchanges.Count; i++)
        {
            if (!_used[i] && match(_exchanges[i]))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>"AT+CGLA=1," or "AT+CSIM=" and the APDU.</summary>
    private static bool TryApdu(string command, out string prefix, out byte[] apdu)
    {
        prefix = string.Empty;
        apdu = [];
        var quote = command.IndexOf('"', StringComparison.Ordinal);
        if (quote < 0 || !(command.StartsWith("AT+CGLA=", StringComparison.Ordinal) || command.StartsWith("AT+CSIM=", StringComparison.Ordinal)))
        {
            return false;
        }

        var head = command[..quote].TrimEnd(',');
        prefix = head[..(head.LastIndexOf(',') + 1)];
        if (prefix.Length == 0)
        {
            prefix = head[..8];
        }

        apdu = Convert.FromHexString(command[(quote + 1)..^1]);
        return apdu.Length >= 4;
    }

    private static string Normalise(string prefix, byte[] apdu)
    {
        var bytes = apdu.ToList();
        if (bytes.Count >= 6 && bytes[1] == 0xA4 && bytes.Count == 6 + bytes[4] && bytes[^1] == 0x00)
        {
            bytes.RemoveAt(bytes.Count - 1);
        }

        if (bytes.Count == 7 && bytes[1] == 0xA4 && bytes[2] == 0x08 && bytes[4] == 2)
        {
            bytes[2] = 0x00;
        }

        return prefix + Convert.ToHexString(bytes.ToArray()).ToString(CultureInfo.InvariantCulture);
    }
}
