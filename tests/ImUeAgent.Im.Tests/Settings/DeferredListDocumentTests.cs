// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Im.Settings;

namespace ImUeAgent.Im.Tests.Settings;

public sealed class DeferredListDocumentTests
{
    /// <summary>Two entries in the layout the testbed's XCAP server writes (XmlWriter, indented, UTF-8 without BOM).</summary>
    internal const string TestbedDocument = """
        <?xml version="1.0" encoding="utf-8"?>
        <history-list xmlns="urn:oma:xml:im:history-list">
          <history mode="pager">
            <history-reference>sip:5f0c2a9e41d7b38c6a1e9d02@im.ims.test</history-reference>
            <size>42</size>
            <expiry>2026-03-08T12:00:00Z</expiry>
            <subject>Lunch?</subject>
            <date>2026-03-01T11:59:30Z</date>
            <pager>
              <time-stamp>2026-03-01T11:59:30Z</time-stamp>
              <from>sip:bob@ims.test</from>
              <to>sip:alice@ims.test</to>
              <auth-id>sip:bob@ims.test</auth-id>
            </pager>
            <content-type>text/plain;charset=UTF-8</content-type>
          </history>
          <history mode="large-message">
            <history-reference>sip:77aa01bc55de9f0312345678@im.ims.test</history-reference>
            <size>250000</size>
            <expiry>2026-03-08T12:01:00Z</expiry>
            <date>2026-03-01T12:01:00Z</date>
            <pager>
              <time-stamp>2026-03-01T12:01:00Z</time-stamp>
              <from>sip:anonymous@anonymous.invalid</from>
              <to>sip:alice@ims.test</to>
            </pager>
            <content-type>image/jpeg</content-type>
          </history>
        </history-list>
        """;

    private static DeferredList Parse(string xml)
    {
        DeferredListError error = DeferredListDocument.TryParse(Encoding.UTF8.GetBytes(xml), out DeferredList? list, out int line, out int column);
        Assert.True(error == DeferredListError.None, $"{error} at {line}:{column}");
        return list!;
    }

    private static (DeferredListError Error, int Line) Fail(string xml, int maxMessages = DeferredListDocument.DefaultMaxMessages, int maxBytes = DeferredListDocument.DefaultMaxBytes)
    {
        DeferredListError error = DeferredListDocument.TryParse(Encoding.UTF8.GetBytes(xml), out DeferredList? list, out int line, out _, maxBytes, maxMessages);
        Assert.Null(list);
        return (error, line);
    }

