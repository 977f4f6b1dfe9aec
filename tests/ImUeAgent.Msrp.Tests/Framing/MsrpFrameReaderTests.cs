// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Msrp.Framing;

namespace ImUeAgent.Msrp.Tests.Framing;

public sealed class MsrpFrameReaderTests
{
    internal const string Send =
        "MSRP a786hjs2 SEND\r\n" +
        "To-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\n" +
        "From-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n" +
        "Message-ID: 87652491\r\n" +
        "Byte-Range: 1-25/25\r\n" +
        "Content-Type: text/plain\r\n" +
        "\r\n" +
        "Hey Bob, are you there?\r\n" +
        "\r\n" +
        "-------a786hjs2$\r\n";

    internal const string Response =
        "MSRP a786hjs2 200 OK\r\n" +
        "To-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n" +
        "From-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\n" +
        "-------a786hjs2$\r\n";

    internal const string Report =
        "MSRP dkei38sd REPORT\r\n" +
        "To-Path: msrp://alice.example.com:7777/iau39soe2843z;tcp\r\n" +
        "From-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n" +
        "Message-ID: 12339sdqwer\r\n" +
        "Byte-Range: 1-106/106\r\n" +
        "Status: 000 200 OK\r\n" +
        "-------dkei38sd$\r\n";

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void Send_is_parsed_with_all_fields()
    {
        var f = FrameFeeder.FeedAll(B(Send));
        Assert.Equal(MsrpFrameError.None, f.Error);
        var frame = Assert.Single(f.Frames);
        Assert.Equal(MsrpFrameKind.Request, frame.Kind);
        Assert.Equal("a786hjs2", frame.TransactionId);
        Assert.Equal("SEND", frame.Method);
        Assert.Equal("msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp", frame.ToPath);
        Assert.Equal("msrp://atlanta.example.com:7654/jshA7weztas;tcp", frame.FromPath);
        Assert.Equal("87652491", frame.MessageId);
        Assert.Equal(new ByteRange(1, 25, 25), frame.ByteRange);
        Assert.Equal("text/plain", frame.ContentType);
        Assert.True(frame.HasBody);
        Assert.Equal("Hey Bob, are you there?\r\n", Encoding.UTF8.GetString(frame.Body));
        Assert.Equal(MsrpContinuation.Complete, frame.Flag);
        Assert.Equal(MsrpFrameError.None, frame.SemanticError);
        Assert.Equal(0, f.Buffered);
    }

    [Fact]
    public void Response_has_code_comment_and_no_body()
    {
        var f = FrameFeeder.FeedAll(B(Response));
        var frame = Assert.Single(f.Frames);
        Assert.Equal(MsrpFrameKind.Response, frame.Kind);
        Assert.Equal(200, frame.StatusCode);
        Assert.False(frame.HasBody);
        Assert.Empty(frame.Body);
        Assert.Equal(MsrpContinuation.Complete, frame.Flag);
    }

    [Fact]
    public void Response_without_comment_and_other_methods_are_read()
    {
        var f = FrameFeeder.FeedAll(B("MSRP abcd 481\r\nTo-Path: msrp://a:1/x;tcp\r\nFrom-Path: msrp://b:2/y;tcp\r\n-------abcd$\r\n" +
                                      "MSRP efgh NICKNAME\r\nTo-Path: msrp://a:1/x;tcp\r\nFrom-Path: msrp://b:2/y;tcp\r\n-------efgh$\r\n"));
        Assert.Equal(2, f.Frames.Count);
        Assert.Equal(481, f.Frames[0].StatusCode);
        Assert.Equal("NICKNAME", f.Frames[1].Method);
        Assert.Equal(MsrpMethod.Other, f.Frames[1].LiveHead!.Method);
    }

    [Fact]
    public void Report_status_and_report_headers_are_read()
    {
        var f = new FrameFeeder();
        int? status = null;
        int ns = -1;
        f.OnHead = (_, h) =>
        {
            status = h.StatusHeaderCode;
            ns = h.StatusHeaderNamespace;
            Assert.Equal(MsrpMethod.Report, h.Method);
            Assert.Equal("OK", Encoding.ASCII.GetString(h.StatusComment));
        };
        f.Feed(B(Report));
        Assert.Equal(200, status);
        Assert.Equal(0, ns);
        Assert.Equal(new ByteRange(1, 106, 106), f.Frames[0].ByteRange);
    }

