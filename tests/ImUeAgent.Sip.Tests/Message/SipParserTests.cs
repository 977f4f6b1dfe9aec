// SPDX-License-Identifier: MIT
using System.Buffers;
using System.Text;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Sip.Tests.Message;

public sealed class SipParserTests
{
    public static TheoryData<int> MessageIndexes => [0, 1, 2, 3, 4];

    private static byte[] Sample(int index) => SampleMessages.Bytes(SampleMessages.All.ElementAt(index));

    [Theory]
    [MemberData(nameof(MessageIndexes))]
    public void EveryPrefixIsIncompleteUntilTheLastByte(int index)
    {
        byte[] bytes = Sample(index);
        for (int n = 0; n < bytes.Length; n++)
        {
            SipParseResult partial = SipParser.Parse(new ReadOnlySequence<byte>(bytes, 0, n), SipFraming.Stream);
            Assert.True(partial.Status == SipParseStatus.Incomplete, $"prefix {n}: {partial}");
            Assert.Equal(0, partial.Consumed);
        }

        SipParseResult full = TestData.ParseStream(bytes);
        Assert.True(full.IsComplete, full.ToString());
        Assert.Equal(bytes.Length, full.Consumed);
        Assert.Equal(bytes, full.Message!.ToArray());
    }

    [Theory]
    [MemberData(nameof(MessageIndexes))]
    public void EverySplitPointParsesTheSame(int index)
    {
        byte[] bytes = Sample(index);
        SipMessage reference = TestData.ParseStream(bytes).Message!;
        for (int split = 1; split < bytes.Length; split++)
        {
            SipParseResult result = SipParser.Parse(TestData.TwoSegments(bytes, split), SipFraming.Stream);
            Assert.True(result.IsComplete, $"split {split}: {result}");
            Assert.Equal(bytes.Length, result.Consumed);
            SipMessage m = result.Message!;
            Assert.Equal(bytes, m.ToArray());
            Assert.Equal(reference.Headers.Count, m.Headers.Count);
            Assert.Equal(reference.Headers.CallId, m.Headers.CallId);
            Assert.Equal(reference.Body.ToArray(), m.Body.ToArray());
        }
    }

    [Fact]
    public void MessagesFollowEachOtherOnAStream()
    {
        byte[] all = [.. SampleMessages.All.SelectMany(m => SampleMessages.Bytes(m))];
        var seen = new List<string>();
        ReadOnlyMemory<byte> rest = all;
        while (!rest.IsEmpty)
        {
            SipParseResult r = SipParser.Parse(rest, SipFraming.Stream);
            Assert.True(r.IsComplete, r.ToString());
            seen.Add(r.Message!.ToString());
            rest = rest[(int)r.Consumed..];
        }

        Assert.Equal(5, seen.Count);
        Assert.Equal("SIP/2.0 401 Unauthorized", seen[1]);
    }

    [Theory]
    [InlineData("\r\n\r\n", 4)]
    [InlineData("\r\n", 2)]
    public void LeadingCrlfIsAKeepAlive(string text, int consumed)
    {
        byte[] bytes = [.. Encoding.ASCII.GetBytes(text), .. Sample(0)];
        SipParseResult r = TestData.ParseStream(bytes);
        Assert.Equal(SipParseStatus.KeepAlive, r.Status);
        Assert.Equal(consumed, r.Consumed);
        Assert.Equal(SipParseStatus.Incomplete, TestData.ParseStream("\r"u8.ToArray()).Status);

        SipParseResult datagram = TestData.ParseDatagram(bytes);
        Assert.True(datagram.IsComplete);
        Assert.Equal(SipParseStatus.KeepAlive, TestData.ParseDatagram("\r\n\r\n"u8.ToArray()).Status);
    }

    [Fact]
    public void StreamRequiresContentLength()
    {
        byte[] bytes = TestData.Wire("OPTIONS sip:a@b SIP/2.0\nVia: SIP/2.0/TCP h;branch=z9hG4bKx\nCall-ID: a\nCSeq: 1 OPTIONS\n\n");
        SipParseResult r = TestData.ParseStream(bytes);
        Assert.Equal(SipParseError.MissingContentLength, r.Error);
        Assert.Equal("Bad Request - Missing Content-Length", SipRejection.GetResponse(r.Error).ReasonPhrase);
        Assert.True(TestData.ParseDatagram(bytes).IsComplete);
    }

