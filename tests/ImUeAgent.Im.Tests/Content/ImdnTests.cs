// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Im.Content;

namespace ImUeAgent.Im.Tests.Content;

public sealed class ImdnTests
{
    // RFC 5438 §9.1.1-style delivery notification.
    private const string Delivered = """
        <?xml version="1.0" encoding="UTF-8"?>
        <imdn xmlns="urn:ietf:params:xml:ns:imdn">
          <message-id>34jk324j</message-id>
          <datetime>2008-04-04T12:16:49-05:00</datetime>
          <recipient-uri>im:bob@example.com</recipient-uri>
          <original-recipient-uri>im:bob@example.com</original-recipient-uri>
          <delivery-notification>
            <status>
              <delivered/>
            </status>
          </delivery-notification>
        </imdn>
        """;

    [Fact]
    public void ParsesTheDeliveryNotificationExample()
    {
        ContentResult<ImdnNotification> r = ImdnDocument.Parse(Encoding.UTF8.GetBytes(Delivered));
        Assert.True(r.IsSuccess, r.ToString());
        ImdnNotification n = r.Value!;
        Assert.Equal("34jk324j", n.MessageId);
        Assert.Equal(ImdnNotificationKind.Delivery, n.Kind);
        Assert.Equal(ImdnStatus.Delivered, n.Status);
        Assert.Equal("im:bob@example.com", n.RecipientUri);
        Assert.Equal("im:bob@example.com", n.OriginalRecipientUri);
        Assert.Equal(new DateTimeOffset(2008, 4, 4, 12, 16, 49, TimeSpan.FromHours(-5)), n.DateTime);
    }

    public static TheoryData<ImdnNotificationKind, ImdnStatus> Allowed => new()
    {
        { ImdnNotificationKind.Delivery, ImdnStatus.Delivered },
        { ImdnNotificationKind.Delivery, ImdnStatus.Failed },
        { ImdnNotificationKind.Delivery, ImdnStatus.Forbidden },
        { ImdnNotificationKind.Delivery, ImdnStatus.Error },
        { ImdnNotificationKind.Display, ImdnStatus.Displayed },
        { ImdnNotificationKind.Display, ImdnStatus.Forbidden },
        { ImdnNotificationKind.Display, ImdnStatus.Error },
        { ImdnNotificationKind.Processing, ImdnStatus.Processed },
        { ImdnNotificationKind.Processing, ImdnStatus.Stored },
    };

    [Theory]
    [MemberData(nameof(Allowed))]
    public void RoundTrip(ImdnNotificationKind kind, ImdnStatus status)
    {
        var n = new ImdnNotification("Ab3_x", new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)), kind, status, "sip:bob@example.com", null, "Sub <&>");
        byte[] xml = ImdnDocument.Build(n);
        ContentResult<ImdnNotification> r = ImdnDocument.Parse(xml);
        Assert.True(r.IsSuccess, r.ToString());
        Assert.Equal(n, r.Value);
    }

    [Fact]
    public void StatusNotAllowedForTheKindIsRefused()
    {
        Assert.Throws<ArgumentException>(() => new ImdnNotification("a", DateTimeOffset.UnixEpoch, ImdnNotificationKind.Display, ImdnStatus.Delivered));
        string bad = Delivered.Replace("<delivered/>", "<displayed/>", StringComparison.Ordinal);
        Assert.Equal(ContentError.InvalidElementValue, ImdnDocument.Parse(Encoding.UTF8.GetBytes(bad)).Error);
    }

    public static TheoryData<string, ContentError> Malformed => new()
    {
        { "", ContentError.Empty },
        { "<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\">", ContentError.MalformedXml },
        { "<imdn xmlns=\"urn:other\"/>", ContentError.UnexpectedRootElement },
        { "<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\"/>", ContentError.MissingElement },
        { "<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\"><message-id>a</message-id><datetime>2008-04-04T12:16:49Z</datetime></imdn>", ContentError.MissingElement },
        { "<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\"><message-id>a</message-id><datetime>now</datetime><display-notification><status><displayed/></status></display-notification></imdn>", ContentError.InvalidDateTime },
        { "<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\"><message-id>a</message-id><datetime>2008-04-04T12:16:49Z</datetime><display-notification><status/></display-notification></imdn>", ContentError.MissingElement },
        { "<!DOCTYPE imdn [<!ENTITY x \"y\">]><imdn xmlns=\"urn:ietf:params:xml:ns:imdn\"/>", ContentError.MalformedXml },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void MalformedDocumentsAreRejectedWithReason(string xml, ContentError expected)
    {
        ContentResult<ImdnNotification> r = ImdnDocument.Parse(Encoding.UTF8.GetBytes(xml));
        Assert.Equal(expected, r.Error);
    }

    [Fact]
    public void UnknownExtensionElementsAreIgnored()
    {
        string ext = Delivered.Replace("<delivery-notification>", "<x:ext xmlns:x=\"urn:x\"><x:y/></x:ext><delivery-notification>", StringComparison.Ordinal);
        Assert.True(ImdnDocument.Parse(Encoding.UTF8.GetBytes(ext)).IsSuccess);
    }

    [Fact]
    public void MessageIdsAreUniqueSafeAndLongEnough()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < 1000; i++)
        {
            string id = Imdn.NewMessageId();
            Assert.True(Imdn.IsValidMessageId(id));
            Assert.True(id.All(char.IsAsciiLetterOrDigit));
            Assert.True(id.Length * Math.Log2(62) >= 32);
            Assert.True(seen.Add(id));
        }
    }

    [Theory]
    [InlineData("positive-delivery, display", DispositionNotification.PositiveDelivery | DispositionNotification.Display)]
    [InlineData("Negative-Delivery,processing", DispositionNotification.NegativeDelivery | DispositionNotification.Processing)]
    [InlineData("display, future-extension", DispositionNotification.Display)]
    public void DispositionParsing(string text, DispositionNotification expected)
    {
        Assert.True(Imdn.TryParseDisposition(text, out DispositionNotification d));
        Assert.Equal(expected, d);
    }

    [Fact]
    public void NotificationCpimCarriesDispositionNotificationAndNoFurtherRequest()
    {
        var n = new ImdnNotification("orig1", DateTimeOffset.UnixEpoch, ImdnNotificationKind.Display, ImdnStatus.Displayed);
        byte[] cpim = ImdnDocument.BuildCpim(n, new CpimAddress("sip:bob@x"), new CpimAddress("sip:alice@x"), "new1", DateTimeOffset.UnixEpoch);
        CpimMessage m = Cpim.Parse(cpim).Value!;
        Assert.Equal("new1", m.ImdnMessageId);
        Assert.Equal(DispositionNotification.None, m.DispositionNotification);
        Assert.Equal("notification", m.ContentHeaders.GetValue("Content-Disposition"));
        Assert.True(m.ContentType!.Is("message", "imdn+xml"));
        Assert.Equal("orig1", ImdnDocument.Parse(m.Body).Value!.MessageId);
    }
}
