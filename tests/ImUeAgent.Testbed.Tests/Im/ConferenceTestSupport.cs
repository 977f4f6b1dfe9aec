// SPDX-License-Identifier: MIT
using System.Text;
using System.Xml.Linq;
using ImUeAgent.Msrp.Sdp;
using ImUeAgent.Msrp.Sessions;
using ImUeAgent.Sip.Message;
using ImUeAgent.Testbed.Tests.Core;

namespace ImUeAgent.Testbed.Tests.Im;

/// <summary>A test UE in an IM group session: its SIP side, its MSRP endpoint, and its dialog with the focus.</summary>
internal sealed class ConferenceMember : IAsyncDisposable
{
    public ConferenceMember(TestUe ue, TestMsrp msrp)
    {
        Ue = ue;
        Msrp = msrp;
    }

    public TestUe Ue { get; }

    public TestMsrp Msrp { get; }

    /// <summary>The INVITE the focus sent (for an invited member).</summary>
    public SipRequest? Invite { get; set; }

    /// <summary>The To tag this member gave its dialog with the focus (for an invited member).</summary>
    public string? ToTag { get; set; }

    /// <summary>The 200 OK of the focus (for the originator).</summary>
    public SipResponse? Ok { get; set; }

    public uint CSeq { get; set; }

    public async ValueTask DisposeAsync() => await Msrp.DisposeAsync();
}

/// <summary>Builds the client side of an ad-hoc IM group session (RFC 5366 §3, OMA SIMPLE IM 7.1.1.1) and reads the
/// focus's conference-info (RFC 4575), written here independently of the server's code.</summary>
internal static class ConferenceClient
{
    public static readonly XNamespace Info = "urn:ietf:params:xml:ns:conference-info";

    public static string ResourceList(params string[] uris) =>
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"><list>"
        + string.Concat(uris.Select(u => $"<entry uri=\"{u}\"/>")) + "</list></resource-lists>";

    /// <summary>INVITE to the factory: multipart/mixed with the SDP offer (a=setup:active, the client connects) and the
    /// list with Content-Disposition: recipient-list; Require: recipient-list-invite.</summary>
    public static SipRequest FactoryInvite(ImFixture fixture, TestUe ue, TestMsrp msrp, string list, string? require = "recipient-list-invite",
        string? sdpOverride = null, string listType = "application/resource-lists+xml")
    {
        const string boundary = "conference-boundary";
        var offer = sdpOverride ?? MsrpSdp.CreateOffer(msrp.Session, ["message/cpim", "text/plain"], ["*"], setup: MsrpSetup.Active);
        var body = $"--{boundary}\r\nContent-Type: application/sdp\r\n\r\n{offer}\r\n--{boundary}\r\nContent-Type: {listType}\r\n"
            + $"Content-Disposition: recipient-list\r\n\r\n{list}\r\n--{boundary}--\r\n";
        ue.CallId = Guid.NewGuid().ToString("N");
        var builder = ue.Request(SipMethod.Invite, fixture.Im.FactoryUri + ";sessiontype=adhoc", to: fixture.Im.FactoryUri).Route(ImFixture.ServiceRoute)
            .Add(SipHeaderId.Contact, $"<{ue.ContactUri}>;+g.oma.sip-im")
            .Add(SipHeaderId.AcceptContact, ImFixture.AppRef)
            .Add(SipHeaderId.UserAgent, "IM-client/OMA1.0 test")
            .Add(SipHeaderId.Supported, "timer")
            .Add(SipHeaderId.SessionExpires, "1800;refresher=uac")
            .Add(SipHeaderId.Subject, "team chat");
        if (require is not null)
        {
            builder.Add(SipHeaderId.Require, require);
        }

        return builder.Body(new MediaType("multipart", "mixed", new SipParameter("boundary", boundary)), Encoding.UTF8.GetBytes(body)).BuildRequest();
    }

    /// <summary>The originator's side: INVITE, 200, ACK, MSRP connect.</summary>
    public static async Task<ConferenceMember> CreateAsync(ImFixture fixture, TestUe ue, params string[] invitees)
    {
        var member = new ConferenceMember(ue, new TestMsrp());
        var invite = FactoryInvite(fixture, ue, member.Msrp, ResourceList(invitees));
        var ok = await ReceiveFinalAsync(ue, invite);
        Assert.Equal(200, ok.StatusCode);
        member.Ok = ok;
        member.CSeq = invite.Headers.CSeq!.Number;
        await ue.SendAsync(ImFixture.InDialog(ue, SipMethod.Ack, ok, member.CSeq));
        var answer = MsrpSdp.Read(Encoding.UTF8.GetString(ok.Body.Span));
        member.Msrp.Session.SetRemotePath(answer.Path);
        await member.Msrp.Session.ConnectAsync(TestContext.Current.CancellationToken);
        return member;
    }

    public static async Task<SipResponse> ReceiveFinalAsync(TestUe ue, SipRequest request)
    {
        await ue.SendAsync(request);
        while (true)
        {
            var response = await ue.ReceiveResponseAsync();
            if (response.StatusCode >= 200)
            {
                return response;
            }
        }
    }

