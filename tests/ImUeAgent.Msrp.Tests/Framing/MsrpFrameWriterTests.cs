// SPDX-License-Identifier: MIT
using System.Buffers;
using System.Text;
using ImUeAgent.Msrp.Framing;

namespace ImUeAgent.Msrp.Tests.Framing;

public sealed class MsrpFrameWriterTests
{
    private static string Text(ArrayBufferWriter<byte> w) => Encoding.UTF8.GetString(w.WrittenSpan);

    [Fact]
    public void Send_matches_the_rfc_example_byte_for_byte()
    {
        var w = new ArrayBufferWriter<byte>();
        MsrpFrameWriter.WriteSend(w, "a786hjs2"u8, "msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp"u8,
            "msrp://atlanta.example.com:7654/jshA7weztas;tcp"u8, "87652491"u8, "text/plain"u8,
            "Hey Bob, are you there?\r\n"u8, new ByteRange(1, 25, 25));
        Assert.Equal(MsrpFrameReaderTests.Send, Text(w));
    }

    [Fact]
    public void Response_round_trips()
    {
        var w = new ArrayBufferWriter<byte>();
        MsrpFrameWriter.WriteResponse(w, "a786hjs2"u8, 200, "msrp://atlanta.example.com:7654/jshA7weztas;tcp"u8,
            "msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp"u8);
        Assert.Equal(MsrpFrameReaderTests.Response, Text(w));
    }

    [Fact]
    public void Report_round_trips()
    {
        var w = new ArrayBufferWriter<byte>();
        MsrpFrameWriter.WriteReport(w, "dkei38sd"u8, "msrp://alice.example.com:7777/iau39soe2843z;tcp"u8,
            "msrp://bob.example.com:8888/9di4eae923wzd;tcp"u8, "12339sdqwer"u8, ByteRange.Whole(106), 200);
        Assert.Equal(MsrpFrameReaderTests.Report, Text(w));
    }

    [Theory]
    [InlineData(MsrpFailureReport.No, true, "Success-Report: yes\r\nFailure-Report: no\r\n")]
    [InlineData(MsrpFailureReport.Partial, false, "Failure-Report: partial\r\n")]
    [InlineData(MsrpFailureReport.Yes, false, "")]
    public void Report_request_headers_are_written_and_read_back(MsrpFailureReport failure, bool success, string expected)
    {
        var w = new ArrayBufferWriter<byte>();
        MsrpFrameWriter.WriteSendHead(w, "tid1"u8, "msrp://a:1/x;tcp"u8, "msrp://b:2/y;tcp"u8, "mid1"u8,
            new ByteRange(2049, null, null), success, failure, "application/octet-stream"u8);
        MsrpFrameWriter.Write(w, "xyz"u8);
        MsrpFrameWriter.WriteEndLine(w, "tid1"u8, MsrpContinuation.More, afterBody: true);
        var text = Text(w);
        Assert.Contains("Message-ID: mid1\r\n" + expected + "Byte-Range: 2049-*/*\r\n", text, StringComparison.Ordinal);
        var f = FrameFeeder.FeedAll(w.WrittenSpan.ToArray());
        var frame = Assert.Single(f.Frames);
        Assert.Equal("xyz", Encoding.UTF8.GetString(frame.Body));
        Assert.Equal(MsrpContinuation.More, frame.Flag);
        Assert.Equal(new ByteRange(2049, null, null), frame.ByteRange);
    }

    [Fact]
    public void Bodiless_send_has_no_blank_line()
    {
        var w = new ArrayBufferWriter<byte>();
        MsrpFrameWriter.WriteSend(w, "tid1"u8, "msrp://a:1/x;tcp"u8, "msrp://b:2/y;tcp"u8, "mid1"u8, default, default);
        Assert.EndsWith("Message-ID: mid1\r\n-------tid1$\r\n", Text(w), StringComparison.Ordinal);
        var frame = Assert.Single(FrameFeeder.FeedAll(w.WrittenSpan.ToArray()).Frames);
        Assert.False(frame.HasBody);
    }

    [Fact]
    public void Large_body_goes_through_small_writer_segments()
    {
        var pipe = new System.IO.Pipelines.Pipe(new System.IO.Pipelines.PipeOptions(minimumSegmentSize: 256, pauseWriterThreshold: 0));
        var body = new byte[100_000];
        new Random(1).NextBytes(body);
        MsrpFrameWriter.WriteSend(pipe.Writer, "tid1"u8, "msrp://a:1/x;tcp"u8, "msrp://b:2/y;tcp"u8, "mid1"u8, "application/octet-stream"u8, body);
        pipe.Writer.Complete();
        Assert.True(pipe.Reader.TryRead(out var result));
        var frame = Assert.Single(FrameFeeder.FeedAll(result.Buffer.ToArray()).Frames);
        Assert.Equal(body, frame.Body);
    }
}
