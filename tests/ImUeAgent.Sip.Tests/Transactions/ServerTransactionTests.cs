// SPDX-License-Identifier: MIT
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Tests.Ua;
using ImUeAgent.Sip.Transactions;
using ImUeAgent.Sip.Transport;
using static ImUeAgent.Sip.Tests.Transactions.TransactionTestKit;

namespace ImUeAgent.Sip.Tests.Transactions;

public sealed class ServerTransactionTests
{
    private static SipRequest Invite(string branch = "z9hG4bK-in1") => SipTestMessages.Request("INVITE", "sip:ue@192.0.2.1", branch: branch);

    private static SipServerTransaction Accept(TransactionTestKit kit, SipRequest request, SipTransportAddress from)
    {
        SipServerTransaction? tx = null;
        kit.Layer.RequestReceived = t => tx = t;
        kit.Receive(request, from);
        Assert.NotNull(tx);
        return tx;
    }

    private static SipResponse Answer(SipRequest request, int status) => SipMessageBuilder.ResponseTo(request, status, toTag: "ue1").BuildResponse();

    private static SipRequest AckFor(SipRequest invite, string branch) => SipTestMessages.Request("ACK", "sip:ue@192.0.2.1", branch: branch, toTag: "ue1");

    [Fact]
    public void InviteGets100TryingAtOnceAndRetransmissionsGetTheLastProvisional()
    {
        using var kit = new TransactionTestKit();
        SipRequest invite = Invite();
        SipServerTransaction tx = Accept(kit, invite, Udp);
        Assert.True(IsStatus(kit.Sent[0].Message, 100));
        kit.Receive(invite, Udp);
        Assert.Equal(2, kit.SendTimes(m => IsStatus(m, 100)).Length);
        tx.Respond(Answer(invite, 180));
        kit.Receive(invite, Udp);
        Assert.Equal(2, kit.SendTimes(m => IsStatus(m, 180)).Length);
        Assert.Equal(1, kit.Layer.Count);
    }

    /// <summary>Timer G (RFC 3261 §17.2.1): T1 doubling to T2, until Timer H = 64*T1.</summary>
    [Fact]
    public async Task InviteFailureIsRetransmittedOnTimerGUntilTimerH()
    {
        using var kit = new TransactionTestKit();
        SipRequest invite = Invite();
        var tx = (InviteServerTransaction)Accept(kit, invite, Udp);
        kit.RunUntil(1000);
        tx.Respond(Answer(invite, 486));
        kit.RunUntil(40000);
        Assert.Equal([1000, 1500, 2500, 4500, 8500, 12500, 16500, 20500, 24500, 28500, 32500], kit.SendTimes(m => IsStatus(m, 486)));
        Assert.Null(await tx.Acknowledged);
        Assert.Equal(InviteServerTransaction.States.Terminated, tx.State);
        Assert.Equal(0, kit.Layer.Count);
    }

    [Fact]
    public async Task AckForFailureConfirmsAndTimerIEnds()
    {
        using var kit = new TransactionTestKit();
        SipRequest invite = Invite();
        var tx = (InviteServerTransaction)Accept(kit, invite, Udp);
        tx.Respond(Answer(invite, 486));
        kit.RunUntil(700);
        kit.Receive(AckFor(invite, "z9hG4bK-in1"), Udp);   // same branch as the INVITE (§17.1.1.3)
        Assert.NotNull(await tx.Acknowledged);
        Assert.Equal(InviteServerTransaction.States.Confirmed, tx.State);
        kit.RunUntil(5000);
        Assert.Equal([0, 500], kit.SendTimes(m => IsStatus(m, 486)));
        kit.RunUntil(5690);
        Assert.Equal(1, kit.Layer.Count);
        kit.RunUntil(5700);   // Timer I = T4 after the ACK
        Assert.Equal(0, kit.Layer.Count);
    }

