// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Im.Content;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Im.Tests.Content;

public sealed class CpimTests
{
    internal static byte[] Crlf(string text) => Encoding.UTF8.GetBytes(text.ReplaceLineEndings("\r\n"));

    // RFC 5438 §9.1 style request: IMDN headers in CPIM.
    private const string ImdnRequest = """
        From: Alice <im:alice@example.com>
        To: Bob <im:bob@example.com>
        NS: imdn <urn:ietf:params:imdn>
        imdn.Message-ID: 34jk324j
        DateTime: 2006-04-04T12:16:49-05:00
        imdn.Disposition-Notification: positive-delivery, display
        
        Content-type: text/plain
        Content-length: 12
        
        Hello World
        """;

    [Fact]
    public void ParsesTheImdnRequestExample()
    {
        ContentResult<CpimMessage> r = Cpim.Parse(Crlf(ImdnRequest));
        Assert.True(r.IsSuccess, r.ToString());
        CpimMessage m = r.Value!;
        Assert.Equal(new CpimAddress("im:alice@example.com", "Alice"), m.From);
        Assert.Equal([new CpimAddress("im:bob@example.com", "Bob")], m.To);
        Assert.Equal(new DateTimeOffset(2006, 4, 4, 12, 16, 49, TimeSpan.FromHours(-5)), m.DateTime);
        Assert.Equal("34jk324j", m.ImdnMessageId);
        Assert.Equal(DispositionNotification.PositiveDelivery | DispositionNotification.Display, m.DispositionNotification);
        Assert.Equal("urn:ietf:params:imdn", m.Namespaces["imdn"]);
        Assert.True(m.ContentType!.Is("text", "plain"));
        Assert.Equal("12", m.ContentHeaders.GetValue("Content-Length"));
        Assert.Equal("Hello World", Encoding.UTF8.GetString(m.Body.Span));
    }

    [Fact]
    public void ParsesRfc3862StyleHeadersWithParametersAndNamespaces()
    {
        const string text = """
            From: MR SANDERS <im:piglet@100akerwood.com>
            To: Depressed Donkey <im:eeyore@100akerwood.com>
            DateTime: 2000-12-13T13:40:00-08:00
            Subject: the weather will be fine today
            Subject:;lang=fr beau temps prevu pour aujourd'hui
            NS: MyFeatures <mid:MessageFeatures@id.foo.com>
            Require: MyFeatures.VitalMessageOption
            MyFeatures.VitalMessageOption: Confirmation-requested
            MyFeatures.WackyMessageOption: Use-silly-font
            
            Content-type: text/xml; charset=utf-8
            Content-ID: <1234567890@foo.com>
            
            <body>
            Here is the text of my message.
            </body>
            """;
        ContentResult<CpimMessage> r = Cpim.Parse(Crlf(text));
        Assert.True(r.IsSuccess, r.ToString());
        CpimMessage m = r.Value!;
        Assert.Equal("MR SANDERS", m.From!.FormalName);
        Assert.Equal("the weather will be fine today", m.Subject);
        CpimHeader fr = m.Headers.Single(h => h.Name == "Subject" && h.Language == "fr");
        Assert.Equal("beau temps prevu pour aujourd'hui", fr.Value);
        Assert.Equal(["MyFeatures.VitalMessageOption"], m.Require);
        Assert.Equal("Confirmation-requested", m.GetHeader("mid:MessageFeatures@id.foo.com", "VitalMessageOption")!.Value);
        Assert.Null(m.GetHeader("urn:other", "VitalMessageOption"));
        Assert.Equal("utf-8", m.ContentType!.Charset);
        Assert.Equal("<1234567890@foo.com>", m.ContentHeaders.GetValue("Content-ID"));
        Assert.Equal("<body>\r\nHere is the text of my message.\r\n</body>", Encoding.UTF8.GetString(m.Body.Span));
    }

