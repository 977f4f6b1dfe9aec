// SPDX-License-Identifier: MIT
using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using ImUeAgent.Modem.At;

namespace ImUeAgent.Benchmarks.Modem;

/// <summary>
/// AT framer throughput over a long modem transcript (echo, answers, URCs, +CGLA hex), and the cost per line of what
/// the channel adds: decoding the line to a string, routing it and tokenizing its values. The framer itself must
/// allocate nothing; the channel allocates one string per accepted line.
/// </summary>
[MemoryDiagnoser]
public class AtFramerBenchmarks
{
    private const int Repeats = 500;
    private static readonly string[] Block =
    [
        "AT+CEREG?\r", "\r\n+CEREG: 2,1,\"1A2B\",\"01A2B3C4\",7\r\n", "\r\nOK\r\n",
        "AT+CGDCONT?\r", "\r\n+CGDCONT: 1,\"IP\",\"ims\",\"0.0.0.0\",0,0\r\n", "\r\n+CGEV: ME PDN ACT 1\r\n",
        "\r\n+CGDCONT: 2,\"IPV4V6\",\"internet\",\"0.0.0.0\",0,0\r\n", "\r\nOK\r\n",
        "AT+CGLA=1,78,\"008800812210" + new string('A', 32) + "10" + new string('B', 32) + "00\"\r",
        "\r\n+CGLA: 88,\"DB08" + new string('C', 16) + "10" + new string('D', 32) + "10" + new string('E', 32) + "9000\"\r\n", "\r\nOK\r\n",
        "\r\n+CSQ: 20,99\r\n", "\r\n+CME ERROR: SIM busy\r\n",
    ];

    private ReadOnlySequence<byte> _transcript;
    private int _lines;

    [GlobalSetup]
    public void Setup()
    {
        var text = string.Concat(Enumerable.Repeat(string.Concat(Block), Repeats));
        _transcript = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(text));
        _lines = FrameOnly();
    }

    /// <summary>Lines in the transcript (a sanity figure for per-line numbers: divide by it).</summary>
    public int Lines => _lines;

    [Benchmark(Baseline = true)]
    public int FrameOnly()
    {
        var buffer = _transcript;
        var state = default(AtFramerState);
        var count = 0;
        while (AtFramer.Read(ref state, ref buffer, out _) != AtFrameStatus.Incomplete)
        {
            count++;
        }

        return count;
    }

    [Benchmark]
    public int FrameDecodeRoute()
    {
        var buffer = _transcript;
        var state = default(AtFramerState);
        var table = AtFinalResultTable.Default;
        var responses = 0;
        while (AtFramer.Read(ref state, ref buffer, out var frame) == AtFrameStatus.Line)
        {
            var line = Encoding.UTF8.GetString(frame.Line);
            if (!table.TryMatch(line, out _))
            {
                var values = AtValueReader.ForLine(line, out _);
                while (values.TryRead(out _))
                {
                    responses++;
                }
            }
        }

        return responses;
    }
}
