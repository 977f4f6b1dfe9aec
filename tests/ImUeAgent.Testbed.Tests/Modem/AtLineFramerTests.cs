// SPDX-License-Identifier: MIT
using System.Buffers;
using System.Text;
using ImUeAgent.Testbed.Modem;

namespace ImUeAgent.Testbed.Tests.Modem;

public sealed class AtLineFramerTests
{
    private static ReadOnlySequence<byte> Split(byte[] bytes, int at)
    {
        if (at <= 0 || at >= bytes.Length)
        {
            return new ReadOnlySequence<byte>(bytes);
        }

        var first = new Segment(bytes.AsMemory(0, at));
        var last = first.Append(bytes.AsMemory(at));
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    public static TheoryData<int> SplitPoints()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i <= "\nAT+CGMI\r".Length; i++)
        {
            data.Add(i);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SplitPoints))]
    public void A_line_is_read_whatever_the_segment_split(int at)
    {
        var bytes = Encoding.ASCII.GetBytes("\nAT+CGMI\rAT");
        var buffer = Split(bytes, at);
        var status = AtLineFramer.TryReadLine(buffer, out var line, out var consumed);
        Assert.Equal(AtFrameStatus.Line, status);
        Assert.Equal("AT+CGMI", line);
        Assert.Equal(9, buffer.Slice(0, consumed).Length);
    }

    [Fact]
    public void Every_prefix_without_a_terminator_is_incomplete()
    {
        var bytes = Encoding.ASCII.GetBytes("AT+CGMI");
        for (var length = 0; length <= bytes.Length; length++)
        {
            var buffer = new ReadOnlySequence<byte>(bytes, 0, length);
            Assert.Equal(AtFrameStatus.Incomplete, AtLineFramer.TryReadLine(buffer, out _, out var consumed));
            Assert.Equal(0, buffer.Slice(0, consumed).Length);
        }
    }

    [Fact]
    public void Backspace_deletes_the_previous_character()
    {
        var bytes = Encoding.ASCII.GetBytes("AT+CGMX\bI\r");
        Assert.Equal(AtFrameStatus.Line, AtLineFramer.TryReadLine(new ReadOnlySequence<byte>(bytes), out var line, out _));
        Assert.Equal("AT+CGMI", line);
    }

    [Fact]
    public void An_overlong_line_is_reported_and_skipped_to_its_end()
    {
        var bytes = new byte[AtLineFramer.MaxLineLength + 10];
        bytes.AsSpan().Fill((byte)'A');
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.Equal(AtFrameStatus.Overflow, AtLineFramer.TryReadLine(buffer, out _, out var consumed));
        Assert.Equal(AtLineFramer.MaxLineLength, buffer.Slice(0, consumed).Length);

        var rest = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes("AAAA\rAT\r"));
        Assert.True(AtLineFramer.SkipToEndOfLine(rest, out var end));
        Assert.Equal(5, rest.Slice(0, end).Length);
        Assert.False(AtLineFramer.SkipToEndOfLine(new ReadOnlySequence<byte>("AAA"u8.ToArray()), out _));
    }

    [Fact]
    public void An_overlong_line_with_its_terminator_is_too_long_too()
    {
        var bytes = new byte[AtLineFramer.MaxLineLength + 2];
        bytes.AsSpan().Fill((byte)'A');
        bytes[^1] = (byte)'\r';
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.Equal(AtFrameStatus.LineTooLong, AtLineFramer.TryReadLine(buffer, out _, out var consumed));
        Assert.Equal(bytes.Length, buffer.Slice(0, consumed).Length);
    }

    [Fact]
    public void Hostile_bytes_stay_one_character_each()
    {
        byte[] bytes = [0x41, 0x54, 0xFF, 0x00, 0x80, 0x0D];
        Assert.Equal(AtFrameStatus.Line, AtLineFramer.TryReadLine(new ReadOnlySequence<byte>(bytes), out var line, out _));
        Assert.Equal(5, line.Length);
        Assert.Equal("AT\\xFF\\x00\\x80", Transcript.Printable(line));
    }

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
