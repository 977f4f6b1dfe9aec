// SPDX-License-Identifier: MIT
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Tests.Ua;
using ImUeAgent.Sip.Transactions;
using static ImUeAgent.Sip.Tests.Transactions.TransactionTestKit;

namespace ImUeAgent.Sip.Tests.Transactions;

public sealed class ClientTransactionTests
{
    private static SipRequest Message() => SipTestMessages.Request("MESSAGE", "sip:bob@example.com");

    private static SipRequest Invite(string? extra = null) => SipTestMessages.Request("INVITE", "sip:bob@example.com", extra: extra);

    /// <summary>Timer E table (RFC 3261 §17.1.2.2): T1, 2T1, 4T1, then T2 until Timer F = 64*T1.</summary>
    public static TheoryData<int, int, long[], long> NonInviteTables => new()
    {
        { 500, 4000, [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500], 32000 },
        { 100, 400, [0, 100, 300, 700, 1100, 1500, 1900, 2300, 2700, 3100, 3500, 3900, 4300, 4700, 5100, 5500, 5900, 6300], 6400 },
        { 1000, 2000, [0, 1000, 3000, 5000, 7000, 9000, 11000, 13000, 15000, 17000, 19000, 21000, 23000, 25000, 27000, 29000, 31000, 33000, 35000, 37000, 39000, 41000, 43000, 45000, 47000, 49000, 51000, 53000, 55000, 57000, 59000, 61000, 63000], 64000 },
    };

    [Theory]
    [MemberData(nameof(NonInviteTables))]
    public async Task NonInviteOverUdpRetransmitsOnTimerEAndTimesOutOnTimerF(int t1, int t2, long[] expectedSends, long timerF)
    {
        using var kit = new TransactionTestKit(new SipTimerSettings { T1 = TimeSpan.FromMilliseconds(t1), T2 = TimeSpan.FromMilliseconds(t2) });
        SipClientTransaction tx = kit.Layer.SendRequest(Message(), Udp);
        kit.RunUntil(timerF - 1);
        Assert.False(tx.FinalResponse.IsCompleted);
        kit.RunUntil(timerF + 5000);
        Assert.Equal(expectedSends, kit.SendTimes(m => IsRequest(m, SipMethod.Message)));
        var e = await Assert.ThrowsAsync<SipTransactionException>(() => tx.FinalResponse);
        Assert.Equal(SipTransactionError.Timeout, e.Error);
        Assert.Equal(408, e.EquivalentStatusCode);
        Assert.Equal(0, kit.Layer.Count);
    }

    [Fact]
    public async Task NonInviteProceedingRetransmitsEveryT2ThenTimerKAfterFinal()
    {
        using var kit = new TransactionTestKit();
        SipRequest request = Message();
        var seen = new List<int>();
        SipClientTransaction tx = kit.Layer.SendRequest(request, Udp, r => seen.Add(r.StatusCode));
        kit.RunUntil(600);
        kit.Receive(SipTestMessages.ResponseTo(request, 100, toTag: null), Udp);
        kit.RunUntil(10000);
        kit.Receive(SipTestMessages.ResponseTo(request, 200), Udp);
        kit.Receive(SipTestMessages.ResponseTo(request, 200), Udp);   // retransmission: absorbed in Completed
        Assert.Equal(200, (await tx.FinalResponse).StatusCode);
        // E was 1 s when the 100 came; it fires at 1.5 s and is then reset to T2 (§17.1.2.2).
        Assert.Equal([0, 500, 1500, 5500, 9500], kit.SendTimes(m => IsRequest(m, SipMethod.Message)));
        Assert.Equal([100, 200], seen);
        kit.RunUntil(14990);
        Assert.Equal(1, kit.Layer.Count);
        kit.RunUntil(15000);   // Timer K = T4
        Assert.Equal(0, kit.Layer.Count);
    }

    [Fact]
    public async Task NonInviteOverTcpNeverRetransmitsAndHasNoTimerK()
    {
        using var kit = new TransactionTestKit();
        SipRequest request = Message();
        SipClientTransaction tx = kit.Layer.SendRequest(request, Tcp);
        kit.RunUntil(20000);
        Assert.Single(kit.Sent);
        kit.Receive(SipTestMessages.ResponseTo(request, 202), Tcp);
        Assert.Equal(202, (await tx.FinalResponse).StatusCode);
        Assert.Equal(0, kit.Layer.Count);
    }

