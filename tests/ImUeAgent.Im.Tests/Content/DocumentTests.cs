// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Im.Content;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Im.Tests.Content;

public sealed class DocumentTests
{
    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    // RFC 5365 §4-style recipient list.
    private const string ResourceList = """
        <?xml version="1.0" encoding="UTF-8"?>
        <resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"
                        xmlns:cp="urn:ietf:params:xml:ns:copycontrol">
          <list>
            <entry uri="sip:bill@example.com" cp:copyControl="to" />
            <entry uri="sip:randy@example.net" cp:copyControl="to" cp:anonymize="true"/>
            <entry uri="sip:eddy@example.com" cp:copyControl="cc" />
            <entry uri="sip:joe@example.org" cp:copyControl="bcc"><display-name>Joe</display-name></entry>
          </list>
        </resource-lists>
        """;

    [Fact]
    public void ParsesTheRecipientListExample()
    {
        ContentResult<IReadOnlyList<RecipientEntry>> r = ResourceListDocument.Parse(Utf8(ResourceList));
        Assert.True(r.IsSuccess, r.ToString());
        Assert.Equal(
            [
                new RecipientEntry("sip:bill@example.com", CopyControl.To),
                new RecipientEntry("sip:randy@example.net", CopyControl.To, true),
                new RecipientEntry("sip:eddy@example.com", CopyControl.Cc),
                new RecipientEntry("sip:joe@example.org", CopyControl.Bcc, false, "Joe"),
            ],
            r.Value);
    }

    [Fact]
    public void RecipientListRoundTripsAndBuildsTheUriListBody()
    {
        RecipientEntry[] entries = [new("sip:a@x", CopyControl.To), new("tel:+15551234", CopyControl.Bcc, true, "B & <C>"), new("sip:c@x")];
        Assert.Equal(entries, ResourceListDocument.Parse(ResourceListDocument.Build(entries)).Value);
        string xml = Encoding.UTF8.GetString(ResourceListDocument.Build(entries));
        Assert.Contains("cp:copyControl=\"to\"", xml, StringComparison.Ordinal);

        var message = new MimePart(Cpim.MediaType, Utf8("From: <sip:me@x>\r\n\r\nContent-Type: text/plain\r\n\r\nhi"));
        byte[] body = RecipientListBody.Build(entries, message, out MediaType type);
        Assert.True(type.Is("multipart", "mixed"));
        MultipartBody mp = Multipart.Parse(body, type).Value!;
        Assert.Equal("recipient-list", mp.Parts[1].Disposition);
        Assert.True(mp.Parts[1].ContentType!.Is("application", "resource-lists+xml"));
        ContentResult<RecipientListBody> parsed = RecipientListBody.Parse(mp);
        Assert.True(parsed.IsSuccess, parsed.ToString());
        Assert.Equal(entries, parsed.Value!.Recipients);
        Assert.True(parsed.Value.MessagePart!.ContentType!.Is("message", "cpim"));
    }

