// SPDX-License-Identifier: MIT
using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using BenchmarkDotNet.Attributes;
using ImUeAgent.Modem.At;
using ImUeAgent.Modem.BringUp;
using ImUeAgent.Modem.Ports;

namespace ImUeAgent.Benchmarks.Modem;

/// <summary>
/// Port open to "IMS PDN up, ISIM read" (<see cref="ModemPhase.Ready"/>) against a modem that answers at once over an
/// in-memory pipe: 27 AT round trips (probe, SIM, attach, PDN, P-CSCF, EF_DIR and the ISIM's files over +CSIM/+CGLA)
/// and the channel's synchronisation gap, which is set to 1 ms here. Bring-up waits on answers and URCs only, so
/// the time is round trips plus that gap, never a polling period.
/// </summary>
[MemoryDiagnoser]
public class BringUpBenchmarks
{
    private static readonly ModemServiceSettings Settings = new()
    {
        Port = "tcp:127.0.0.1:1",
        Profiles = [ModemService.BuiltInGenericProfile()],
        Channel = new AtChannelSettings { QuietGap = TimeSpan.FromMilliseconds(1) },
    };

    [Benchmark]
    public async Task<ModemPhase> PortOpenToReady()
    {
        var port = new ZeroDelayModemPort();
        await using var service = new ModemService(port, Settings);
        await service.StartAsync();
        var state = await service.WaitForPhaseAsync(ModemPhase.Ready).WaitAsync(TimeSpan.FromSeconds(10));
        return state.Phase;
    }

    /// <summary>An in-memory port whose modem side answers every command from a table, with no delay.</summary>
    private sealed class ZeroDelayModemPort : IModemPort
    {
        private static readonly Dictionary<string, string> Answers = new(StringComparer.Ordinal)
        {
            ["AT"] = "OK",
            ["ATE0"] = "OK",
            ["AT+CMEE=1"] = "OK",
            ["AT+CGMI"] = "imue-testbed\r\n\r\nOK",
            ["AT+CGMM"] = "emulated-27007\r\n\r\nOK",
            ["AT+CGMR"] = "0.1.0\r\n\r\nOK",
            ["AT+CGSN"] = "356938035643809\r\n\r\nOK",
            ["AT+CPIN?"] = "+CPIN: READY\r\n\r\nOK",
            ["AT+CIMI"] = "001010123456789\r\n\r\nOK",
            ["AT+CGEREP=2,1"] = "OK",
            ["AT+CEREG=2"] = "OK",
            ["AT+CEREG?"] = "+CEREG: 2,1,\"0001\",\"00000101\",7\r\n\r\nOK",
            ["AT+CGACT?"] = "OK",
            ["AT+CGDCONT=2,\"IPV4V6\",\"ims\",\"\",0,0,0,0,1,1"] = "OK",
            ["AT+CGACT=1,2"] = "OK",
            ["AT+CGPADDR=2"] = "+CGPADDR: 2,\"127.0.0.1\"\r\n\r\nOK",
            ["AT+CGCONTRDP=2"] = "+CGCONTRDP: 2,5,\"ims\",\"127.0.0.1.255.0.0.0\",\"\",\"\",\"\",\"127.0.0.1\",\"\"\r\n\r\nOK",
            ["AT+CSIM=16,\"00A40804022F0000\""] = "+CSIM: 54,\"62178205422100200283022F008A01058B032F0601800200409000\"\r\n\r\nOK",
            ["AT+CSIM=10,\"00B2010420\""] = "+CSIM: 68,\"61144F0CA0000000871002FF49FF058950045553494DFFFFFFFFFFFFFFFFFFFF9000\"\r\n\r\nOK",
            ["AT+CSIM=10,\"00B2020420\""] = "+CSIM: 68,\"61144F0CA0000000871004FF49FF058950044953494DFFFFFFFFFFFFFFFFFFFF9000\"\r\n\r\nOK",
            ["AT+CCHO=\"A0000000871004FF49FF0589\""] = "+CCHO: 1\r\n\r\nOK",
            ["AT+CGLA=1,16,\"00A40004026F0200\""] = "+CGLA: 48,\"62148202412183026F028A01058B036F0601800200339000\"\r\n\r\nOK",
            ["AT+CGLA=1,10,\"00B0000033\""] = "+CGLA: 106,\"803130303130313031323334353637383940696D732E6D6E633030312E6D63633030312E336770706E6574776F726B2E6F72679000\"\r\n\r\nOK",
            ["AT+CGLA=1,16,\"00A40004026F0300\""] = "+CGLA: 48,\"62148202412183026F038A01058B036F0601800200239000\"\r\n\r\nOK",
            ["AT+CGLA=1,10,\"00B0000023\""] = "+CGLA: 74,\"8021696D732E6D6E633030312E6D63633030312E336770706E6574776F726B2E6F72679000\"\r\n\r\nOK",
            ["AT+CGLA=1,16,\"00A40004026F0400\""] = "+CGLA: 54,\"62178205422100370183026F048A01058B036F0601800200379000\"\r\n\r\nOK",
            ["AT+CGLA=1,10,\"00B2010437\""] = "+CGLA: 114,\"80357369703A30303130313031323334353637383940696D732E6D6E633030312E6D63633030312E336770706E6574776F726B2E6F72679000\"\r\n\r\nOK",
            ["AT+CGLA=1,16,\"00A40004026F0700\""] = "+CGLA: 4,\"6A82\"\r\n\r\nOK",
            ["AT+CGLA=1,16,\"00A40004026F0900\""] = "+CGLA: 4,\"6A82\"\r\n\r\nOK",
            ["AT+CCHC=1"] = "OK",
        };

        public string Name => "memory:benchmark";

        public ValueTask<ModemConnection> OpenAsync(CancellationToken cancellationToken)
        {
            var toModem = new Pipe();
            var toAgent = new Pipe();
            _ = Task.Run(() => ServeAsync(toModem.Reader, toAgent.Writer), CancellationToken.None);
            return ValueTask.FromResult<ModemConnection>(new Connection(toAgent.Reader, toModem.Writer));
        }

        private static async Task ServeAsync(PipeReader input, PipeWriter output)
        {
            try
            {
                while (true)
                {
                    var result = await input.ReadAsync();
                    var buffer = result.Buffer;
                    while (buffer.PositionOf((byte)'\r') is { } end)
                    {
                        var command = Encoding.ASCII.GetString(buffer.Slice(0, end));
                        buffer = buffer.Slice(buffer.GetPosition(1, end));
                        var answer = Answers.TryGetValue(command, out var known) ? known : "ERROR";
                        await output.WriteAsync(Encoding.ASCII.GetBytes($"\r\n{answer}\r\n"));
                    }

                    input.AdvanceTo(buffer.Start, buffer.End);
                    if (result.IsCompleted)
                    {
                        break;
                    }
                }
            }
            catch (InvalidOperationException)
            {
                // The agent closed the pipe.
            }

            await output.CompleteAsync();
        }

        private sealed class Connection(PipeReader input, PipeWriter output) : ModemConnection, IDuplexPipe
        {
            public PipeReader Input { get; } = input;

            public PipeWriter Output { get; } = output;

            public override IDuplexPipe Transport => this;

            public override async ValueTask DisposeAsync()
            {
                await Input.CompleteAsync();
                await Output.CompleteAsync();
            }
        }
    }
}