    /// <summary>An invited member's side: the focus's INVITE, 200 with an MSRP answer, the ACK, MSRP connect (RFC 6135:
    /// the offer is actpass, the answerer connects).</summary>
    public static async Task<ConferenceMember> AcceptAsync(TestUe ue)
    {
        var invite = await ue.ReceiveRequestAsync();
        Assert.Equal(SipMethod.Invite, invite.Method);
        var member = new ConferenceMember(ue, new TestMsrp()) { Invite = invite, ToTag = "conf" + ue.Tag };
        var offer = MsrpSdp.Read(Encoding.UTF8.GetString(invite.Body.Span));
        var answer = MsrpSdp.CreateAnswer(member.Msrp.Session, offer, ["message/cpim", "text/plain"], ["*"], null, out var role);
        Assert.Equal(MsrpConnectionRole.Active, role);
        await ue.SendAsync(SipMessageBuilder.ResponseTo(invite, 200, toTag: member.ToTag)
            .Add(SipHeaderId.Contact, $"<{ue.ContactUri}>;+g.oma.sip-im")
            .Body(new MediaType("application", "sdp"), Encoding.UTF8.GetBytes(answer))
            .Build());
        var ack = await ue.ReceiveRequestAsync();
        Assert.Equal(SipMethod.Ack, ack.Method);
        Assert.Equal(invite.Headers.CallId, ack.Headers.CallId);
        await member.Msrp.Session.ConnectAsync(TestContext.Current.CancellationToken);
        return member;
    }

    /// <summary>A request from the callee side of the focus's dialog (RFC 3261 §12.2.1.1: From is the INVITE's To with
    /// our tag, To is its From, the Request-URI its Contact).</summary>
    public static SipRequest CalleeRequest(ConferenceMember member, SipMethod method, uint cseq)
    {
        var invite = member.Invite!;
        return SipMessageBuilder.Request(method, invite.Headers.Contact[0].Uri!)
            .Via(new ViaValue(member.Ue.Transport, "127.0.0.1", member.Ue.Local.Port, TestUe.Branch(), rport: true))
            .MaxForwards(70)
            .Add(SipHeaderId.From, invite.Headers.GetValue(SipHeaderId.To)! + ";tag=" + member.ToTag)
            .Add(SipHeaderId.To, invite.Headers.GetValue(SipHeaderId.From)!)
            .CallId(invite.Headers.CallId!)
            .CSeq(cseq, method)
            .BuildRequest();
    }

    /// <summary>SUBSCRIBE Event: conference to the conference URI (a new dialog, through the Service-Route).</summary>
    public static SipRequest Subscribe(TestUe ue, string conferenceUri, uint expires = 600, string eventPackage = "conference")
    {
        ue.CallId = Guid.NewGuid().ToString("N");
        return ue.Request(SipMethod.Subscribe, conferenceUri, to: conferenceUri).Route(ImFixture.ServiceRoute)
            .Add(SipHeaderId.Event, eventPackage)
            .Add(SipHeaderId.Accept, "application/conference-info+xml")
            .Add(SipHeaderId.Contact, $"<{ue.ContactUri}>")
            .Add(SipHeaderId.Expires, expires.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .BuildRequest();
    }

    /// <summary>Takes a NOTIFY, answers it 200, returns it and its conference-info root.</summary>
    public static async Task<(SipRequest Notify, XElement Info)> NotifyAsync(TestUe ue)
    {
        var notify = await ue.ReceiveRequestAsync();
        Assert.Equal(SipMethod.Notify, notify.Method);
        await ue.AnswerAsync(notify, 200);
        return (notify, ParseInfo(notify));
    }

    public static XElement ParseInfo(SipRequest notify)
    {
        Assert.Equal("conference", notify.Headers.Event?.Token);
        Assert.True(notify.Headers.ContentType!.Is("application", "conference-info+xml"));
        return XDocument.Parse(Encoding.UTF8.GetString(notify.Body.Span)).Root!;
    }

    /// <summary>user entity → (endpoint status, disconnection-method or null).</summary>
    public static Dictionary<string, (string Status, string? Disconnection)> Users(XElement info) =>
        info.Element(Info + "users")!.Elements(Info + "user").ToDictionary(
            u => (string)u.Attribute("entity")!,
            u => ((string)u.Element(Info + "endpoint")!.Element(Info + "status")!, (string?)u.Element(Info + "endpoint")!.Element(Info + "disconnection-method")));

    public static int UserCount(XElement info) => (int)info.Element(Info + "conference-state")!.Element(Info + "user-count")!;

    /// <summary>The CPIM From, the inner Content-Type and the body of a message/cpim (RFC 3862 §2).</summary>
    public static (string From, string ContentType, string Body) ReadCpim(ReceivedMsrp received)
    {
        Assert.Equal("message/cpim", received.ContentType);
        var text = received.Text;
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var headers = text[..split].Split("\r\n");
        var rest = text[(split + 4)..];
        var innerSplit = rest.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var inner = rest[..innerSplit].Split("\r\n");
        var from = headers.Single(h => h.StartsWith("From: ", StringComparison.Ordinal))["From: ".Length..];
        var type = inner.Single(h => h.StartsWith("Content-Type: ", StringComparison.OrdinalIgnoreCase))["Content-Type: ".Length..];
        return (from, type, rest[(innerSplit + 4)..]);
    }
}
