// SPDX-License-Identifier: MIT
using System.Globalization;
using ImUeAgent.Modem.Tests.Ports;

namespace ImUeAgent.Modem.Tests.BringUp;

/// <summary>
/// A scripted modem that answers on its own (STYLE.md §14: a peer running concurrently with the code under test):
/// an answer table per command line (editable by the test at any time), a small UICC behind +CSIM/+CGLA/+CCHO, and
/// URCs the test injects. Every command is recorded; a command with no answer gets ERROR and is listed in
/// <see cref="Unexpected"/>. Each open of the in-memory port is served the same way.
/// </summary>
internal sealed class FakeModem : IAsyncDisposable
{
    public const string Imsi = "001010123456789";
    public const string Imei = "356938035643809";

    private readonly InMemoryModemPort _port;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly List<string> _commands = [];
    private readonly List<string> _unexpected = [];
    private readonly List<(Func<string, bool> Match, int Count, TaskCompletionSource Signal)> _waiters = [];
    private readonly Task _accept;
    private ScriptedModem? _current;

    public FakeModem(InMemoryModemPort port)
    {
        _port = port;
        _accept = Task.Run(AcceptAsync);
    }

    /// <summary>Answer lines (final result included) per exact command line; null value: no answer at all.</summary>
    public Dictionary<string, string[]?> Answers { get; } = new(StringComparer.Ordinal)
    {
        ["ATE0"] = ["OK"],
        ["AT+CMEE=1"] = ["OK"],
        ["AT+CGMI"] = ["imue-testbed", "OK"],
        ["AT+CGMM"] = ["emulated-27007", "OK"],
        ["AT+CGMR"] = ["0.1.0", "OK"],
        ["AT+CGSN"] = [Imei, "OK"],
        ["AT+CPIN?"] = ["+CPIN: READY", "OK"],
        ["AT+CIMI"] = [Imsi, "OK"],
        ["AT+CGEREP=2,1"] = ["OK"],
        ["AT+CEREG=2"] = ["OK"],
        ["AT+CEREG=3"] = ["OK"],
        ["AT+CEREG?"] = ["+CEREG: 2,1,\"0001\",\"00000101\",7", "OK"],
        ["AT+CGACT?"] = ["+CGACT: 1,1", "OK"],
        ["AT+CGDCONT?"] = ["+CGDCONT: 1,\"IP\",\"internet\",\"0.0.0.0\",0,0", "OK"],
        ["AT+CGDCONT=2,\"IPV4V6\",\"ims\",\"\",0,0,0,0,1,1"] = ["OK"],
        ["AT+CGACT=1,2"] = ["OK"],
        ["AT+CGACT=0,2"] = ["OK"],
        ["AT+CGPADDR=2"] = ["+CGPADDR: 2,\"127.0.0.1\",\"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1\"", "OK"],
        ["AT+CGCONTRDP=2"] =
        [
            "+CGCONTRDP: 2,5,\"ims\",\"127.0.0.1.255.0.0.0\",\"\",\"\",\"\",\"127.0.0.1\",\"\"",
            "+CGCONTRDP: 2,5,\"ims\",\"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.255.255.255.255.255.255.255.255.255.255.255.255.255.255.255.255\",\"\",\"\",\"\",\"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1\",\"\"",
            "OK",
        ],
    };

    /// <summary>Consulted before <see cref="Answers"/>; return null to fall through.</summary>
    public Func<string, string[]?>? Handler { get; set; }

    public TestCard Card { get; } = new();

    /// <summary>+CCHO answers "+CCHO: n" (default) or a bare "n".</summary>
    public bool CchoBare { get; set; }

    /// <summary>The session id +CCHO hands out (any number, not necessarily the channel).</summary>
    public int CchoSession { get; set; } = 1;

    /// <summary>+CGLA answers ERROR (firmware without it).</summary>
    public bool CglaUnsupported { get; set; }

    public IReadOnlyList<string> Commands
    {
        get
        {
            lock (_gate)
            {
                return [.. _commands];
            }
        }
    }

    public IReadOnlyList<string> Unexpected
    {
        get
        {
            lock (_gate)
            {
                return [.. _unexpected];
            }
        }
    }

    public int Count(string command) => Commands.Count(c => c == command);