    [Fact]
    public void HugeContentLengthIsRejectedBeforeTheBodyArrives()
    {
        byte[] bytes = TestData.Wire("MESSAGE sip:a@b SIP/2.0\nContent-Length: 99999999999999999999\n\n");
        SipParseResult r = TestData.ParseStream(bytes);
        Assert.Equal(SipParseError.MessageTooLarge, r.Error);
        Assert.Equal(SipHeaderId.ContentLength, r.Header);
        Assert.Equal((513, "Message Too Large"), SipRejection.GetResponse(r.Error));

        SipParseResult small = SipParser.Parse(TestData.Wire("MESSAGE sip:a@b SIP/2.0\nl: 2000\n\n"), SipFraming.Stream, new SipParserOptions { MaxMessageSize = 1024 });
        Assert.Equal(SipParseError.MessageTooLarge, small.Error);
    }

    [Fact]
    public void HeaderSectionWithoutEndIsCappedAtTheMessageLimit()
    {
        var options = new SipParserOptions { MaxMessageSize = 4096 };
        var sb = new StringBuilder("OPTIONS sip:a@b SIP/2.0\r\n");
        while (sb.Length < 4200)
        {
            sb.Append("X-Filler: 0123456789012345678901234567890123456789\r\n");
        }

        byte[] bytes = Encoding.ASCII.GetBytes(sb.ToString());
        Assert.Equal(SipParseStatus.Incomplete, SipParser.Parse(new ReadOnlySequence<byte>(bytes, 0, 4000), SipFraming.Stream, options).Status);
        Assert.Equal(SipParseError.MessageTooLarge, SipParser.Parse(new ReadOnlySequence<byte>(bytes), SipFraming.Stream, options).Error);
    }

    [Fact]
    public void EndlessFoldingIsCapped()
    {
        var sb = new StringBuilder("OPTIONS sip:a@b SIP/2.0\r\nSubject: a\r\n");
        while (sb.Length < 70_000)
        {
            sb.Append(" more folded text more folded text\r\n");
        }

        SipParseResult r = TestData.ParseStream(Encoding.ASCII.GetBytes(sb.ToString()));
        Assert.Equal(SipParseError.MessageTooLarge, r.Error);
    }

    [Fact]
    public void LongLineIsRejectedEarly()
    {
        var options = new SipParserOptions { MaxLineLength = 256 };
        byte[] start = Encoding.ASCII.GetBytes("OPTIONS sip:a@b SIP/2.0\r\nSubject: " + new string('x', 400));
        SipParseResult r = SipParser.Parse(new ReadOnlySequence<byte>(start), SipFraming.Stream, options);
        Assert.Equal(SipParseError.LineTooLong, r.Error);

        byte[] firstLine = Encoding.ASCII.GetBytes("OPTIONS sip:" + new string('a', 400));
        Assert.Equal(SipParseError.LineTooLong, SipParser.Parse(new ReadOnlySequence<byte>(firstLine), SipFraming.Stream, options).Error);
    }

    [Fact]
    public void UnterminatedQuoteIsRejected()
    {
        byte[] bytes = TestData.Wire("OPTIONS sip:a@b SIP/2.0\nFrom: \"never closed <sip:a@b>;tag=1\nl: 0\n\n");
        Assert.Equal(SipParseError.InvalidFrom, TestData.ParseStream(bytes).Error);
    }

    [Fact]
    public void TooManyHeadersAreRejected()
    {
        var sb = new StringBuilder("OPTIONS sip:a@b SIP/2.0\r\n");
        for (int i = 0; i < 20; i++)
        {
            sb.Append("X-H: 1\r\n");
        }

        sb.Append("l: 0\r\n\r\n");
        SipParseResult r = SipParser.Parse(Encoding.ASCII.GetBytes(sb.ToString()), SipFraming.Stream, new SipParserOptions { MaxHeaderCount = 16 });
        Assert.Equal(SipParseError.TooManyHeaders, r.Error);
    }