    [Fact]
    public async Task NonInviteOverTcpTimesOutOnTimerF()
    {
        using var kit = new TransactionTestKit();
        SipClientTransaction tx = kit.Layer.SendRequest(Message(), Tcp);
        kit.RunUntil(31990);
        Assert.False(tx.FinalResponse.IsCompleted);
        kit.RunUntil(32000);
        Assert.Equal(SipTransactionError.Timeout, (await Assert.ThrowsAsync<SipTransactionException>(() => tx.FinalResponse)).Error);
        Assert.Single(kit.Sent);
    }

    [Fact]
    public async Task InviteOverUdpDoublesTimerAWithoutCapUntilTimerB()
    {
        using var kit = new TransactionTestKit();
        SipClientTransaction tx = kit.Layer.SendRequest(Invite(), Udp);
        kit.RunUntil(40000);
        Assert.Equal([0, 500, 1500, 3500, 7500, 15500, 31500], kit.SendTimes(m => IsRequest(m, SipMethod.Invite)));
        var e = await Assert.ThrowsAsync<SipTransactionException>(() => tx.FinalResponse);
        Assert.Equal(SipTransactionError.Timeout, e.Error);
    }

    [Fact]
    public async Task InviteProvisionalStopsRetransmissionsAndTimerB()
    {
        using var kit = new TransactionTestKit();
        SipRequest invite = Invite();
        SipClientTransaction tx = kit.Layer.SendRequest(invite, Udp);
        kit.RunUntil(700);
        kit.Receive(SipTestMessages.ResponseTo(invite, 180), Udp);
        kit.RunUntil(120000);
        Assert.Equal([0, 500], kit.SendTimes(m => IsRequest(m, SipMethod.Invite)));
        Assert.False(tx.FinalResponse.IsCompleted);
        kit.Receive(SipTestMessages.ResponseTo(invite, 603), Udp);
        Assert.Equal(603, (await tx.FinalResponse).StatusCode);
    }

    [Fact]
    public async Task InviteFailureIsAckedByTheTransactionAndRetransmissionsReAcked()
    {
        using var kit = new TransactionTestKit();
        SipRequest invite = Invite("Route: <sip:pcscf.example.com;lr>\n");
        int reports = 0;
        SipClientTransaction tx = kit.Layer.SendRequest(invite, Udp, _ => reports++);
        kit.Receive(SipTestMessages.ResponseTo(invite, 486, "callee"), Udp);
        Assert.Equal(486, (await tx.FinalResponse).StatusCode);
        var ack = Assert.IsType<SipRequest>(kit.Sent[^1].Message);
        Assert.Equal(SipMethod.Ack, ack.Method);
        Assert.Equal(invite.Headers.TopVia!.Branch, ack.Headers.TopVia!.Branch);
        Assert.Single(ack.Headers.Via);
        Assert.Equal("callee", ack.Headers.To!.Tag);
        Assert.Equal("a1", ack.Headers.From!.Tag);
        Assert.Equal(1u, ack.Headers.CSeq!.Number);
        Assert.Equal(SipMethod.Ack, ack.Headers.CSeq.Method);
        Assert.Equal("sip:pcscf.example.com;lr", ack.Headers.Route[0].Uri.ToString());
        Assert.Equal("sip:bob@example.com", ack.RequestUri.ToString());

        kit.RunUntil(2000);
        kit.Receive(SipTestMessages.ResponseTo(invite, 486, "callee"), Udp);
        Assert.Equal(2, kit.SendTimes(m => IsRequest(m, SipMethod.Ack)).Length);
        Assert.Equal(1, reports);
        kit.RunUntil(31990);
        Assert.Equal(1, kit.Layer.Count);
        kit.RunUntil(32000);   // Timer D = 32 s on UDP
        Assert.Equal(0, kit.Layer.Count);
    }

    [Fact]
    public async Task InviteFailureOverTcpTerminatesAtOnce()
    {
        using var kit = new TransactionTestKit();
        SipRequest invite = Invite();
        SipClientTransaction tx = kit.Layer.SendRequest(invite, Tcp);
        kit.Receive(SipTestMessages.ResponseTo(invite, 404), Tcp);
        await tx.FinalResponse;
        Assert.Equal(SipMethod.Ack, ((SipRequest)kit.Sent[^1].Message).Method);
        Assert.Equal(0, kit.Layer.Count);
    }