    [Theory]
    [InlineData("yes", "partial", true, MsrpFailureReport.Partial)]
    [InlineData("no", "no", false, MsrpFailureReport.No)]
    [InlineData("no", "yes", false, MsrpFailureReport.Yes)]
    public void Report_request_headers(string success, string failure, bool expectSuccess, MsrpFailureReport expectFailure)
    {
        var text = Send.Replace("Message-ID: 87652491\r\n", $"Message-ID: 87652491\r\nSuccess-Report: {success}\r\nFailure-Report: {failure}\r\n", StringComparison.Ordinal);
        var f = new FrameFeeder();
        f.OnHead = (_, h) =>
        {
            Assert.Equal(expectSuccess, h.EffectiveSuccessReport);
            Assert.Equal(expectFailure, h.EffectiveFailureReport);
        };
        f.Feed(B(text));
        Assert.Single(f.Frames);
    }

    [Fact]
    public void Defaults_are_success_no_failure_yes()
    {
        var f = new FrameFeeder();
        f.OnHead = (_, h) =>
        {
            Assert.Null(h.SuccessReport);
            Assert.Null(h.FailureReport);
            Assert.False(h.EffectiveSuccessReport);
            Assert.Equal(MsrpFailureReport.Yes, h.EffectiveFailureReport);
        };
        f.Feed(B(Send));
        Assert.Single(f.Frames);
    }

    [Theory]
    [InlineData("1-*/*", 1L, null, null)]
    [InlineData("2049-*/100000", 2049L, null, 100000L)]
    [InlineData("1-0/0", 1L, 0L, 0L)]
    [InlineData("10-20/*", 10L, 20L, null)]
    public void Byte_range_with_stars(string value, long start, long? end, long? total)
    {
        Assert.True(ByteRange.TryParse(B(value), out var r));
        Assert.Equal(new ByteRange(start, end, total), r);
    }

    [Theory]
    [InlineData("0-5/5")]
    [InlineData("1-6/5")]
    [InlineData("5-3/9")]
    [InlineData("a-3/9")]
    [InlineData("1-3")]
    [InlineData("1/3")]
    [InlineData("-1-3/4")]
    [InlineData("+1-3/4")]
    [InlineData("1-3/")]
    [InlineData("1-*/9999999999999999999")]
    public void Bad_byte_range_is_a_semantic_error(string value)
    {
        Assert.False(ByteRange.TryParse(B(value), out _));
        var f = FrameFeeder.FeedAll(B(Send.Replace("1-25/25", value, StringComparison.Ordinal)));
        Assert.Equal(MsrpFrameError.None, f.Error);
        Assert.Equal(MsrpFrameError.InvalidByteRange, f.Frames[0].SemanticError);
        Assert.Equal(MsrpContinuation.Complete, f.Frames[0].Flag); // framing intact: the body was still delimited
    }

    public static TheoryData<int> SendPrefixes() => new(Enumerable.Range(0, Send.Length));

    [Theory]
    [MemberData(nameof(SendPrefixes))]
    public void Every_prefix_yields_no_frame_end_and_no_error(int length)
    {
        var f = FrameFeeder.FeedAll(B(Send)[..length]);
        Assert.Equal(MsrpFrameError.None, f.Error);
        Assert.True(f.Frames.Count == 0 || f.Frames[0].Flag is null, "a prefix must not complete the frame");
        int bodyStart = Send.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4;
        if (length >= bodyStart)
        {
            Assert.Single(f.Frames);
        }
        else
        {
            Assert.Empty(f.Frames);
        }
    }

    [Theory]
    [MemberData(nameof(SendPrefixes))]
    public void Every_split_yields_the_same_frame(int split)
    {
        var f = FrameFeeder.FeedAll(B(Send), split);
        Assert.Equal(MsrpFrameError.None, f.Error);
        var frame = Assert.Single(f.Frames);
        Assert.Equal("Hey Bob, are you there?\r\n", Encoding.UTF8.GetString(frame.Body));
        Assert.Equal(MsrpContinuation.Complete, frame.Flag);
        Assert.Equal("87652491", frame.MessageId);
        Assert.True(f.BodySlicesCameFromInput);
    }

