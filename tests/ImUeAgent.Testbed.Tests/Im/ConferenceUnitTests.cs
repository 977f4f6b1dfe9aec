// SPDX-License-Identifier: MIT
using System.CommandLine;
using System.Text;
using System.Xml.Linq;
using ImUeAgent.Sip.Message;
using ImUeAgent.Testbed.Im;

namespace ImUeAgent.Testbed.Tests.Im;

/// <summary>The pure parts of the conference focus: conference-info documents (RFC 4575), the CPIM wrapper
/// (RFC 3862), reading the factory INVITE (RFC 5366), and the command-line options.</summary>
public sealed class ConferenceUnitTests
{
    private static readonly XNamespace Info = ConferenceClient.Info;
    private static readonly DateTimeOffset Noon = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static ConferenceUserInfo User(string entity, ConferenceEndpointStatus status, int media) => new()
    {
        Entity = entity,
        Status = status,
        JoiningMethod = ConferenceJoiningMethod.DialedOut,
        JoinedAt = Noon,
        JoinedBy = "sip:alice@x",
        MediaId = media,
    };

    [Fact]
    public void A_full_document_has_the_state_the_users_and_media_of_connected_endpoints_in_schema_order()
    {
        var xml = ConferenceInfo.Build(new ConferenceInfoDocument
        {
            Entity = "sip:im-conf-1@127.0.0.1:5060",
            Full = true,
            Version = 7,
            Subject = "a <b> & c",
            UserCount = 1,
            Active = true,
            Users =
            [
                User("sip:bob@x", ConferenceEndpointStatus.Connected, 2) with { EndpointEntity = "sip:ue@127.0.0.1:4000", DisplayText = "Bob" },
                User("sip:carol@x", ConferenceEndpointStatus.DialingOut, 3),
            ],
        });
        var root = XDocument.Parse(Encoding.UTF8.GetString(xml)).Root!;
        Assert.Equal(Info + "conference-info", root.Name);
        Assert.Equal("full", (string?)root.Attribute("state"));
        Assert.Equal("7", (string?)root.Attribute("version"));
        Assert.Equal("a <b> & c", root.Element(Info + "conference-description")!.Element(Info + "subject")!.Value);
        Assert.Equal(["conference-description", "conference-state", "users"], root.Elements().Select(e => e.Name.LocalName));
        Assert.Null(root.Element(Info + "users")!.Attribute("state"));

        var bob = root.Descendants(Info + "user").First();
        Assert.Equal(["display-text", "endpoint"], bob.Elements().Select(e => e.Name.LocalName));
        var endpoint = bob.Element(Info + "endpoint")!;
        Assert.Equal("sip:ue@127.0.0.1:4000", (string?)endpoint.Attribute("entity"));
        Assert.Equal(["status", "joining-method", "joining-info", "media"], endpoint.Elements().Select(e => e.Name.LocalName));
        Assert.Equal("2026-01-01T12:00:00Z", endpoint.Element(Info + "joining-info")!.Element(Info + "when")!.Value);
        Assert.Equal("sip:alice@x", endpoint.Element(Info + "joining-info")!.Element(Info + "by")!.Value);
        Assert.Equal("message", endpoint.Element(Info + "media")!.Element(Info + "type")!.Value);

        // Before an answer names a Contact, the user's URI stands for the endpoint; no media yet.
        var carol = root.Descendants(Info + "user").Last().Element(Info + "endpoint")!;
        Assert.Equal("sip:carol@x", (string?)carol.Attribute("entity"));
        Assert.Equal("dialing-out", carol.Element(Info + "status")!.Value);
        Assert.Null(carol.Element(Info + "media"));
    }

    [Fact]
    public void A_partial_document_carries_only_the_changed_users_whole_and_the_disconnection()
    {
        var xml = ConferenceInfo.Build(new ConferenceInfoDocument
        {
            Entity = "sip:im-conf-1@127.0.0.1:5060",
            Full = false,
            Version = 2,
            Subject = "ignored in partial",
            UserCount = 2,
            Active = true,
            Users =
            [
                User("sip:carol@x", ConferenceEndpointStatus.Disconnected, 3) with
                {
                    DisconnectionMethod = ConferenceDisconnectionMethod.Busy, DisconnectedAt = Noon, DisconnectionReason = "486 Busy Here",
                },
            ],
        });
        var root = XDocument.Parse(Encoding.UTF8.GetString(xml)).Root!;
        Assert.Equal("partial", (string?)root.Attribute("state"));
        Assert.Null(root.Element(Info + "conference-description"));
        Assert.Equal("partial", (string?)root.Element(Info + "users")!.Attribute("state"));
        var user = Assert.Single(root.Descendants(Info + "user"));
        Assert.Equal("full", (string?)user.Attribute("state"));
        var endpoint = user.Element(Info + "endpoint")!;
        Assert.Equal("busy", endpoint.Element(Info + "disconnection-method")!.Value);
        Assert.Equal("486 Busy Here", endpoint.Element(Info + "disconnection-info")!.Element(Info + "reason")!.Value);
        Assert.Equal("2", root.Element(Info + "conference-state")!.Element(Info + "user-count")!.Value);
    }

