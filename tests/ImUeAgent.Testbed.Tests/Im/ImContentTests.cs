// SPDX-License-Identifier: MIT
using System.CommandLine;
using System.Text;
using ImUeAgent.Msrp.Sdp;
using ImUeAgent.Sip.Message;
using ImUeAgent.Testbed.Im;

namespace ImUeAgent.Testbed.Tests.Im;

/// <summary>The IM server's pure parts: the Accept-Contact rule, multipart, resource lists, settings, XCAP request
/// heads, options.</summary>
public sealed class ImContentTests
{
    private static SipRequest Request(params string[] acceptContact)
    {
        var builder = SipMessageBuilder.Request(SipMethod.Message, SipUri.Parse("sip:bob@example.net"))
            .Via(new ViaValue("UDP", "127.0.0.1", 5060, "z9hG4bK-1", rport: false)).MaxForwards()
            .Add(SipHeaderId.From, "<sip:alice@example.net>;tag=1").Add(SipHeaderId.To, "<sip:bob@example.net>").CallId("c").CSeq(1, SipMethod.Message);
        foreach (var value in acceptContact)
        {
            builder.Add(SipHeaderId.AcceptContact, value);
        }

        return builder.BuildRequest();
    }

    [Theory]
    [InlineData(new string[0], true)]
    [InlineData(new[] { "*;+g.3gpp.app_ref=\"urn%3Ax\";explicit;require" }, true)]
    [InlineData(new[] { "*;+g.oma.sip-im" }, false)]
    [InlineData(new[] { "*;+g.oma.sip-im;" }, false)]
    [InlineData(new[] { "*;+G.OMA.SIP-IM;explicit" }, false)]
    [InlineData(new[] { "*;+g.3gpp.app_ref=\"urn%3Ax\"", "*;+g.oma.sip-im" }, false)]
    [InlineData(new[] { "*;+g.oma.sip-imx" }, true)]
    public void The_IM_tag_is_added_only_when_no_received_value_has_it(string[] received, bool added)
    {
        var request = Request(received);
        var outgoing = SipMessageBuilder.Request(SipMethod.Message, SipUri.Parse("sip:bob@example.net"));
        Assert.Equal(added, ImAcceptContact.CopyWithRule(request, outgoing));
        var built = outgoing.BuildRequest();
        string[] expected = added ? [.. received, "*;+g.oma.sip-im"] : received;
        Assert.Equal(expected, built.Headers.GetAll(SipHeaderId.AcceptContact).Select(h => h.Value));
    }

    [Fact]
    public void Multipart_round_trips_and_rejects_bodies_without_their_delimiters()
    {
        var body = MimeMultipart.Build(
        [
            ([new("Content-Type", "text/plain")], "one\r\nline two"u8.ToArray()),
            ([new("Content-Type", "message/sip"), new("Content-ID", "<x@y>")], "MESSAGE sip:a@b SIP/2.0\r\n\r\n"u8.ToArray()),
        ], out var boundary);
        Assert.Equal(ImContentError.None, MimeMultipart.TryParse(body, boundary, out var parts));
        Assert.Equal(2, parts.Count);
        Assert.Equal("one\r\nline two", Encoding.UTF8.GetString(parts[0].Body.Span));
        Assert.Equal("<x@y>", parts[1].Header("content-id"));
        Assert.Equal("message/sip", parts[1].MediaType);

        Assert.Equal(ImContentError.NoBoundary, MimeMultipart.TryParse(body, null, out _));
        Assert.Equal(ImContentError.NoOpeningBoundary, MimeMultipart.TryParse(body, "other", out _));
        Assert.Equal(ImContentError.NoClosingBoundary, MimeMultipart.TryParse(body.AsMemory(0, body.Length - 10), boundary, out _));
        Assert.Equal(ImContentError.PartHeaderMalformed, MimeMultipart.TryParse("--b\r\nno colon here\r\n\r\nx\r\n--b--"u8.ToArray(), "b", out _));
    }

    [Fact]
    public void Every_truncation_of_a_multipart_body_is_refused_or_read_without_throwing()
    {
        var body = Encoding.ASCII.GetBytes("preamble\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\nContent-Type: text/html\r\n\r\n<p/>\r\n--b--\r\n");
        for (var length = 0; length < body.Length; length++)
        {
            var error = MimeMultipart.TryParse(body.AsMemory(0, length), "b", out var parts);
            Assert.True(error != ImContentError.None || parts.Count == 2, $"length {length}");
        }
    }