    public static TheoryData<int> ResponseSplits() => new(Enumerable.Range(0, Response.Length));

    [Theory]
    [MemberData(nameof(ResponseSplits))]
    public void Every_split_of_a_response_yields_it(int split)
    {
        var f = FrameFeeder.FeedAll(B(Response + Report), split);
        Assert.Equal(2, f.Frames.Count);
        Assert.Equal(200, f.Frames[0].StatusCode);
        Assert.Equal("REPORT", f.Frames[1].Method);
    }

    [Fact]
    public void One_byte_reads_give_the_same_result()
    {
        var data = B(Send + Response + Report);
        var f = new FrameFeeder();
        foreach (byte b in data)
        {
            f.Feed([b]);
        }

        Assert.Equal(3, f.Frames.Count);
        Assert.Equal("Hey Bob, are you there?\r\n", Encoding.UTF8.GetString(f.Frames[0].Body));
        Assert.All(f.Frames, fr => Assert.Equal(MsrpContinuation.Complete, fr.Flag));
        Assert.Equal(0, f.Buffered);
    }

    [Theory]
    [InlineData("-------zzzzzzzz$\r\n")] // another transaction's end-line
    [InlineData("\r\n-------zzzzzzzz$\r\n")]
    [InlineData("\r\n-------a786hjs2")] // right id, no flag
    [InlineData("\r\n-------a786hjs2\r\n")]
    [InlineData("\r\n-------a786hjs2X\r\n")] // not a flag
    [InlineData("\r\n-------a786hjs2$ \r\n")] // flag then no CRLF
    [InlineData("\r\n-------a786hjs2$\r")]
    [InlineData("\r\n-------a786hjs2$\rx")]
    [InlineData("\r\n-------a786hjs2x$\r\n")] // a longer id that starts with ours
    [InlineData("-------a786hjs2$\r\n")] // no CRLF before
    [InlineData("\r\r\n------a786hjs2$\r\n")] // six dashes
    [InlineData("\r\n\r\n\r\n")]
    public void Look_alikes_inside_the_body_are_body(string lookAlike)
    {
        string body = "before" + lookAlike + "after";
        string frame = Send.Replace("Hey Bob, are you there?\r\n", body, StringComparison.Ordinal).Replace("1-25/25", $"1-{body.Length}/{body.Length}", StringComparison.Ordinal);
        var data = B(frame);
        for (int split = 0; split <= data.Length; split++)
        {
            var f = FrameFeeder.FeedAll(data, split);
            Assert.Equal(MsrpFrameError.None, f.Error);
            var parsed = Assert.Single(f.Frames);
            Assert.Equal(body, Encoding.UTF8.GetString(parsed.Body));
            Assert.Equal(MsrpContinuation.Complete, parsed.Flag);
        }

        var oneByte = new FrameFeeder();
        foreach (byte b in data)
        {
            oneByte.Feed([b]);
        }

        Assert.Equal(body, Encoding.UTF8.GetString(Assert.Single(oneByte.Frames).Body));
    }

    [Theory]
    [InlineData('+', MsrpContinuation.More)]
    [InlineData('#', MsrpContinuation.Aborted)]
    public void Continuation_flags(char flag, MsrpContinuation expected)
    {
        var f = FrameFeeder.FeedAll(B(Send.Replace("a786hjs2$", "a786hjs2" + flag, StringComparison.Ordinal)));
        Assert.Equal(expected, Assert.Single(f.Frames).Flag);
    }

    [Fact]
    public void Empty_body_after_content_type()
    {
        var text = "MSRP abcd SEND\r\nTo-Path: msrp://a:1/x;tcp\r\nFrom-Path: msrp://b:2/y;tcp\r\nMessage-ID: m1234\r\nContent-Type: text/plain\r\n\r\n\r\n-------abcd$\r\n";
        var f = FrameFeeder.FeedAll(B(text));
        var frame = Assert.Single(f.Frames);
        Assert.True(frame.HasBody);
        Assert.Empty(frame.Body);
        Assert.Equal(MsrpContinuation.Complete, frame.Flag);
    }