    /// <summary>Completes when <paramref name="count"/> commands matching have been received.</summary>
    public Task WhenCommandAsync(Func<string, bool> match, int count = 1)
    {
        lock (_gate)
        {
            if (_commands.Count(match) >= count)
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, count, signal));
            return signal.Task.WaitAsync(TimeSpan.FromSeconds(20));
        }
    }

    public Task WhenCommandAsync(string command, int count = 1) => WhenCommandAsync(c => c == command, count);

    /// <summary>Sends unsolicited lines on the current connection.</summary>
    public Task SendUrcAsync(params string[] lines)
        => (_current ?? throw new InvalidOperationException("no connection")).ReplyAsync(lines);

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

            _current = modem;
            _ = Task.Run(() => ServeAsync(modem));
        }
    }

    private async Task ServeAsync(ScriptedModem modem)
    {
        try
        {
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

                Record(command);
                var answer = Answer(command);
                if (answer is not null && answer.Length > 0)
                {
                    await modem.ReplyAsync(answer);
                }
            }
        }
        catch (Exception exception) when (exception is InvalidOperationException or OperationCanceledException or IOException)
        {
            // The agent closed this connection (or the test unplugged it).
        }
    }

    private void Record(string command)
    {
        lock (_gate)
        {
            _commands.Add(command);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_commands.Count(_waiters[i].Match) >= _waiters[i].Count)
                {
                    _waiters[i].Signal.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    private string[]? Answer(string command)
    {
        if (Handler?.Invoke(command) is { } handled)
        {
            return handled;
        }

        if (Answers.TryGetValue(command, out var answer))
        {
            return answer;
        }

        if (command.StartsWith("AT+CCHO=\"", StringComparison.Ordinal))
        {
            var id = CchoSession.ToString(CultureInfo.InvariantCulture);
            return Card.HasAid(command[9..^1]) ? [CchoBare ? id : "+CCHO: " + id, "OK"] : ["+CME ERROR: 4"];
        }

        if (command.StartsWith("AT+CCHC=", StringComparison.Ordinal))
        {
            return ["OK"];
        }

        if (TryApdu(command, "AT+CGLA=", out var cglaHex))
        {
            return CglaUnsupported ? ["ERROR"] : [ApduAnswer("+CGLA: ", Card.Process(Convert.FromHexString(cglaHex))), "OK"];
        }

        if (TryApdu(command, "AT+CSIM=", out var csimHex))
        {
            return [ApduAnswer("+CSIM: ", Card.Process(Convert.FromHexString(csimHex))), "OK"];
        }

        lock (_gate)
        {
            _unexpected.Add(command);
        }

        return ["ERROR"];
    }

    private static bool TryApdu(string command, string prefix, out string hex)
    {
        hex = string.Empty;
        if (!command.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var quote = command.IndexOf('"', StringComparison.Ordinal);
        var head = command[prefix.Length..quote].TrimEnd(',');
        var length = int.Parse(head[(head.LastIndexOf(',') + 1)..], CultureInfo.InvariantCulture);
        hex = command[(quote + 1)..^1];
        Assert.Equal(hex.Length, length);
        return true;
    }

    private static string ApduAnswer(string name, byte[] response)
    {
        var hex = Convert.ToHexString(response);
        return $"{name}{hex.Length},\"{hex}\"";
    }
}

/// <summary>
/// A UICC with EF_DIR (USIM and ISIM), an ISIM holding the test identities (TS 31.103 EF_IMPI/DOMAIN/IMPU, no IST and
/// no P-CSCF), MANAGE CHANNEL, and AUTHENTICATE answering TS 35.208 set 1's RES/CK/IK. It can answer SELECT with
/// 61xx (GET RESPONSE needed) and READ with 6Cxx (resend with the exact Le) the way T=0 cards behind some modems do.
/// </summary>
internal sealed class TestCard
{
    public const string IsimAid = "A0000000871004FF49FF0589";
    public const string UsimAid = "A0000000871002FF49FF0589";
    public const string Res = "A54211D5E3BA50BF";
    public const string AuthenticateAnswer = "DB08A54211D5E3BA50BF10B40BA9A3C58B2A05BBF0D987B21BF8CB10F769BCD751044604127672711C6D3441";

    private readonly Dictionary<ushort, (string Fcp, string[] Content)> _files = new()
    {
        [0x2F00] = ("62178205422100200283022F008A01058B032F060180020040",
        [
            "61144F0CA0000000871002FF49FF058950045553494DFFFFFFFFFFFFFFFFFFFF",
            "61144F0CA0000000871004FF49FF058950044953494DFFFFFFFFFFFFFFFFFFFF",
        ]),
        [0x6F02] = ("62148202412183026F028A01058B036F060180020033",
            ["803130303130313031323334353637383940696D732E6D6E633030312E6D63633030312E336770706E6574776F726B2E6F7267"]),
        [0x6F03] = ("62148202412183026F038A01058B036F060180020023",
            ["8021696D732E6D6E633030312E6D63633030312E336770706E6574776F726B2E6F7267"]),
        [0x6F04] = ("62178205422100370183026F048A01058B036F060180020037",
            ["80357369703A30303130313031323334353637383940696D732E6D6E633030312E6D63633030312E336770706E6574776F726B2E6F7267"]),
    };

    private readonly Lock _gate = new();
    private ushort _current;
    private byte[]? _pending;

    /// <summary>SELECT answers 61xx and the FCP comes with GET RESPONSE.</summary>
    public bool SelectAnswers61 { get; set; }

    /// <summary>READ BINARY / READ RECORD with a wrong Le answer 6Cxx.</summary>
    public bool StrictLe { get; set; }

    /// <summary>EF_DIR lists the USIM only.</summary>
    public bool WithoutIsim { get; set; }

    public int Authentications { get; private set; }

    /// <summary>Class bytes of every APDU received, in order.</summary>
    public List<byte> ClassBytes { get; } = [];

    public bool HasAid(string aid) => aid == UsimAid || (aid == IsimAid && !WithoutIsim);

    public byte[] Process(byte[] apdu)
    {
        lock (_gate)
        {
            ClassBytes.Add(apdu[0]);
            var answer = ProcessCore(apdu);
            return Convert.FromHexString(answer);
        }
    }

    private string ProcessCore(byte[] apdu)
    {
        var le = apdu.Length == 5 ? (apdu[4] == 0 ? 256 : apdu[4]) : -1;
        switch (apdu[1])
        {
            case 0x70 when apdu[2] == 0x00:
                return "019000";
            case 0x70:
                return "9000";
            case 0xA4 when apdu[2] == 0x04:
                return Convert.ToHexString(apdu.AsSpan(5, apdu[4])) == IsimAid && !WithoutIsim ? Respond("621582027821840CA0000000871004FF49FF05898A0105", apdu) : "6A82";
            case 0xA4:
                var fid = (ushort)((apdu[5 + apdu[4] - 2] << 8) | apdu[5 + apdu[4] - 1]);
                if (!_files.ContainsKey(fid))
                {
                    return "6A82";
                }

                _current = fid;
                return apdu[3] == 0x0C ? "9000" : Respond(_files[fid].Fcp, apdu);
            case 0xC0 when _pending is not null:
                var pending = Convert.ToHexString(_pending);
                _pending = null;
                return pending + "9000";
            case 0xB0:
                return Read(_files[_current].Content[0], le);
            case 0xB2:
                var records = _files[_current].Content;
                if (WithoutIsim && _current == 0x2F00 && apdu[2] == 2)
                {
                    return Read(new string('F', 64), le);
                }

                return apdu[2] <= records.Length ? Read(records[apdu[2] - 1], le) : "6A83";
            case 0x88:
                Authentications++;
                return AuthenticateAnswer + "9000";
            default:
                return "6D00";
        }
    }

    private string Respond(string data, byte[] apdu)
    {
        if (!SelectAnswers61)
        {
            return data + "9000";
        }

        _pending = Convert.FromHexString(data);
        _ = apdu;
        return "61" + (data.Length / 2).ToString("X2", CultureInfo.InvariantCulture);
    }

    private string Read(string content, int le)
    {
        var length = content.Length / 2;
        if (StrictLe && le != length)
        {
            return "6C" + length.ToString("X2", CultureInfo.InvariantCulture);
        }

        return content[..(Math.Min(le < 0 ? length : le, length) * 2)] + "9000";
    }
}