    [Fact]
    public async Task Invite2xxGoesToAcceptedAndPassesEvery2xxUntilTimerM()
    {
        using var kit = new TransactionTestKit();
        SipRequest invite = Invite();
        var seen = new List<string?>();
        SipClientTransaction tx = kit.Layer.SendRequest(invite, Udp, r => seen.Add(r.Headers.To?.Tag));
        kit.Receive(SipTestMessages.ResponseTo(invite, 200, "b1"), Udp);
        Assert.Equal(200, (await tx.FinalResponse).StatusCode);
        kit.RunUntil(5000);
        kit.Receive(SipTestMessages.ResponseTo(invite, 200, "b2"), Udp);   // a forked 2xx (RFC 6026 §7.2)
        Assert.Equal(["b1", "b2"], seen);
        Assert.Single(kit.Sent);   // no retransmission, no ACK from the transaction (the TU ACKs a 2xx)
        kit.RunUntil(31990);
        Assert.Equal(1, kit.Layer.Count);
        kit.RunUntil(32000);   // Timer M = 64*T1
        Assert.Equal(0, kit.Layer.Count);
    }

    [Fact]
    public async Task TransportErrorFailsTheTransaction()
    {
        using var kit = new TransactionTestKit { FailSendsWith = new IOException("unreachable") };
        SipClientTransaction tx = kit.Layer.SendRequest(Message(), Udp);
        var e = await Assert.ThrowsAsync<SipTransactionException>(() => tx.FinalResponse);
        Assert.Equal(SipTransactionError.TransportError, e.Error);
        Assert.Equal(503, e.EquivalentStatusCode);
        Assert.Equal(0, kit.Layer.Count);
    }

    [Fact]
    public async Task CancelWaitsForAProvisionalResponse()
    {
        using var kit = new TransactionTestKit();
        SipRequest invite = Invite("Route: <sip:pcscf.example.com;lr>\n");
        SipClientTransaction tx = kit.Layer.SendRequest(invite, Udp);
        Assert.Null(kit.Layer.Cancel(tx));
        Assert.Empty(kit.SendTimes(m => IsRequest(m, SipMethod.Cancel)));
        kit.Receive(SipTestMessages.ResponseTo(invite, 180), Udp);
        var cancel = (SipRequest)kit.Sent.Single(s => IsRequest(s.Message, SipMethod.Cancel)).Message;
        Assert.Equal(invite.Headers.TopVia!.Branch, cancel.Headers.TopVia!.Branch);
        Assert.Equal(1u, cancel.Headers.CSeq!.Number);
        Assert.Equal(SipMethod.Cancel, cancel.Headers.CSeq.Method);
        Assert.Null(cancel.Headers.To!.Tag);
        Assert.Single(cancel.Headers.Route);
        // The 200 to the CANCEL and the 487 to the INVITE share the branch; CSeq method keeps them apart.
        kit.Receive(SipTestMessages.ResponseTo(cancel, 200), Udp);
        kit.Receive(SipTestMessages.ResponseTo(invite, 487), Udp);
        Assert.Equal(487, (await tx.FinalResponse).StatusCode);
    }

    [Fact]
    public void CancelAfterProvisionalIsSentAtOnce()
    {
        using var kit = new TransactionTestKit();
        SipRequest invite = Invite();
        SipClientTransaction tx = kit.Layer.SendRequest(invite, Udp);
        kit.Receive(SipTestMessages.ResponseTo(invite, 183), Udp);
        SipClientTransaction? cancel = kit.Layer.Cancel(tx);
        Assert.NotNull(cancel);
        Assert.Equal(SipMethod.Cancel, cancel.Request.Method);
    }

    [Fact]
    public void ResponsesWithAnotherBranchDoNotMatch()
    {
        using var kit = new TransactionTestKit();
        SipResponse? stray = null;
        kit.Layer.UnmatchedResponse = (r, _) => stray = r;
        SipClientTransaction tx = kit.Layer.SendRequest(Message(), Udp);
        SipRequest other = SipTestMessages.Request("MESSAGE", "sip:bob@example.com", branch: "z9hG4bK-other");
        kit.Receive(SipTestMessages.ResponseTo(other, 200), Udp);
        Assert.False(tx.FinalResponse.IsCompleted);
        Assert.NotNull(stray);
    }

    [Fact]
    public void RequestsWithoutRfc3261BranchAreRefusedForSending()
    {
        using var kit = new TransactionTestKit();
        SipRequest old = SipTestMessages.Request("MESSAGE", "sip:bob@example.com", branch: "1234");
        Assert.Throws<ArgumentException>(() => kit.Layer.SendRequest(old, Udp));
    }
}