    [Fact]
    public async Task InviteFailureOverTcpIsNotRetransmittedAndTimerIIsZero()
    {
        using var kit = new TransactionTestKit();
        SipRequest invite = Invite();
        var tx = (InviteServerTransaction)Accept(kit, invite, Tcp);
        tx.Respond(Answer(invite, 603));
        kit.RunUntil(10000);
        Assert.Single(kit.SendTimes(m => IsStatus(m, 603)));
        kit.Receive(AckFor(invite, "z9hG4bK-in1"), Tcp);
        Assert.NotNull(await tx.Acknowledged);
        Assert.Equal(0, kit.Layer.Count);
    }

    /// <summary>RFC 3261 §13.3.1.4 with RFC 6026: 2xx retransmitted T1, 2T1, 4T1, … capped at T2, until the ACK.</summary>
    [Fact]
    public async Task Invite2xxIsRetransmittedUntilTheAckWithItsOwnBranch()
    {
        using var kit = new TransactionTestKit();
        SipRequest invite = Invite();
        var tx = (InviteServerTransaction)Accept(kit, invite, Udp);
        tx.Respond(Answer(invite, 200));
        Assert.Equal(InviteServerTransaction.States.Accepted, tx.State);
        kit.RunUntil(9000);
        kit.Receive(invite, Udp);   // INVITE retransmission in Accepted: absorbed
        kit.Receive(AckFor(invite, "z9hG4bK-ack-new"), Udp);
        SipRequest? ack = await tx.Acknowledged;
        Assert.Equal("z9hG4bK-ack-new", ack!.Headers.TopVia!.Branch);
        kit.RunUntil(20000);
        Assert.Equal([0, 500, 1500, 3500, 7500], kit.SendTimes(m => IsStatus(m, 200)));
        kit.RunUntil(31990);
        Assert.Equal(1, kit.Layer.Count);
        kit.RunUntil(32000);   // Timer L = 64*T1
        Assert.Equal(0, kit.Layer.Count);
    }

    [Fact]
    public async Task Invite2xxWithoutAckStopsAtTimerL()
    {
        using var kit = new TransactionTestKit();
        SipRequest invite = Invite();
        var tx = (InviteServerTransaction)Accept(kit, invite, Tcp);
        tx.Respond(Answer(invite, 200));
        kit.RunUntil(40000);
        Assert.Equal([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500], kit.SendTimes(m => IsStatus(m, 200)));
        Assert.Null(await tx.Acknowledged);
    }

    [Fact]
    public void NonInviteFinalIsResentOnRetransmissionAndTimerJEnds()
    {
        using var kit = new TransactionTestKit();
        SipRequest message = SipTestMessages.Request("MESSAGE", "sip:ue@192.0.2.1");
        SipServerTransaction tx = Accept(kit, message, Udp);
        kit.Receive(message, Udp);   // Trying: absorbed
        Assert.Empty(kit.Sent);
        tx.Respond(Answer(message, 200));
        kit.RunUntil(3000);
        kit.Receive(message, Udp);
        Assert.Equal([0, 3000], kit.SendTimes(m => IsStatus(m, 200)));
        kit.RunUntil(31990);
        Assert.Equal(1, kit.Layer.Count);
        kit.RunUntil(32000);   // Timer J = 64*T1
        Assert.Equal(0, kit.Layer.Count);
    }

    [Fact]
    public void NonInviteOverTcpHasNoTimerJ()
    {
        using var kit = new TransactionTestKit();
        SipRequest message = SipTestMessages.Request("MESSAGE", "sip:ue@192.0.2.1");
        SipServerTransaction tx = Accept(kit, message, Tcp);
        tx.Respond(Answer(message, 200));
        Assert.Equal(0, kit.Layer.Count);
    }

