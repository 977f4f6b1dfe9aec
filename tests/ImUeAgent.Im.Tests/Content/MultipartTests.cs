// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Im.Content;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Im.Tests.Content;

public sealed class MultipartTests
{
    private static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);

    [Fact]
    public void ParsesPreamblePartsAndEpilogue()
    {
        const string body = "preamble\r\n--b1\r\nContent-Type: text/plain\r\n\r\nHello\r\n--b1\r\n\r\nno headers\r\n--b1--  \r\nepilogue";
        ContentResult<MultipartBody> r = Multipart.Parse(Ascii(body), "b1");
        Assert.True(r.IsSuccess, r.ToString());
        MultipartBody m = r.Value!;
        Assert.Equal("preamble", Encoding.ASCII.GetString(m.Preamble.Span));
        Assert.Equal(2, m.Parts.Count);
        Assert.True(m.Parts[0].ContentType!.Is("text", "plain"));
        Assert.Equal("Hello", Encoding.ASCII.GetString(m.Parts[0].Body.Span));
        Assert.Empty(m.Parts[1].Headers);
        Assert.Equal("no headers", Encoding.ASCII.GetString(m.Parts[1].Body.Span));
        Assert.Equal("epilogue", Encoding.ASCII.GetString(m.Epilogue.Span));
        Assert.True(m.IsClosed);
    }

    [Fact]
    public void BoundaryPrefixInsideABodyIsNotADelimiter()
    {
        const string body = "--b1\r\nContent-Type: text/plain\r\n\r\nline\r\n--b1x not a delimiter\r\n--b1--\r\n";
        ContentResult<MultipartBody> r = Multipart.Parse(Ascii(body), "b1");
        Assert.True(r.IsSuccess, r.ToString());
        Assert.Equal("line\r\n--b1x not a delimiter", Encoding.ASCII.GetString(r.Value!.Parts[0].Body.Span));
    }

    [Fact]
    public void BinaryPartsRoundTrip()
    {
        byte[] binary = [.. Enumerable.Range(0, 256).Select(i => (byte)i), 13, 10, 45, 45];
        var parts = new[]
        {
            new MimePart(new MediaType("application", "octet-stream"), binary, new MimeHeader("Content-ID", "<a@b>")),
            new MimePart(new MediaType("text", "plain", MimeMediaType.Parameter("charset", "utf-8")), Encoding.UTF8.GetBytes("h\u00e9")),
        };
        string boundary = Multipart.NewBoundary();
        byte[] body = Multipart.Build(boundary, parts);
        ContentResult<MultipartBody> r = Multipart.Parse(body, Multipart.MixedType(boundary));
        Assert.True(r.IsSuccess, r.ToString());
        Assert.Equal(binary, r.Value!.Parts[0].Body.ToArray());
        Assert.Equal("<a@b>", r.Value.Parts[0].Headers.GetValue("content-id"));
        Assert.Equal("h\u00e9", Encoding.UTF8.GetString(r.Value.Parts[1].Body.Span));
    }

    [Fact]
    public void NestedMultipartIsParsed()
    {
        string inner = "--in\r\nContent-Type: text/plain\r\n\r\nA\r\n--in\r\nContent-Type: text/html\r\n\r\n<b>B</b>\r\n--in--";
        string outer = "--out\r\nContent-Type: multipart/alternative; boundary=in\r\n\r\n" + inner + "\r\n--out\r\nContent-Type: text/plain\r\n\r\nC\r\n--out--\r\n";
        ContentResult<MultipartBody> r = Multipart.Parse(Ascii(outer), "out");
        Assert.True(r.IsSuccess, r.ToString());
        MultipartBody? nested = r.Value!.Parts[0].Nested;
        Assert.NotNull(nested);
        Assert.Equal("<b>B</b>", Encoding.ASCII.GetString(nested.Parts[1].Body.Span));
        Assert.Equal("C", Encoding.ASCII.GetString(r.Value.Parts[1].Body.Span));
    }

    public static TheoryData<string, string, ContentError> Malformed => new()
    {
        { "no delimiter at all", "b", ContentError.BoundaryNotFound },
        { "--b\r\nContent-Type: text/plain\r\n\r\nx", "b", ContentError.MissingCloseDelimiter },
        { "--b\r\nNo colon here\r\n\r\nx\r\n--b--", "b", ContentError.InvalidHeaderLine },
        { "--b\r\nContent-Type: text/plain\r\nx\r\n--b--", "b", ContentError.InvalidHeaderLine },
        { "--b\r\nx", "", ContentError.InvalidBoundary },
        { "--b\r\nx", new string('a', 71), ContentError.InvalidBoundary },
        { "--b\r\nContent-Type: multipart/mixed\r\n\r\nx\r\n--b--", "b", ContentError.InvalidBoundary },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void MalformedBodiesAreRejectedWithReason(string body, string boundary, ContentError expected)
    {
        Assert.Equal(expected, Multipart.Parse(Ascii(body), boundary).Error);
    }

    [Fact]
    public void PartAndDepthCapsHold()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < 70; i++)
        {
            sb.Append("--b\r\n\r\nx\r\n");
        }

        sb.Append("--b--");
        Assert.Equal(ContentError.TooManyParts, Multipart.Parse(Ascii(sb.ToString()), "b").Error);

        string deep = "x";
        for (int d = 0; d < 6; d++)
        {
            deep = $"--b{d}\r\nContent-Type: multipart/mixed; boundary=b{d - 1}\r\n\r\n{deep}\r\n--b{d}--";
        }

        Assert.Equal(ContentError.NestingTooDeep, Multipart.Parse(Ascii(deep), "b5").Error);
    }

    [Fact]
    public void EveryTruncationFailsCleanlyOrParses()
    {
        byte[] body = Multipart.Build("bnd", [new MimePart(new MediaType("text", "plain"), Ascii("hello world"))]);
        for (int n = 0; n <= body.Length; n++)
        {
            ContentResult<MultipartBody> strict = Multipart.Parse(body.AsMemory(0, n), "bnd");
            ContentResult<MultipartBody> lenient = Multipart.Parse(body.AsMemory(0, n), "bnd", MultipartOptions.Lenient);
            Assert.True(strict.IsSuccess || strict.Error != ContentError.None);
            Assert.True(lenient.IsSuccess || lenient.Error != ContentError.None);
            if (strict.IsSuccess)
            {
                Assert.Equal("hello world", Encoding.ASCII.GetString(strict.Value!.Parts[0].Body.Span));
            }
        }
    }

    [Fact]
    public void BuildRefusesABodyContainingTheDelimiter()
    {
        Assert.Throws<ArgumentException>(() => Multipart.Build("b", [new MimePart(new MediaType("text", "plain"), Ascii("x\r\n--b\r\n"))]));
    }

    [Theory]
    [InlineData("text/plain", "text", "plain", 0)]
    [InlineData("multipart/mixed; boundary=\"boundary42\"", "multipart", "mixed", 1)]
    [InlineData("Text/Plain ; charset = utf-8 ;", "Text", "Plain", 1)]
    [InlineData("message/external-body; access-type=URL; URL=\"http://e.com/a b\"; size=12", "message", "external-body", 3)]
    public void MediaTypes(string text, string type, string subtype, int parameters)
    {
        Assert.True(MimeMediaType.TryParse(text, out MediaType? m));
        Assert.Equal(type, m.Type);
        Assert.Equal(subtype, m.Subtype);
        Assert.Equal(parameters, m.Parameters.Count);
    }

    [Theory]
    [InlineData("text")]
    [InlineData("text/")]
    [InlineData("text/plain; charset")]
    [InlineData("text/plain; charset=\"utf-8")]
    [InlineData("te xt/plain")]
    public void BadMediaTypes(string text) => Assert.False(MimeMediaType.TryParse(text, out _));
}