    [Fact]
    public void TheTestbedLayoutIsReadCompletely()
    {
        DeferredList list = Parse(TestbedDocument);
        Assert.Equal(0, list.SkippedEntries);
        Assert.Equal(2, list.Messages.Count);

        DeferredMessageInfo pager = list.Messages[0];
        Assert.Equal("sip:5f0c2a9e41d7b38c6a1e9d02@im.ims.test", pager.HistoryReference);
        Assert.Equal(DeferredMessageMode.Pager, pager.Mode);
        Assert.Equal(42, pager.Size);
        Assert.Equal(new DateTimeOffset(2026, 3, 8, 12, 0, 0, TimeSpan.Zero), pager.Expiry);
        Assert.Equal("Lunch?", pager.Subject);
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 11, 59, 30, TimeSpan.Zero), pager.Date);
        Assert.Equal(pager.Date, pager.TimeStamp);
        Assert.Equal("sip:bob@ims.test", pager.From);
        Assert.Equal("sip:alice@ims.test", pager.To);
        Assert.Equal("sip:bob@ims.test", pager.AuthenticatedIdentity);
        Assert.Equal("text/plain;charset=UTF-8", pager.ContentType);

        DeferredMessageInfo large = list.Messages[1];
        Assert.Equal(DeferredMessageMode.LargeMessage, large.Mode);
        Assert.Equal(250000, large.Size);
        Assert.Null(large.Subject);
        Assert.Null(large.AuthenticatedIdentity);
        Assert.Equal("image/jpeg", large.ContentType);
    }

    [Fact]
    public void AnEmptyListHasNoMessages()
    {
        Assert.Empty(Parse("<history-list xmlns=\"urn:oma:xml:im:history-list\"/>").Messages);
        Assert.Empty(Parse("<?xml version=\"1.0\"?><history-list xmlns=\"urn:oma:xml:im:history-list\">\n</history-list>").Messages);
    }

    [Fact]
    public void UnknownElementsAndOtherNamespacesAreIgnoredAndMissingFieldsAreNull()
    {
        DeferredList list = Parse("""
            <h:history-list xmlns:h="urn:oma:xml:im:history-list" xmlns:x="urn:example:ext">
              <x:note>ignored</x:note>
              <h:history>
                <x:size>999</x:size>
                <h:future-element><h:nested>deep</h:nested></h:future-element>
                <h:history-reference> sip:ref@im </h:history-reference>
                <h:size>not-a-number</h:size>
                <h:date>yesterday</h:date>
                <h:subject><![CDATA[a < b]]></h:subject>
              </h:history>
              <h:history mode="session"><h:size>1</h:size></h:history>
              <h:history/>
            </h:history-list>
            """);
        Assert.Equal(2, list.SkippedEntries);
        DeferredMessageInfo m = Assert.Single(list.Messages);
        Assert.Equal("sip:ref@im", m.HistoryReference);
        Assert.Equal(DeferredMessageMode.Unknown, m.Mode);
        Assert.Null(m.Size);
        Assert.Null(m.Date);
        Assert.Null(m.Expiry);
        Assert.Equal("a < b", m.Subject);
        Assert.Null(m.From);
        Assert.Null(m.ContentType);
    }

    [Theory]
    [InlineData("<history-list xmlns=\"urn:oma:xml:im:history-list\"><history>", DeferredListError.MalformedXml)]
    [InlineData("<history-list xmlns=\"urn:oma:xml:im:history-list\"><history></historx></history-list>", DeferredListError.MalformedXml)]
    [InlineData("not xml at all", DeferredListError.MalformedXml)]
    [InlineData("<history-list><history/></history-list>", DeferredListError.UnexpectedRootElement)]
    [InlineData("<deferred-list xmlns=\"urn:oma:xml:im:history-list\"/>", DeferredListError.UnexpectedRootElement)]
    [InlineData("<history-list xmlns=\"urn:ietf:params:xml:ns:resource-lists\"/>", DeferredListError.UnexpectedRootElement)]
    [InlineData("", DeferredListError.EmptyBody)]
    public void BadDocumentsFailWithTheirReason(string xml, DeferredListError expected)
    {
        Assert.Equal(expected, Fail(xml).Error);
    }

    [Fact]
    public void MalformedXmlReportsWhere()
    {
        (DeferredListError error, int line) = Fail("<history-list xmlns=\"urn:oma:xml:im:history-list\">\n<history>\n<size>1</sise>\n</history></history-list>");
        Assert.Equal(DeferredListError.MalformedXml, error);
        Assert.Equal(3, line);
    }

    [Fact]
    public void DtdsAreRefused()
    {
        const string bomb = """
            <?xml version="1.0"?>
            <!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
            <history-list xmlns="urn:oma:xml:im:history-list"><history><history-reference>&lol2;</history-reference></history></history-list>
            """;
        Assert.Equal(DeferredListError.MalformedXml, Fail(bomb).Error);
    }

    [Fact]
    public void EntryAndSizeCapsHold()
    {
        var sb = new StringBuilder("<history-list xmlns=\"urn:oma:xml:im:history-list\">");
        for (int i = 0; i < 4; i++)
        {
            sb.Append("<history><history-reference>sip:").Append(i).Append("@im</history-reference></history>");
        }

        sb.Append("</history-list>");
        string xml = sb.ToString();
        Assert.Equal(4, Parse(xml).Messages.Count);
        Assert.Equal(DeferredListError.TooManyMessages, Fail(xml, maxMessages: 3).Error);
        Assert.Equal(DeferredListError.BodyTooLarge, Fail(xml, maxBytes: xml.Length - 1).Error);
    }

    [Fact]
    public void EveryTruncationFailsCleanly()
    {
        byte[] whole = Encoding.UTF8.GetBytes(TestbedDocument);
        for (int n = 0; n < whole.Length - 1; n++)
        {
            DeferredListError error = DeferredListDocument.TryParse(whole.AsMemory(0, n), out DeferredList? list, out _, out _);
            Assert.True(error is DeferredListError.MalformedXml or DeferredListError.EmptyBody, $"prefix {n}: {error}");
            Assert.Null(list);
        }
    }
}