    [Fact]
    public void BuildsAndParsesBackWithImdnRequest()
    {
        string id = Imdn.NewMessageId();
        byte[] body = new CpimMessageBuilder()
            .From(new CpimAddress("sip:alice@example.com", "Alice Ä. \"A\""))
            .To(new CpimAddress("sip:bob@example.com"))
            .DateTime(new DateTimeOffset(2024, 5, 6, 7, 8, 9, 123, TimeSpan.Zero))
            .Subject("hi", "en")
            .RequestImdn(id, DispositionNotification.PositiveDelivery | DispositionNotification.NegativeDelivery | DispositionNotification.Display)
            .ContentType(new MediaType("text", "plain", new SipParameter("charset", "UTF-8")))
            .Body(new byte[] { 0, 1, 2, 0xFF, 13, 10, 13, 10 })
            .Build();

        string head = Encoding.UTF8.GetString(body.AsSpan(0, body.Length - 8));
        Assert.Contains("NS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: " + id + "\r\n", head, StringComparison.Ordinal);
        Assert.Contains("imdn.Disposition-Notification: positive-delivery, negative-delivery, display\r\n", head, StringComparison.Ordinal);
        Assert.Contains("DateTime: 2024-05-06T07:08:09.123Z\r\n", head, StringComparison.Ordinal);
        Assert.Contains("Subject:;lang=en hi\r\n", head, StringComparison.Ordinal);

        ContentResult<CpimMessage> r = Cpim.Parse(body);
        Assert.True(r.IsSuccess, r.ToString());
        Assert.Equal("Alice Ä. \"A\"", r.Value!.From!.FormalName);
        Assert.Equal(id, r.Value.ImdnMessageId);
        Assert.Equal("en", r.Value.Headers.Single(h => h.Name == "Subject").Language);
        Assert.Equal(new byte[] { 0, 1, 2, 0xFF, 13, 10, 13, 10 }, r.Value.Body.ToArray());
    }

    [Fact]
    public void ImdnPrefixBoundToAnotherNameIsFound()
    {
        const string text = "From: <sip:a@x>\r\nNS: foo <urn:ietf:params:imdn>\r\nfoo.Message-ID: abc\r\n\r\nContent-Type: text/plain\r\n\r\nx";
        Assert.Equal("abc", Cpim.Parse(Encoding.ASCII.GetBytes(text)).Value!.ImdnMessageId);
    }