    [Theory]
    [InlineData("<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"><list><entry uri=\"sip:a@x\"/><list><entry uri=\"sip:b@x\"/><entry uri=\"sip:a@x\"/></list></list></resource-lists>", "None", 2)]
    [InlineData("<resource-lists xmlns=\"urn:other\"><list/></resource-lists>", "UnexpectedRoot", 0)]
    [InlineData("<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"><list><entry/></list></resource-lists>", "EntryWithoutUri", 0)]
    [InlineData("<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"><list><entry uri=\"sip:a@x\"/>", "XmlMalformed", 1)]
    [InlineData("<!DOCTYPE r [<!ENTITY e \"x\">]><resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"/>", "XmlMalformed", 0)]
    [InlineData("<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"><list><entry uri=\"sip:a@x\"/><entry uri=\"sip:b@x\"/><entry uri=\"sip:c@x\"/></list></resource-lists>", "TooManyRecipients", 2)]
    public void Resource_lists_are_read_flat_and_bounded(string xml, string expected, int count)
    {
        Assert.Equal(Enum.Parse<ImContentError>(expected), ResourceListBody.TryRead(Encoding.UTF8.GetBytes(xml), maxRecipients: 2, out var uris));
        Assert.Equal(count, uris.Count);
    }

    [Theory]
    [InlineData("<poc-settings xmlns=\"urn:oma:xml:poc:poc-settings\"><entity id=\"1\"><deferred-settings><offline-delivery active=\"false\"/></deferred-settings></entity></poc-settings>", false, null)]
    [InlineData("<poc-settings xmlns=\"urn:oma:xml:poc:poc-settings\" xmlns:im=\"urn:oma:xml:im:service-settings\"><entity id=\"1\"><im:ipmb-settings><im:incoming-pager-large-mode-barring active=\"true\"/></im:ipmb-settings></entity></poc-settings>", null, true)]
    public void Settings_documents_give_offline_delivery_and_barring(string xml, bool? offline, bool? barring)
    {
        Assert.Equal(ImContentError.None, ImUserSettings.TryRead(Encoding.UTF8.GetBytes(xml), out var settings));
        Assert.Equal(new ImUserSettings(offline, barring), settings);
        Assert.Equal(ImContentError.XmlMalformed, ImUserSettings.TryRead("<poc-settings><x active=\"maybe\"/></poc-settings>"u8.ToArray(), out _));
        Assert.Equal(ImContentError.UnexpectedRoot, ImUserSettings.TryRead("<other/>"u8.ToArray(), out _));
    }

    [Fact]
    public void XCAP_request_heads_are_incomplete_until_the_blank_line_and_bounded()
    {
        var head = "GET /services/x HTTP/1.1\r\nHost: a\r\n\r\n"u8.ToArray();
        for (var length = 0; length < head.Length; length++)
        {
            Assert.Equal(XcapRequestError.Incomplete, XcapRequestHead.TryParse(head.AsSpan(0, length), out _, out _));
        }

        Assert.Equal(XcapRequestError.None, XcapRequestHead.TryParse(head, out var parsed, out var consumed));
        Assert.Equal(new XcapRequestHead("GET", "/services/x"), parsed);
        Assert.Equal(head.Length, consumed);
        Assert.Equal(XcapRequestError.BadRequestLine, XcapRequestHead.TryParse("GET\r\n\r\n"u8, out _, out _));
        Assert.Equal(XcapRequestError.NotHttp11, XcapRequestHead.TryParse("GET / SIP/2.0\r\n\r\n"u8, out _, out _));
        Assert.Equal(XcapRequestError.HeadTooLarge, XcapRequestHead.TryParse(new byte[XcapRequestHead.MaxHeadBytes], out _, out _));
    }

    [Fact]
    public void Options_read_groups_push_bodies_and_refuse_nonsense()
    {
        var options = new ImServerOptions();
        var command = new Command("t");
        options.AddTo(command);
        Assert.True(options.TryRead(command.Parse(["--im-group", "sip:g@x=sip:a@x, sip:b@x", "--im-push-body", "multipart", "--im-push-setup", "passive",
            "--im-push-duplicate", "--im-offline-delivery", "hold", "--im-xcap", "off"]), out var settings, out var error), error);
        Assert.Equal(["sip:a@x", "sip:b@x"], settings!.Groups["sip:g@x"]);
        Assert.Equal(DeferredPushBody.Multipart, settings.PushBody);
        Assert.Equal(MsrpSetup.Passive, settings.PushSetup);
        Assert.True(settings.DuplicatePush);
        Assert.False(settings.MalformedPart);
        Assert.False(settings.OfflineDeliveryDefault);
        Assert.Null(settings.XcapListen);

        Assert.True(options.TryRead(command.Parse(["--no-im-server"]), out var none, out _));
        Assert.Null(none);
        Assert.False(options.TryRead(command.Parse(["--im-push-body", "fax"]), out _, out error));
        Assert.Contains("--im-push-body", error, StringComparison.Ordinal);
        Assert.False(options.TryRead(command.Parse(["--im-group", "sip:g@x"]), out _, out error));
        Assert.Contains("--im-group", error, StringComparison.Ordinal);
    }
}