    [Theory]
    [InlineData("OPTIONS sip:a@b SIP/2.0\nVia SIP/2.0/UDP h\nl: 0\n\n", SipParseError.InvalidHeaderLine)]
    [InlineData("OPTIONS sip:a@b SIP/2.0\n continued\nl: 0\n\n", SipParseError.UnexpectedContinuation)]
    [InlineData("OPTIONS sip:a@b SIP/2.0\nBad Name: x\nl: 0\n\n", SipParseError.InvalidHeaderLine)]
    [InlineData("OPTIONS sip:a@b SIP/2.0\nMax-Forwards: 256\nl: 0\n\n", SipParseError.InvalidMaxForwards)]
    [InlineData("OPTIONS sip:a@b SIP/2.0\nCall-ID: a b\nl: 0\n\n", SipParseError.InvalidCallId)]
    [InlineData("OPTIONS sip:a@b SIP/2.0\nContent-Type: text\nl: 0\n\n", SipParseError.InvalidContentType)]
    [InlineData("OPTIONS sip:a@b SIP/2.0\nl: 1\nl: 2\n\nxx", SipParseError.MultipleContentLength)]
    [InlineData("OPTIONS sip:a@[::1 SIP/2.0\nl: 0\n\n", SipParseError.InvalidRequestUri)]
    [InlineData("OPTIONS sip:a@b SIP/2.0x\nl: 0\n\n", SipParseError.InvalidRequestLine)]
    [InlineData("SIP/2.0 20 OK\nl: 0\n\n", SipParseError.InvalidStatusCode)]
    [InlineData("SIP/2.0 099 Low\nl: 0\n\n", SipParseError.InvalidStatusCode)]
    [InlineData("SIP/3.0 200 OK\nl: 0\n\n", SipParseError.UnsupportedVersion)]
    [InlineData("SIP/2.0\nl: 0\n\n", SipParseError.InvalidStatusLine)]
    public void MalformedMessagesNameTheirProblem(string text, SipParseError expected)
    {
        Assert.Equal(expected, TestData.ParseStream(TestData.Wire(text)).Error);
    }

    [Fact]
    public void BareLineFeedInsideHeadersIsRejected()
    {
        byte[] bytes = Encoding.ASCII.GetBytes("OPTIONS sip:a@b SIP/2.0\r\nSubject: a\nb\r\nl: 0\r\n\r\n");
        Assert.Equal(SipParseError.InvalidLineEnding, TestData.ParseStream(bytes).Error);
    }

