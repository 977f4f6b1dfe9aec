// SPDX-License-Identifier: MIT
using System.Buffers;
using System.Text;
using ImUeAgent.Modem.At;

namespace ImUeAgent.Modem.Tests.At;

public sealed class AtFramerTests
{
    // Expected frames are written as "L:text" (line), "P" (prompt), "E:Reason" (error).
    public static TheoryData<string, string[]> Transcripts => new()
    {
        { "AT+CGMI\r\r\nQuectel\r\n\r\nOK\r\n", ["L:AT+CGMI", "L:Quectel", "L:OK"] },
        { "\r\n+CEREG: 2,1,\"00C3\",\"0000A1B2\",7\r\n\r\nOK\r\n", ["L:+CEREG: 2,1,\"00C3\",\"0000A1B2\",7", "L:OK"] },
        { "+CSQ: 20,99\nOK\n", ["L:+CSQ: 20,99", "L:OK"] },
        { "+CSQ: 20,99\rOK\r", ["L:+CSQ: 20,99", "L:OK"] },
        { "AT+CMGS=17\r\r\n> ", ["L:AT+CMGS=17", "P"] },
        { "\r\n> 0011000B91\u001a\r\n+CMGS: 5\r\n\r\nOK\r\n", ["P", "L:0011000B91\u001a", "L:+CMGS: 5", "L:OK"] },
        { "\r\n+CME ERROR: SIM not inserted\r\n", ["L:+CME ERROR: SIM not inserted"] },
        { "\r\n+CGDCONT: 1,\"IP\",\"ims\"\r\n\r\n+CGEV: ME PDN ACT 1\r\n\r\n+CGDCONT: 2,\"IPV6\",\"internet\"\r\n\r\nOK\r\n",
            ["L:+CGDCONT: 1,\"IP\",\"ims\"", "L:+CGEV: ME PDN ACT 1", "L:+CGDCONT: 2,\"IPV6\",\"internet\"", "L:OK"] },
        { "\r\nab\u0007cd\r\nOK\r\n", ["E:ControlCharacter", "L:OK"] },
        { "\r\n\u00ff\u00fe\r\nOK\r\n", ["L:\u00ff\u00fe", "L:OK"] },
        { ">x\r\n", ["L:>x"] },
        { "\tpadded\r\n", ["L:\tpadded"] },
    };

    [Theory]
    [MemberData(nameof(Transcripts))]
    public void EverySplitPointGivesTheSameFrames(string transcript, string[] expected)
    {
        var bytes = Encoding.UTF8.GetBytes(transcript);
        for (var split = 0; split <= bytes.Length; split++)
        {
            Assert.Equal(expected, FrameInChunks(bytes, [split]));
            // Same split as a two-segment sequence held at once (multi-segment path).
            Assert.Equal(expected, FrameSegments(bytes, split));
        }

        var everyByte = Enumerable.Range(1, bytes.Length).ToArray();
        Assert.Equal(expected, FrameInChunks(bytes, everyByte));
    }

    [Theory]
    [MemberData(nameof(Transcripts))]
    public void EveryPrefixGivesAPrefixOfTheFrames(string transcript, string[] expected)
    {
        var bytes = Encoding.UTF8.GetBytes(transcript);
        for (var length = 0; length <= bytes.Length; length++)
        {
            var frames = FrameInChunks(bytes[..length], []);
            Assert.True(frames.Count <= expected.Length, $"prefix {length} produced {frames.Count} frames");
            Assert.Equal(expected.Take(frames.Count), frames);
        }
    }

    [Fact]
    public void InvalidUtf8IsReportedWithItsColumn()
    {
        byte[] bytes = [(byte)'a', (byte)'b', 0xC3, 0x28, (byte)'\r', (byte)'\n'];
        var sequence = new ReadOnlySequence<byte>(bytes);
        var state = default(AtFramerState);
        Assert.Equal(AtFrameStatus.Error, AtFramer.Read(ref state, ref sequence, out var frame));
        Assert.Equal(AtFramingError.InvalidUtf8, frame.Error);
        Assert.Equal(2, frame.Column);
        Assert.Equal(4, frame.Length);
    }

