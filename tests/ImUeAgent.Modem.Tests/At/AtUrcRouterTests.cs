// SPDX-License-Identifier: MIT
using ImUeAgent.Modem.At;
using ImUeAgent.Modem.At.Urc;

namespace ImUeAgent.Modem.Tests.At;

public sealed class AtUrcRouterTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void DispatchesByPrefixUntilUnsubscribed()
    {
        var router = new AtUrcRouter();
        var seen = new List<string>();
        var unhandled = new List<string>();
        router.Unhandled += u => unhandled.Add(u.Line);
        var subscription = router.Subscribe("+CEREG", u => seen.Add(u.Name + "|" + u.Line));
        router.Dispatch("+CEREG: 1", Now);
        router.Dispatch("+CEREGX: 1", Now);
        subscription.Dispose();
        router.Dispatch("+CEREG: 2", Now);
        Assert.Equal(["+CEREG|+CEREG: 1"], seen);
        Assert.Equal(["+CEREGX: 1", "+CEREG: 2"], unhandled);
    }

    [Fact]
    public void AFailingHandlerDoesNotStopOthers()
    {
        var router = new AtUrcRouter();
        var seen = 0;
        router.Subscribe("RING", _ => throw new InvalidOperationException("boom"));
        router.Subscribe("RING", _ => seen++);
        router.Dispatch("RING", Now);
        Assert.Equal(1, seen);
    }

    [Fact]
    public void CollectsTrailingLines()
    {
        var router = new AtUrcRouter();
        AtUrc? received = null;
        router.Subscribe("+CMT", u => received = u, trailingLines: 1);
        router.Dispatch("+CMT: ,24", Now);
        Assert.True(router.IsCollecting);
        Assert.Null(received);
        router.Collect("0791448720003023240DD0E474D81C0EBB010000111011315214000BE474D81C0EBB5DE3771B");
        Assert.False(router.IsCollecting);
        Assert.Equal("+CMT: ,24", received!.Line);
        Assert.Single(received.TrailingLines);
    }

    [Fact]
    public void TypedSubscriptionsParse()
    {
        var router = new AtUrcRouter();
        var registrations = new List<NetworkRegistrationReport>();
        var events = new List<PacketDomainEvent>();
        var ims = new List<ImsRegistrationReport>();
        using var a = router.SubscribeNetworkRegistration(registrations.Add);
        using var b = router.SubscribePacketDomainEvents(events.Add);
        using var c = router.SubscribeImsRegistration(ims.Add);
        router.Dispatch("+CEREG: 1,\"1A2B\",\"01A2B3C4\",7", Now);
        router.Dispatch("+CREG: 5", Now);
        router.Dispatch("+CEREG: garbage", Now); // malformed: logged, not delivered
        router.Dispatch("+CGEV: ME PDN ACT 1", Now);
        router.Dispatch("+CIREGU: 1,1", Now);
        Assert.Equal(["+CEREG", "+CREG"], registrations.Select(r => r.Name));
        Assert.Equal(PacketDomainEventKind.MePdnAct, Assert.Single(events).Kind);
        Assert.True(Assert.Single(ims).IsRegistered);
    }
}
