// SPDX-License-Identifier: MIT
using ImUeAgent.Sip.Dialogs;
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Tests.Ua;

namespace ImUeAgent.Sip.Tests.Dialogs;

public sealed class SipDialogTests
{
    private static SipRequest Invite(string extra = "") => SipTestMessages.Request("INVITE", "sip:bob@example.com", cseq: 7,
        extra: "Contact: <sip:alice@192.0.2.10:5060>\n" + extra);

    [Fact]
    public void UacDialogReversesRecordRouteAndUsesLooseRouting()
    {
        SipRequest invite = Invite();
        SipResponse ok = SipTestMessages.ResponseTo(invite, 200, "b1",
            "Record-Route: <sip:p2.example.com;lr>, <sip:p1.example.com;lr>", "Contact: <sip:bob@198.51.100.2:5062>");
        SipDialog d = SipDialog.CreateUac(invite, ok);
        Assert.Equal(("call-1", "a1", "b1"), d.Id);
        Assert.Equal(SipDialogState.Confirmed, d.State);
        Assert.Equal(["sip:p1.example.com;lr", "sip:p2.example.com;lr"], d.RouteSet.Select(r => r.Uri.ToString()));
        Assert.Equal(7u, d.LocalSequence);
        Assert.Null(d.RemoteSequence);

        SipRequest bye = d.CreateRequest(SipMethod.Bye).BuildRequest();
        Assert.Equal("sip:bob@198.51.100.2:5062", bye.RequestUri.ToString());
        Assert.Equal(["sip:p1.example.com;lr", "sip:p2.example.com;lr"], bye.Headers.Route.Select(r => r.Uri.ToString()));
        Assert.Equal(8u, bye.Headers.CSeq!.Number);
        Assert.Equal("a1", bye.Headers.From!.Tag);
        Assert.Equal("b1", bye.Headers.To!.Tag);
        Assert.Equal("call-1", bye.Headers.CallId);

        SipRequest ack = d.CreateAck(7);
        Assert.Equal(7u, ack.Headers.CSeq!.Number);
        Assert.Equal(SipMethod.Ack, ack.Headers.CSeq.Method);
    }

    [Fact]
    public void StrictRouteBecomesTheRequestUri()
    {
        SipRequest invite = Invite();
        SipResponse ok = SipTestMessages.ResponseTo(invite, 200, "b1",
            "Record-Route: <sip:p2.example.com;lr>", "Record-Route: <sip:strict.example.com>", "Contact: <sip:bob@198.51.100.2>");
        SipRequest bye = SipDialog.CreateUac(invite, ok).CreateRequest(SipMethod.Bye).BuildRequest();
        Assert.Equal("sip:strict.example.com", bye.RequestUri.ToString());
        Assert.Equal(["sip:p2.example.com;lr", "sip:bob@198.51.100.2"], bye.Headers.Route.Select(r => r.Uri.ToString()));
    }

    [Fact]
    public void UasDialogKeepsRecordRouteOrderAndChecksCSeq()
    {
        SipRequest invite = Invite("Record-Route: <sip:p1.example.com;lr>\nRecord-Route: <sip:p2.example.com;lr>\n");
        SipDialog d = SipDialog.CreateUas(invite, "ue9");
        Assert.Equal(("call-1", "ue9", "a1"), d.Id);
        Assert.Equal(["sip:p1.example.com;lr", "sip:p2.example.com;lr"], d.RouteSet.Select(r => r.Uri.ToString()));
        Assert.Equal(7u, d.RemoteSequence);
        Assert.Equal("sip:alice@192.0.2.10:5060", d.RemoteTarget.ToString());

        SipRequest old = Within("INFO", 6);
        Assert.Equal(SipDialogRequestCheck.CSeqOutOfOrder, d.CheckRemoteRequest(old));
        SipRequest reinvite = Within("INVITE", 8, "Contact: <sip:alice@192.0.2.77>\n");
        Assert.Equal(SipDialogRequestCheck.Accepted, d.CheckRemoteRequest(reinvite));
        Assert.Equal("sip:alice@192.0.2.77", d.RemoteTarget.ToString());
        Assert.Equal(8u, d.RemoteSequence);
        Assert.Equal(SipDialogRequestCheck.NotThisDialog, d.CheckRemoteRequest(SipTestMessages.Request("BYE", "sip:x@y", cseq: 9, toTag: "other")));

        SipRequest bye = d.CreateRequest(SipMethod.Bye).BuildRequest();
        Assert.Equal(1u, bye.Headers.CSeq!.Number);
        Assert.Equal("ue9", bye.Headers.From!.Tag);
        Assert.Equal("a1", bye.Headers.To!.Tag);
        Assert.Equal("sip:alice@192.0.2.77", bye.RequestUri.ToString());

        static SipRequest Within(string method, uint cseq, string extra = "") =>
            SipTestMessages.Request(method, "sip:ue@192.0.2.1", cseq: cseq, toTag: "ue9", extra: extra);
    }

    [Fact]
    public void ByeTerminatesAndStoreFindsByIdentity()
    {
        SipRequest invite = Invite();
        SipDialog d = SipDialog.CreateUas(invite, "ue9");
        var store = new SipDialogStore();
        store.Add(d);
        SipRequest bye = SipTestMessages.Request("BYE", "sip:ue@192.0.2.1", cseq: 8, toTag: "ue9");
        Assert.Same(d, store.Find(bye));
        Assert.Equal(SipDialogRequestCheck.Accepted, d.CheckRemoteRequest(bye));
        Assert.Equal(SipDialogState.Terminated, d.State);
        Assert.Null(store.Find(SipTestMessages.Request("BYE", "sip:ue@192.0.2.1", cseq: 8, toTag: "nope")));
    }

    [Fact]
    public void DialogNeedsTags()
    {
        SipRequest invite = Invite();
        Assert.Throws<ArgumentException>(() => SipDialog.CreateUac(invite, SipTestMessages.ResponseTo(invite, 180, toTag: null)));
    }
}