    [Fact]
    public void ResponseGoesToViaPortWithoutRport()
    {
        using var kit = new TransactionTestKit();
        SipRequest message = (SipRequest)SipTestMessages.Parse(
            "MESSAGE sip:ue@192.0.2.1 SIP/2.0\nVia: SIP/2.0/UDP pcscf.example.com:5070;branch=z9hG4bK-x\nMax-Forwards: 70\n" +
            "From: <sip:a@example.com>;tag=1\nTo: <sip:ue@example.com>\nCall-ID: c\nCSeq: 1 MESSAGE\nContent-Length: 0\n\n");
        var from = new SipTransportAddress(SipTransportKind.Udp, new System.Net.IPEndPoint(System.Net.IPAddress.Parse("198.51.100.7"), 40000));
        SipServerTransaction tx = Accept(kit, message, from);
        tx.Respond(Answer(message, 200));
        Assert.Equal("udp:198.51.100.7:5070", kit.Sent[0].To.ToString());
    }

    [Fact]
    public void CancelMatchingAnInviteGets200AndSignalsTheTu()
    {
        using var kit = new TransactionTestKit();
        SipRequest invite = Invite();
        var tx = (InviteServerTransaction)Accept(kit, invite, Udp);
        tx.Respond(Answer(invite, 180));
        bool called = false;
        kit.Layer.RequestReceived = _ => called = true;
        kit.Receive(SipTransactionLayer.BuildCancel(invite), Udp);
        Assert.False(called);
        Assert.True(tx.Cancelled.IsCancellationRequested);
        var ok = (SipResponse)kit.Sent[^1].Message;
        Assert.Equal(200, ok.StatusCode);
        Assert.Equal(SipMethod.Cancel, ok.Headers.CSeq!.Method);
        Assert.Equal("ue1", ok.Headers.To!.Tag);
    }

    [Fact]
    public void CancelForNoTransactionGets481()
    {
        using var kit = new TransactionTestKit();
        kit.Receive(SipTransactionLayer.BuildCancel(Invite("z9hG4bK-unknown")), Udp);
        Assert.True(IsStatus(kit.Sent.Single().Message, 481));
    }

    [Fact]
    public void Rfc2543RequestsMatchWithoutTheMagicCookie()
    {
        using var kit = new TransactionTestKit();
        SipRequest old = SipTestMessages.Request("OPTIONS", "sip:ue@192.0.2.1", branch: "old-branch-1");
        int created = 0;
        kit.Layer.RequestReceived = t =>
        {
            created++;
            t.Respond(Answer(old, 200));
        };
        kit.Receive(old, Udp);
        kit.Receive(SipTestMessages.Request("OPTIONS", "sip:ue@192.0.2.1", branch: "old-branch-1"), Udp);
        Assert.Equal(1, created);
        Assert.Equal(2, kit.SendTimes(m => IsStatus(m, 200)).Length);
        // Another Call-ID is another transaction.
        kit.Receive(SipTestMessages.Request("OPTIONS", "sip:ue@192.0.2.1", branch: "old-branch-1", callId: "call-2"), Udp);
        Assert.Equal(2, created);
    }

    [Fact]
    public void SameBranchFromAnotherSentByIsAnotherTransaction()
    {
        using var kit = new TransactionTestKit();
        int created = 0;
        kit.Layer.RequestReceived = _ => created++;
        kit.Receive(SipTestMessages.Request("MESSAGE", "sip:ue@192.0.2.1"), Udp);
        kit.Receive(SipTestMessages.Parse(
            "MESSAGE sip:ue@192.0.2.1 SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.99:5060;branch=z9hG4bK-t1\nMax-Forwards: 70\n" +
            "From: <sip:alice@example.com>;tag=a1\nTo: <sip:bob@example.com>\nCall-ID: call-1\nCSeq: 1 MESSAGE\nContent-Length: 0\n\n"), Udp);
        Assert.Equal(2, created);
    }

    [Fact]
    public void WithoutATransactionUserRequestsGet501()
    {
        using var kit = new TransactionTestKit();
        kit.Receive(SipTestMessages.Request("INFO", "sip:ue@192.0.2.1"), Udp);
        Assert.True(IsStatus(kit.Sent.Single().Message, 501));
    }
}