    [Fact]
    public void ControlCharacterColumnIsItsOffset()
    {
        var sequence = new ReadOnlySequence<byte>("OK\0\r\n"u8.ToArray());
        var state = default(AtFramerState);
        Assert.Equal(AtFrameStatus.Error, AtFramer.Read(ref state, ref sequence, out var frame));
        Assert.Equal((AtFramingError.ControlCharacter, 2), (frame.Error, frame.Column));
    }

    [Theory]
    [InlineData(AtFramer.MaxLineLength, false)]
    [InlineData(AtFramer.MaxLineLength + 1, true)]
    [InlineData(10_000, true)]
    public void LineCapIsTwoKibibytes(int length, bool rejected)
    {
        var bytes = Encoding.ASCII.GetBytes(new string('A', length) + "\r\nOK\r\n");
        string[] expected = rejected ? ["E:LineTooLong", "L:OK"] : ["L:" + new string('A', length), "L:OK"];
        Assert.Equal(expected, FrameInChunks(bytes, []));
        Assert.Equal(expected, FrameInChunks(bytes, Enumerable.Range(1, bytes.Length / 97).Select(i => i * 97).ToArray()));
        Assert.Equal(expected, FrameInChunks(bytes, Enumerable.Range(1, bytes.Length).ToArray()));
    }

    [Fact]
    public void OverlongLineKeepsAtMostTheCapBuffered()
    {
        // An endless line: the framer must report it once and then keep consuming, never asking to buffer more.
        var state = default(AtFramerState);
        var errors = 0;
        var chunk = new byte[1000];
        Array.Fill(chunk, (byte)'x');
        var pending = Array.Empty<byte>();
        for (var i = 0; i < 100; i++)
        {
            var sequence = new ReadOnlySequence<byte>([.. pending, .. chunk]);
            AtFrameStatus status;
            while ((status = AtFramer.Read(ref state, ref sequence, out _)) != AtFrameStatus.Incomplete)
            {
                Assert.Equal(AtFrameStatus.Error, status);
                errors++;
            }

            pending = sequence.ToArray();
            Assert.True(pending.Length <= AtFramer.MaxLineLength, $"{pending.Length} bytes held");
        }

        Assert.Equal(1, errors);
    }

    [Fact]
    public void LonePromptCharacterWaitsForMore()
    {
        var sequence = new ReadOnlySequence<byte>("\r\n>"u8.ToArray());
        var state = default(AtFramerState);
        Assert.Equal(AtFrameStatus.Incomplete, AtFramer.Read(ref state, ref sequence, out _));
        Assert.Equal(1, sequence.Length);
    }

    private static List<string> FrameInChunks(byte[] bytes, int[] splits)
    {
        var frames = new List<string>();
        var state = default(AtFramerState);
        var held = new List<byte>();
        var start = 0;
        foreach (var end in splits.Append(bytes.Length))
        {
            held.AddRange(bytes[start..end]);
            start = end;
            var sequence = new ReadOnlySequence<byte>(held.ToArray());
            AtFrameStatus status;
            while ((status = AtFramer.Read(ref state, ref sequence, out var frame)) != AtFrameStatus.Incomplete)
            {
                frames.Add(Describe(status, frame));
            }

            held = [.. sequence.ToArray()];
        }

        return frames;
    }

    private static List<string> FrameSegments(byte[] bytes, int split)
    {
        var first = new Segment(bytes.AsMemory(0, split));
        var last = first.Append(bytes.AsMemory(split));
        var sequence = new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
        var frames = new List<string>();
        var state = default(AtFramerState);
        AtFrameStatus status;
        while ((status = AtFramer.Read(ref state, ref sequence, out var frame)) != AtFrameStatus.Incomplete)
        {
            frames.Add(Describe(status, frame));
        }

        return frames;
    }

    private static string Describe(AtFrameStatus status, AtFrame frame) => status switch
    {
        AtFrameStatus.Line => "L:" + Encoding.UTF8.GetString(frame.Line),
        AtFrameStatus.Prompt => "P",
        _ => "E:" + frame.Error,
    };

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
