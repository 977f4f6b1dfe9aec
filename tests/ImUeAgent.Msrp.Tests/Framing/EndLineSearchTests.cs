// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Msrp.Framing;

namespace ImUeAgent.Msrp.Tests.Framing;

/// <summary>The vectorised end-line search must find exactly what a plain search finds, wherever the pattern sits.</summary>
public sealed class EndLineSearchTests
{
    private static readonly byte[] ReceiverPattern = Encoding.ASCII.GetBytes("\r\n-------Ab3dE6gH9jK");
    private static readonly byte[] SenderPattern = Encoding.ASCII.GetBytes("-------Ab3dE6gH9jK");

    public static TheoryData<int> Seeds() => new(Enumerable.Range(1, 8));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Agrees_with_a_plain_search_on_hostile_data(int seed)
    {
        var random = new Random(seed);
        for (int round = 0; round < 3000; round++)
        {
            // Lengths around the 64- and 128-byte blocks; bytes drawn mostly from the pattern's own alphabet, so that
            // dash runs, broken patterns and near misses are everywhere.
            var data = new byte[random.Next(0, 600)];
            random.NextBytes(data);
            for (int k = 0; k < data.Length; k++)
            {
                if (random.Next(3) == 0)
                {
                    data[k] = "-\r\nAb3dE6gH9jK"u8[random.Next(14)];
                }
            }

            bool receiver = random.Next(2) == 0;
            var pattern = receiver ? ReceiverPattern : SenderPattern;
            if (data.Length >= pattern.Length && random.Next(2) == 0)
            {
                pattern.CopyTo(data.AsSpan(random.Next(data.Length - pattern.Length + 1)));
            }

            int expected = data.AsSpan().IndexOf(pattern);
            Assert.Equal(expected, EndLineSearch.IndexOf(data, pattern, receiver ? 2 : 0));
        }
    }

    [Fact]
    public void Finds_the_pattern_at_every_offset_of_a_long_span_and_only_the_first()
    {
        var data = new byte[700];
        for (int at = 0; at + ReceiverPattern.Length <= data.Length; at++)
        {
            data.AsSpan().Fill((byte)'-'); // all dashes: every block is a candidate
            ReceiverPattern.CopyTo(data.AsSpan(at));
            if (at + 2 * ReceiverPattern.Length <= data.Length)
            {
                ReceiverPattern.CopyTo(data.AsSpan(data.Length - ReceiverPattern.Length));
            }

            Assert.Equal(at, EndLineSearch.IndexOf(data, ReceiverPattern, 2));
        }
    }

    [Fact]
    public void Random_data_without_the_pattern_gives_minus_one()
    {
        var data = new byte[1 << 20];
        new Random(4975).NextBytes(data);
        Assert.Equal(data.AsSpan().IndexOf(ReceiverPattern), EndLineSearch.IndexOf(data, ReceiverPattern, 2));
        Assert.Equal(-1, EndLineSearch.IndexOf(data, ReceiverPattern, 2));
    }
}