    [Fact]
    public void Body_is_handed_on_before_the_end_arrives()
    {
        var head = B(Send[..(Send.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)]);
        var f = new FrameFeeder();
        f.Feed(head);
        f.Feed(B("partial body bytes"));
        Assert.Equal(1, f.BodySegments);
        Assert.Equal(0, f.Buffered); // nothing held back: no CR in sight
        f.Feed(B("\r\n-------a786"));
        Assert.Equal(13, f.Buffered); // held back: could begin the end-line
        f.Feed(B("hjs2$\r\n"));
        Assert.Equal("partial body bytes", Encoding.UTF8.GetString(f.Frames[0].Body));
    }

    [Fact]
    public void Crlf_dense_body_is_delimited_at_every_split()
    {
        // Text: a CRLF every line, dash rulers, and end-lines of another transaction; only ours ends the frame.
        var text = new StringBuilder();
        for (int line = 0; line < 40; line++)
        {
            text.Append(line % 7 == 3 ? "-------" : $"line {line} of a text message").Append("\r\n");
            if (line % 13 == 5)
            {
                text.Append("-------zzzzzzzz$\r\n");
            }
        }

        string body = text.ToString();
        string frame = Send.Replace("Hey Bob, are you there?\r\n", body, StringComparison.Ordinal).Replace("1-25/25", $"1-{body.Length}/{body.Length}", StringComparison.Ordinal);
        var data = B(frame);
        for (int split = 0; split <= data.Length; split++)
        {
            var f = FrameFeeder.FeedAll(data, split);
            Assert.Equal(MsrpFrameError.None, f.Error);
            var parsed = Assert.Single(f.Frames);
            Assert.Equal(body, Encoding.UTF8.GetString(parsed.Body));
            Assert.Equal(MsrpContinuation.Complete, parsed.Flag);
        }
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\n", MsrpFrameError.InvalidStartLine)]
    [InlineData("MSRP\r\n", MsrpFrameError.InvalidStartLine)]
    [InlineData("MSRP abcd\r\nTo-Path: x\r\n\r\n", MsrpFrameError.InvalidStartLine)]
    [InlineData("MSRP ab SEND\r\nTo-Path: x\r\n\r\n", MsrpFrameError.InvalidTransactionId)]
    [InlineData("MSRP ab$d SEND\r\nTo-Path: x\r\n\r\n", MsrpFrameError.InvalidTransactionId)]
    [InlineData("MSRP abcd send\r\nTo-Path: x\r\n\r\n", MsrpFrameError.InvalidMethod)]
    [InlineData("MSRP abcd 20 OK\r\nTo-Path: x\r\n\r\n", MsrpFrameError.InvalidStatusCode)]
    [InlineData("MSRP abcd 2000\r\nTo-Path: x\r\n\r\n", MsrpFrameError.InvalidStatusCode)]
    [InlineData("MSRP abcd SEND\r\nTo-Path: x\r\nFrom-Path: y\r\n-------abce$\r\n", MsrpFrameError.InvalidEndLine)]
    [InlineData("MSRP abcd SEND\r\nTo-Path: x\r\nFrom-Path: y\r\n-------abcd!\r\n", MsrpFrameError.InvalidEndLine)]
    public void Fatal_errors(string text, MsrpFrameError expected)
    {
        var f = FrameFeeder.FeedAll(B(text));
        Assert.Equal(expected, f.Error);
        Assert.Empty(f.Frames);
    }

    [Theory]
    [InlineData("From-Path: y\r\nTo-Path: x\r\n", MsrpFrameError.ToPathNotFirst)]
    [InlineData("To-Path: x\r\nMessage-ID: abcd\r\nFrom-Path: y\r\n", MsrpFrameError.FromPathNotSecond)]
    [InlineData("To-Path: x\r\n", MsrpFrameError.FromPathNotSecond)]
    [InlineData("To-Path: x\r\nFrom-Path: y\r\nMessage-ID: a b\r\n", MsrpFrameError.InvalidMessageId)]
    [InlineData("To-Path: x\r\nFrom-Path: y\r\nFailure-Report: maybe\r\n", MsrpFrameError.InvalidFailureReport)]
    [InlineData("To-Path: x\r\nFrom-Path: y\r\nSuccess-Report: YES\r\n", MsrpFrameError.InvalidSuccessReport)]
    [InlineData("To-Path: x\r\nFrom-Path: y\r\nStatus: 000 20 OK\r\n", MsrpFrameError.InvalidStatusHeader)]
    [InlineData("To-Path: x\r\nFrom-Path: y\r\nMessage-ID: abcd\r\nMessage-ID: abcd\r\n", MsrpFrameError.DuplicateHeader)]
    [InlineData("To-Path: x\r\nFrom-Path: y\r\nno colon here\r\n", MsrpFrameError.InvalidHeaderLine)]
    [InlineData("To-Path: x\r\nFrom-Path: y\r\nX-Bad: a\u0001b\r\n", MsrpFrameError.InvalidHeaderLine)]
    public void Semantic_errors_keep_framing(string headers, MsrpFrameError expected)
    {
        var f = FrameFeeder.FeedAll(B("MSRP abcd SEND\r\n" + headers + "-------abcd$\r\nMSRP efgh 200 OK\r\nTo-Path: a\r\nFrom-Path: b\r\n-------efgh$\r\n"));
        Assert.Equal(MsrpFrameError.None, f.Error);
        Assert.Equal(2, f.Frames.Count);
        Assert.Equal(expected, f.Frames[0].SemanticError);
        Assert.Equal(MsrpFrameError.None, f.Frames[1].SemanticError);
    }

    [Fact]
    public void Header_block_is_capped_at_8_KiB()
    {
        var sb = new StringBuilder("MSRP abcd SEND\r\nTo-Path: msrp://a:1/x;tcp\r\nFrom-Path: msrp://b:2/y;tcp\r\n");
        while (sb.Length < 9000)
        {
            sb.Append("X-Filler: 0123456789012345678901234567890123456789\r\n");
        }

        var f = new FrameFeeder();
        var data = B(sb.ToString());
        for (int i = 0; i < data.Length && f.Error == MsrpFrameError.None; i += 512)
        {
            f.Feed(data.AsSpan(i, Math.Min(512, data.Length - i)));
        }

        Assert.Equal(MsrpFrameError.HeaderBlockTooLarge, f.Error);
        Assert.True(f.Buffered <= MsrpFrameReader.MaxHeaderBlock + 512);
    }

    [Fact]
    public void Other_headers_are_kept()
    {
        var text = Send.Replace("Content-Type: text/plain\r\n", "X-Custom: v1\r\nContent-Type: text/plain\r\nContent-ID: <a@b>\r\n", StringComparison.Ordinal);
        var f = new FrameFeeder();
        f.OnHead = (_, h) =>
        {
            Assert.Equal("v1", h.GetHeader("x-custom"));
            Assert.Equal("<a@b>", h.GetHeader("Content-ID"));
            Assert.Equal(7, h.HeaderCount);
            Assert.Equal("To-Path", Encoding.ASCII.GetString(h.HeaderName(0)));
        };
        f.Feed(B(text));
        Assert.Single(f.Frames);
    }

    [Fact]
    public void Random_bytes_are_rejected_without_crash_or_growth()
    {
        var rng = new Random(4975);
        for (int i = 0; i < 2000; i++)
        {
            var data = new byte[rng.Next(1, 20000)];
            rng.NextBytes(data);
            if (i % 3 == 0)
            {
                "MSRP "u8.CopyTo(data); // get past the first check
            }

            if (i % 5 == 0 && data.Length > 40)
            {
                "MSRP abcd SEND\r\nTo-Path: "u8.CopyTo(data);
            }

            var f = new FrameFeeder();
            for (int off = 0; off < data.Length && f.Error == MsrpFrameError.None; off += 700)
            {
                f.Feed(data.AsSpan(off, Math.Min(700, data.Length - off)));
            }

            // Either rejected, or still waiting with no more than the header cap (plus one read) held back.
            Assert.True(f.Error != MsrpFrameError.None || f.Buffered <= MsrpFrameReader.MaxHeaderBlock + 700 || f.Reader.InFrame,
                $"iteration {i}: {f.Buffered} bytes held");
        }
    }
}