    [Theory]
    [InlineData("<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"><list><entry/></list></resource-lists>", ContentError.MissingElement)]
    [InlineData("<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\" xmlns:cp=\"urn:ietf:params:xml:ns:copycontrol\"><list><entry uri=\"sip:a@x\" cp:copyControl=\"from\"/></list></resource-lists>", ContentError.InvalidElementValue)]
    [InlineData("<lists/>", ContentError.UnexpectedRootElement)]
    [InlineData("<resource-lists", ContentError.MalformedXml)]
    public void BadResourceListsAreRejected(string xml, ContentError expected) =>
        Assert.Equal(expected, ResourceListDocument.Parse(Utf8(xml)).Error);

    [Fact]
    public void SettingsRoundTripAllSevenAndParsePartial()
    {
        var all = new ImServiceSettings
        {
            IncomingSessionBarring = true,
            IncomingPagerLargeModeBarring = false,
            Invisibility = true,
            OfflineDelivery = false,
            SessionModeHistory = true,
            PagerLargeModeHistory = false,
            IncomingFileTransferBarring = true,
        };
        byte[] xml = ImSettingsDocument.Build(all, "e1");
        string text = Encoding.UTF8.GetString(xml);
        Assert.Contains("<poc-settings xmlns:im=\"urn:oma:xml:im:service-settings\" xmlns=\"urn:oma:xml:poc:poc-settings\">", text, StringComparison.Ordinal);
        Assert.Contains("<entity id=\"e1\"><isb-settings><incoming-session-barring active=\"true\" /></isb-settings>", text, StringComparison.Ordinal);
        Assert.Contains("<im:hist-activation type=\"session-mode\" active=\"true\" />", text, StringComparison.Ordinal);
        Assert.Equal(all, ImSettingsDocument.Parse(xml).Value);

        const string partial = "<poc-settings xmlns=\"urn:oma:xml:poc:poc-settings\"><entity id=\"x\"><deferred-settings><offline-delivery active=\"false\"/></deferred-settings></entity></poc-settings>";
        ImServiceSettings p = ImSettingsDocument.Parse(Utf8(partial)).Value!;
        Assert.False(p.OfflineDelivery);
        Assert.Null(p.IncomingSessionBarring);
        Assert.False(p.IsComplete);
        Assert.Throws<ArgumentException>(() => ImSettingsDocument.Build(p));
    }

    [Theory]
    [InlineData("<poc-settings><entity><isb-settings><incoming-session-barring active=\"yes\"/></isb-settings></entity></poc-settings>", ContentError.InvalidElementValue)]
    [InlineData("<poc-settings><entity><hist-settings><hist-activation type=\"other\" active=\"true\"/></hist-settings></entity></poc-settings>", ContentError.InvalidElementValue)]
    [InlineData("<poc-settings/>", ContentError.MissingElement)]
    [InlineData("<presence/>", ContentError.UnexpectedRootElement)]
    public void BadSettingsAreRejected(string xml, ContentError expected) =>
        Assert.Equal(expected, ImSettingsDocument.Parse(Utf8(xml)).Error);

    [Fact]
    public void ExternalBodyRoundTripAndRfc4483Example()
    {
        var reference = new ExternalBodyReference(new Uri("http://www.example.com/the-file.jpg"), new MediaType("image", "jpeg"), "<4FAE3B7F.4070103@example.com>",
            new DateTimeOffset(2002, 6, 24, 9, 0, 0, TimeSpan.Zero), 52310);
        byte[] body = ExternalBody.Build(reference, out MediaType type);
        Assert.Equal("message/external-body;access-type=URL;URL=\"http://www.example.com/the-file.jpg\";expiration=\"Mon, 24 Jun 2002 09:00:00 GMT\";size=52310", type.ToString());
        ExternalBodyReference back = ExternalBody.Parse(type, body).Value!;
        Assert.Equal((reference.Url, reference.ContentId, reference.Expiration, reference.Size), (back.Url, back.ContentId, back.Expiration, back.Size));
        Assert.Equal(reference.ContentType.ToString(), back.ContentType.ToString());

        Assert.True(MimeMediaType.TryParse("message/external-body; ACCESS-TYPE=URL; URL=\"http://www.example.com/the-file.jpg\"; size=52310", out MediaType? received));
        ContentResult<ExternalBodyReference> r = ExternalBody.Parse(received, Utf8("Content-Type: image/jpeg\r\nContent-ID: <4FAE3B7F.4070103@example.com>\r\nContent-Disposition: render\r\n\r\n"));
        Assert.True(r.IsSuccess, r.ToString());
        Assert.Equal(52310, r.Value!.Size);
        Assert.True(r.Value.ContentType.Is("image", "jpeg"));
    }

    [Theory]
    [InlineData("message/external-body; access-type=anon-ftp; name=x", "Content-Type: image/jpeg\r\n\r\n", ContentError.InvalidParameter)]
    [InlineData("message/external-body; access-type=URL", "Content-Type: image/jpeg\r\n\r\n", ContentError.InvalidParameter)]
    [InlineData("message/external-body; access-type=URL; URL=\"relative/path\"", "Content-Type: image/jpeg\r\n\r\n", ContentError.InvalidParameter)]
    [InlineData("message/external-body; access-type=URL; URL=\"http://e.com/x\"; size=-1", "Content-Type: image/jpeg\r\n\r\n", ContentError.InvalidParameter)]
    [InlineData("message/external-body; access-type=URL; URL=\"http://e.com/x\"", "Content-ID: <a@b>\r\n\r\n", ContentError.MissingHeader)]
    [InlineData("text/plain", "", ContentError.UnsupportedContentType)]
    public void BadExternalBodiesAreRejected(string type, string body, ContentError expected)
    {
        Assert.True(MimeMediaType.TryParse(type, out MediaType? t));
        Assert.Equal(expected, ExternalBody.Parse(t, Utf8(body)).Error);
    }

    // RFC 4575 §6-style full state, trimmed.
    private const string ConferenceFull = """
        <?xml version="1.0" encoding="UTF-8"?>
        <conference-info xmlns="urn:ietf:params:xml:ns:conference-info" entity="sips:conf233@example.com" state="full" version="1">
          <conference-description>
            <subject>Agenda: This month's goals</subject>
          </conference-description>
          <conference-state>
            <user-count>2</user-count>
          </conference-state>
          <users>
            <user entity="sip:bob@example.com" state="full">
              <display-text>Bob Hoskins</display-text>
              <roles><entry>participant</entry></roles>
              <endpoint entity="sip:bob@pc33.example.com">
                <display-text>Bob's Laptop</display-text>
                <status>connected</status>
                <joining-method>dialed-out</joining-method>
                <joining-info><when>2005-03-04T20:00:00Z</when></joining-info>
                <media id="1"><type>audio</type><status>sendrecv</status></media>
              </endpoint>
            </user>
            <user entity="sip:alice@example.com" state="full">
              <display-text>Alice</display-text>
              <endpoint entity="sip:alice@pc1.example.com"><status>pending</status></endpoint>
            </user>
          </users>
        </conference-info>
        """;

    [Fact]
    public void ConferenceFullStateThenPartialUpdates()
    {
        ContentResult<ConferenceInfoDocument> full = ConferenceInfo.Parse(Utf8(ConferenceFull));
        Assert.True(full.IsSuccess, full.ToString());
        ConferenceInfoDocument doc = full.Value!;
        Assert.Equal("Agenda: This month's goals", doc.Subject);
        Assert.Equal(2, doc.UserCount);
        ConferenceEndpoint laptop = doc.Users[0].Endpoints[0];
        Assert.Equal("connected", laptop.Status);
        Assert.Equal(new DateTimeOffset(2005, 3, 4, 20, 0, 0, TimeSpan.Zero), laptop.JoinedAt);
        Assert.Equal(["participant"], doc.Users[0].Roles);

        var roster = new ConferenceRoster();
        Assert.Equal(ConferenceApplyOutcome.NeedsFullState, roster.Apply(doc with { State = ConferenceElementState.Partial }));
        Assert.Equal(ConferenceApplyOutcome.Applied, roster.Apply(doc));
        Assert.Equal([true, false], roster.Users.Select(u => u.IsParticipating));

        const string partial = """
            <conference-info xmlns="urn:ietf:params:xml:ns:conference-info" entity="sips:conf233@example.com" state="partial" version="2">
              <users>
                <user entity="sip:alice@example.com" state="partial">
                  <endpoint entity="sip:alice@pc1.example.com" state="partial"><status>connected</status></endpoint>
                </user>
                <user entity="sip:bob@example.com" state="deleted"/>
                <user entity="sip:carol@example.com" state="full"><endpoint entity="sip:carol@m"><status>alerting</status></endpoint></user>
              </users>
            </conference-info>
            """;
        ConferenceInfoDocument p = ConferenceInfo.Parse(Utf8(partial)).Value!;
        Assert.Equal(ConferenceApplyOutcome.Applied, roster.Apply(p));
        Assert.Equal(["sip:alice@example.com", "sip:carol@example.com"], roster.Users.Select(u => u.Entity));
        Assert.True(roster.Users[0].IsParticipating);
        Assert.Equal("Alice", roster.Users[0].DisplayText);
        Assert.Equal("Agenda: This month's goals", roster.Subject);
        Assert.Equal(ConferenceApplyOutcome.Stale, roster.Apply(p));
        Assert.Equal(ConferenceApplyOutcome.NeedsFullState, roster.Apply(p with { Version = 5 }));
        Assert.Equal(ConferenceApplyOutcome.WrongConference, roster.Apply(p with { Entity = "sip:other@x", Version = 3 }));
    }

    [Theory]
    [InlineData("<conference-info xmlns=\"urn:ietf:params:xml:ns:conference-info\" version=\"1\"/>", ContentError.MissingElement)]
    [InlineData("<conference-info xmlns=\"urn:ietf:params:xml:ns:conference-info\" entity=\"sip:c@x\" version=\"-1\"/>", ContentError.MissingElement)]
    [InlineData("<conference-info xmlns=\"urn:ietf:params:xml:ns:conference-info\" entity=\"sip:c@x\" version=\"1\" state=\"half\"/>", ContentError.InvalidElementValue)]
    [InlineData("<conference-info xmlns=\"urn:ietf:params:xml:ns:conference-info\" entity=\"sip:c@x\" version=\"1\"><users><user/></users></conference-info>", ContentError.MissingElement)]
    [InlineData("<conference-info xmlns=\"urn:ietf:params:xml:ns:conference-info\" entity=\"sip:c@x\" version=\"1\"><conference-state><user-count>many</user-count></conference-state></conference-info>", ContentError.InvalidElementValue)]
    [InlineData("<conference-info entity=\"sip:c@x\" version=\"1\"/>", ContentError.UnexpectedRootElement)]
    public void BadConferenceInfoIsRejected(string xml, ContentError expected) =>
        Assert.Equal(expected, ConferenceInfo.Parse(Utf8(xml)).Error);
}