    [Fact]
    public void GarbageIsRejectedWithoutWaitingForMore()
    {
        byte[] bytes = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01]; // a TLS ClientHello on a TCP port
        SipParseResult r = TestData.ParseStream(bytes);
        Assert.Equal(SipParseError.InvalidRequestLine, r.Error);
        Assert.Equal(0, r.Offset);
    }

    [Fact]
    public void ErrorAfterFramingKeepsTheStreamUsable()
    {
        byte[] bad = TestData.Wire("OPTIONS sip:a@b SIP/2.0\nVia: SIP/2.0/TCP h;branch=z9hG4bKx\nCSeq: 1 INVITE\nCall-ID: q\nl: 0\n\n");
        byte[] both = [.. bad, .. Sample(0)];
        SipParseResult r = TestData.ParseStream(both);
        Assert.Equal(SipParseError.CSeqMethodMismatch, r.Error);
        Assert.Equal(bad.Length, r.Consumed);
        Assert.IsType<SipRequest>(r.Message);
        Assert.True(TestData.ParseStream(both[(int)r.Consumed..]).IsComplete);
    }

    [Fact]
    public void OffsetPointsAtTheFaultyHeader()
    {
        byte[] bytes = TestData.Wire("OPTIONS sip:a@b SIP/2.0\nTo: sip:a@b\nFrom: <sip:a@b\nl: 0\n\n");
        SipParseResult r = TestData.ParseStream(bytes);
        Assert.Equal(SipParseError.InvalidFrom, r.Error);
        Assert.Equal(Encoding.ASCII.GetString(bytes).IndexOf("From:", StringComparison.Ordinal), r.Offset);
        Assert.Contains("InvalidFrom", r.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void DatagramBodyWithoutContentLengthRunsToTheEnd()
    {
        byte[] bytes = TestData.Wire("MESSAGE sip:a@b SIP/2.0\nCall-ID: x\n\nhello");
        SipParseResult r = TestData.ParseDatagram(bytes);
        Assert.Equal("hello"u8.ToArray(), r.Message!.Body.ToArray());
        Assert.Equal(5, r.Message.Headers.ContentLength);
    }

    [Fact]
    public void RandomBytesNeverThrowAndAllocateLittle()
    {
        var random = new Random(4475);
        byte[] buffer = new byte[2048];
        byte[][] seeds = [.. SampleMessages.All.Select(SampleMessages.Bytes)];

        // Warm up the code paths so JIT allocations do not count.
        for (int i = 0; i < 200; i++)
        {
            random.NextBytes(buffer);
            _ = SipParser.Parse(new ReadOnlySequence<byte>(buffer), SipFraming.Stream);
            _ = SipParser.Parse(new ReadOnlySequence<byte>(buffer), SipFraming.Datagram);
        }

        for (int i = 0; i < 20_000; i++)
        {
            int length = random.Next(1, buffer.Length);
            if (i % 2 == 0)
            {
                random.NextBytes(buffer.AsSpan(0, length));
            }
            else
            {
                // Mutate a valid message: flip a few bytes, so the parser gets deep before failing.
                byte[] seed = seeds[random.Next(seeds.Length)];
                length = Math.Min(seed.Length, buffer.Length);
                seed.AsSpan(0, length).CopyTo(buffer);
                for (int k = random.Next(1, 6); k > 0; k--)
                {
                    buffer[random.Next(length)] = (byte)random.Next(256);
                }
            }

            var input = new ReadOnlySequence<byte>(buffer, 0, length);
            long before = GC.GetAllocatedBytesForCurrentThread();
            SipParseResult stream = SipParser.Parse(input, SipFraming.Stream);
            SipParseResult datagram = SipParser.Parse(input, SipFraming.Datagram);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            // At most the two message copies (bytes plus header index) and their objects.
            Assert.True(allocated <= (2 * (length + 2048)) + 1024, $"iteration {i}: {allocated} bytes for {length}");
            if (stream.Status == SipParseStatus.Error)
            {
                Assert.NotEqual(SipParseError.None, stream.Error);
            }

            if (datagram.IsComplete)
            {
                // Whatever parsed must read back without throwing.
                _ = datagram.Message!.Headers.Via;
                _ = datagram.Message.Headers.Contact;
                _ = datagram.Message.Headers.AcceptContact;
                _ = datagram.Message.Headers.WwwAuthenticate;
                _ = datagram.Message.Headers.Route;
            }
        }
    }

    [Fact]
    public void IncompleteParsesDoNotAllocate()
    {
        byte[] bytes = Sample(4);
        ReadOnlySequence<byte>[] partials =
        [
            new(bytes, 0, 200),                     // inside the headers
            new(bytes, 0, bytes.Length - 30),       // headers complete, body missing
            TestData.TwoSegments(bytes[..^30], 100), // same, across two segments
        ];
        foreach (ReadOnlySequence<byte> p in partials)
        {
            _ = SipParser.Parse(p, SipFraming.Stream);
        }

        for (int i = 0; i < partials.Length; i++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            SipParseStatus status = SipParser.Parse(partials[i], SipFraming.Stream).Status;
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(SipParseStatus.Incomplete, status);
            Assert.True(allocated == 0, $"partial {i}: {allocated} bytes");
        }
    }

    [Fact]
    public void ParsingAllocatesOnlyTheMessage()
    {
        byte[] bytes = Sample(0);
        var input = new ReadOnlySequence<byte>(bytes);
        _ = SipParser.Parse(input, SipFraming.Stream);
        long before = GC.GetAllocatedBytesForCurrentThread();
        SipParseResult r = SipParser.Parse(input, SipFraming.Stream);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(r.IsComplete);
        Assert.True(allocated < bytes.Length + (r.Message!.Headers.Count * 16) + 200, $"{allocated} bytes for a {bytes.Length}-byte message");
    }
}