    [Fact]
    public void Cpim_wrapping_names_the_sender_and_cannot_be_broken_by_its_display_name()
    {
        var wrapped = Encoding.UTF8.GetString(CpimWrapper.Wrap("sip:bob@x", "Bob \"B\"\r\nTo: <sip:evil@x>", "sip:conf@x", Noon, "text/plain;charset=UTF-8", "hi\r\nthere"u8));
        Assert.Equal("From: \"Bob \\\"B\\\"  To: <sip:evil@x>\" <sip:bob@x>\r\nTo: <sip:conf@x>\r\nDateTime: 2026-01-01T12:00:00Z\r\n\r\n"
            + "Content-Type: text/plain;charset=UTF-8\r\n\r\nhi\r\nthere", wrapped);
        Assert.StartsWith("From: <sip:a@x>\r\n", Encoding.UTF8.GetString(CpimWrapper.Wrap("sip:a@x", null, "sip:c@x", Noon, "text/plain", "x"u8)), StringComparison.Ordinal);

        Assert.True(CpimWrapper.Accepts(["message/cpim"], "message/CPIM"));
        Assert.True(CpimWrapper.Accepts(["text/*"], "text/plain; charset=utf-8"));
        Assert.True(CpimWrapper.Accepts(["*"], "image/png"));
        Assert.False(CpimWrapper.Accepts(["text/plain"], "message/cpim"));
        Assert.False(CpimWrapper.Accepts([], "text/plain"));
    }

    private static SipRequest Invite(string body, string contentType = "multipart/mixed;boundary=b")
    {
        var slash = contentType.IndexOf('/', StringComparison.Ordinal);
        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        var type = semicolon < 0
            ? new MediaType(contentType[..slash], contentType[(slash + 1)..])
            : new MediaType(contentType[..slash], contentType[(slash + 1)..semicolon], new SipParameter("boundary", contentType[(semicolon + 10)..]));
        return SipMessageBuilder.Request(SipMethod.Invite, SipUri.Parse("sip:conference-factory@x"))
            .Via(new ViaValue("UDP", "127.0.0.1", 5060, "z9hG4bK1", rport: true))
            .Add(SipHeaderId.From, "<sip:alice@x>;tag=1").Add(SipHeaderId.To, "<sip:conference-factory@x>").CallId("c").CSeq(1, SipMethod.Invite)
            .Body(type, Encoding.UTF8.GetBytes(body)).BuildRequest();
    }

    private static string Body(string list, string sdp = "v=0\r\n") =>
        $"--b\r\nContent-Type: application/sdp\r\n\r\n{sdp}\r\n--b\r\nContent-Type: application/resource-lists+xml\r\nContent-Disposition: recipient-list\r\n\r\n{list}\r\n--b--\r\n";

    [Fact]
    public void The_factory_INVITE_reader_returns_the_offer_and_the_list_or_a_reason()
    {
        Assert.Equal(ConferenceSetupError.None, ImServer.TryReadFactoryInvite(Invite(Body(ConferenceClient.ResourceList("sip:bob@x", "sip:carol@x", "sip:bob@x"))), 8,
            out var sdp, out var recipients, out _));
        Assert.Equal("v=0\r\n", sdp);
        Assert.Equal(["sip:bob@x", "sip:carol@x"], recipients);

        Assert.Equal(ConferenceSetupError.NotMultipart, ImServer.TryReadFactoryInvite(Invite("v=0", "application/sdp"), 8, out _, out _, out _));
        Assert.Equal(ConferenceSetupError.MultipartMalformed, ImServer.TryReadFactoryInvite(Invite("--b\r\nno end"), 8, out _, out _, out var detail));
        Assert.Equal(ImContentError.NoClosingBoundary, detail);
        Assert.Equal(ConferenceSetupError.TooManyRecipients,
            ImServer.TryReadFactoryInvite(Invite(Body(ConferenceClient.ResourceList("sip:a@x", "sip:b@x", "sip:c@x"))), 2, out _, out _, out _));
        Assert.Equal(ConferenceSetupError.RecipientNotSipUri,
            ImServer.TryReadFactoryInvite(Invite(Body(ConferenceClient.ResourceList("mailto:bob@x"))), 8, out _, out _, out _));
        Assert.Equal(ConferenceSetupError.NoInvitee,
            ImServer.TryReadFactoryInvite(Invite(Body(ConferenceClient.ResourceList())), 8, out _, out _, out _));
        Assert.Equal(ConferenceSetupError.NoSessionDescription, ImServer.TryReadFactoryInvite(
            Invite(Body(ConferenceClient.ResourceList("sip:bob@x")).Replace("application/sdp", "text/plain", StringComparison.Ordinal)), 8, out _, out _, out _));
        Assert.Equal(ConferenceSetupError.ResourceListMalformed,
            ImServer.TryReadFactoryInvite(Invite(Body("<lists/>")), 8, out _, out _, out detail));
        Assert.Equal(ImContentError.UnexpectedRoot, detail);
    }

    [Fact]
    public void Options_set_the_release_policy_and_the_conference_limit_and_refuse_nonsense()
    {
        var options = new ImServerOptions();
        var command = new Command("t");
        options.AddTo(command);
        Assert.True(options.TryRead(command.Parse([]), out var defaults, out _));
        Assert.Equal(ConferenceReleasePolicy.FewerThanTwo, defaults!.ConferenceRelease);
        Assert.Equal(32, defaults.MaxConferences);

        Assert.True(options.TryRead(command.Parse(["--im-conference-release", "empty", "--im-max-conferences", "3"]), out var settings, out var error), error);
        Assert.Equal(ConferenceReleasePolicy.Empty, settings!.ConferenceRelease);
        Assert.Equal(3, settings.MaxConferences);

        Assert.False(options.TryRead(command.Parse(["--im-conference-release", "never"]), out _, out error));
        Assert.Contains("--im-conference-release", error, StringComparison.Ordinal);
        Assert.False(options.TryRead(command.Parse(["--im-max-conferences", "0"]), out _, out error));
        Assert.Contains("--im-max-conferences", error, StringComparison.Ordinal);
    }
}