    public static TheoryData<string, ContentError> Malformed => new()
    {
        { "", ContentError.Empty },
        { "From: <sip:a@x>\r\n", ContentError.HeadersNotTerminated },
        { "From <sip:a@x>\r\n\r\n", ContentError.InvalidHeaderLine },
        { "From:<sip:a@x>\r\n\r\n", ContentError.InvalidHeaderLine },
        { "From: sip:a@x\r\n\r\n", ContentError.InvalidAddress },
        { "From: <sip:a@x>\r\nFrom: <sip:b@x>\r\n\r\n", ContentError.DuplicateHeader },
        { "From: <sip:a@x>\r\nDateTime: yesterday\r\n\r\n", ContentError.InvalidDateTime },
        { "From: <sip:a@x>\r\nDateTime: 2006-04-04T12:16:49\r\n\r\n", ContentError.InvalidDateTime },
        { "From: <sip:a@x>\r\nimdn.Message-ID: 1\r\n\r\n", ContentError.UndeclaredPrefix },
        { "From: <sip:a@x>\r\nNS: imdn urn:ietf:params:imdn\r\n\r\n", ContentError.InvalidNamespace },
        { "To: <sip:a@x>\r\n\r\n", ContentError.MissingHeader },
        { "From: <sip:a@x>\nTo: <sip:b@x>\n\n", ContentError.InvalidHeaderLine },
        { "From: <sip:a@x>\r\nBad Name: 1\r\n\r\n", ContentError.InvalidHeaderLine },
        { "From: <sip:a@x>\r\n\r\nContent-Type: text\r\n\r\n", ContentError.InvalidContentType },
        { "From: <sip:a@x>\r\n\r\nContent-Type: text/plain\r\n", ContentError.HeadersNotTerminated },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void MalformedInputsAreRejectedWithReason(string text, ContentError expected)
    {
        ContentResult<CpimMessage> r = Cpim.Parse(Encoding.UTF8.GetBytes(text));
        Assert.False(r.IsSuccess);
        Assert.Equal(expected, r.Error);
    }

    [Fact]
    public void LenientModeAcceptsFieldHabits()
    {
        const string text = "From:<sip:a@x>\nimdn.Message-ID: 1a\n\nContent-Type: text/plain\n\nhi";
        ContentResult<CpimMessage> r = Cpim.Parse(Encoding.ASCII.GetBytes(text), CpimParseOptions.Lenient);
        Assert.True(r.IsSuccess, r.ToString());
        Assert.Equal("1a", r.Value!.ImdnMessageId);
        Assert.Equal("hi", Encoding.ASCII.GetString(r.Value.Body.Span));
    }

    [Fact]
    public void EveryTruncationFailsCleanlyOrParses()
    {
        byte[] full = Crlf(ImdnRequest);
        for (int n = 0; n < full.Length; n++)
        {
            ContentResult<CpimMessage> r = Cpim.Parse(full.AsMemory(0, n));
            if (r.IsSuccess)
            {
                // Only cuts inside the content can parse, and then the body is a prefix.
                Assert.StartsWith(Encoding.UTF8.GetString(r.Value!.Body.Span), "Hello World", StringComparison.Ordinal);
            }
            else
            {
                Assert.NotEqual(ContentError.None, r.Error);
            }
        }
    }

    [Fact]
    public void SizeCapIsEnforcedBeforeParsing()
    {
        byte[] big = new byte[2 * 1024 * 1024];
        Assert.Equal(ContentError.TooLarge, Cpim.Parse(big).Error);
    }

    [Fact]
    public void BuilderRefusesHeaderInjectionAndMissingNamespace()
    {
        Assert.Throws<ArgumentException>(() => new CpimMessageBuilder().Subject("a\r\nTo: <sip:evil@x>"));
        Assert.Throws<InvalidOperationException>(() => new CpimMessageBuilder().Header("imdn", "Message-ID", "x"));
        Assert.Throws<InvalidOperationException>(() => new CpimMessageBuilder().To(new CpimAddress("sip:b@x")).Build());
        Assert.Throws<ArgumentException>(() => new CpimAddress("sip:a@x>\r\n"));
    }

    [Theory]
    [InlineData("2000-12-13T13:40:00-08:00", 2000, 12, 13, 21, 40, 0, 0)]
    [InlineData("2008-04-04t12:16:49.123456789z", 2008, 4, 4, 12, 16, 49, 123)]
    [InlineData("1985-04-12T23:20:50.52Z", 1985, 4, 12, 23, 20, 50, 520)]
    public void Rfc3339Dates(string text, int y, int mo, int d, int h, int mi, int s, int ms)
    {
        Assert.True(Rfc3339.TryParse(text, out DateTimeOffset v));
        DateTime utc = v.UtcDateTime;
        Assert.Equal(new DateTime(y, mo, d, h, mi, s, ms, DateTimeKind.Utc), utc.AddTicks(-(utc.Ticks % TimeSpan.TicksPerMillisecond)));
    }

    [Theory]
    [InlineData("2000-12-13 13:40:00Z")]
    [InlineData("2000-12-13T13:40:00")]
    [InlineData("2000-12-13T13:40:00.Z")]
    [InlineData("13 Dec 2000")]
    public void Rfc3339RejectsOtherForms(string text) => Assert.False(Rfc3339.TryParse(text, out _));
}
