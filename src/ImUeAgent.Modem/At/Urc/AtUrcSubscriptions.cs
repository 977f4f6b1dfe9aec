// SPDX-License-Identifier: MIT
namespace ImUeAgent.Modem.At.Urc;

/// <summary>Typed subscriptions on top of <see cref="AtUrcRouter.Subscribe"/>; malformed URCs are logged and skipped.</summary>
public static class AtUrcSubscriptions
{
    /// <summary>+CREG, +CGREG and +CEREG URCs.</summary>
    public static IDisposable SubscribeNetworkRegistration(this AtUrcRouter router, Action<NetworkRegistrationReport> handler)
    {
        ArgumentNullException.ThrowIfNull(router);
        ArgumentNullException.ThrowIfNull(handler);
        void OnUrc(AtUrc urc)
        {
            if (NetworkRegistrationReport.TryParse(urc.Line, solicited: false, out var report, out var error))
            {
                handler(report!);
            }
            else
            {
                router.ReportMalformed(urc, error);
            }
        }

        return new Subscriptions([router.Subscribe("+CREG", OnUrc), router.Subscribe("+CGREG", OnUrc), router.Subscribe("+CEREG", OnUrc)]);
    }

    /// <summary>+CGEV URCs (enable them with AT+CGEREP=2,1).</summary>
    public static IDisposable SubscribePacketDomainEvents(this AtUrcRouter router, Action<PacketDomainEvent> handler)
    {
        ArgumentNullException.ThrowIfNull(router);
        ArgumentNullException.ThrowIfNull(handler);
        return router.Subscribe("+CGEV", urc =>
        {
            if (PacketDomainEvent.TryParse(urc.Line, out var report, out var error))
            {
                handler(report!);
            }
            else
            {
                router.ReportMalformed(urc, error);
            }
        });
    }

    /// <summary>+CIREGU URCs (enable them with AT+CIREG=2).</summary>
    public static IDisposable SubscribeImsRegistration(this AtUrcRouter router, Action<ImsRegistrationReport> handler)
    {
        ArgumentNullException.ThrowIfNull(router);
        ArgumentNullException.ThrowIfNull(handler);
        return router.Subscribe("+CIREGU", urc =>
        {
            if (ImsRegistrationReport.TryParse(urc.Line, out var report, out var error))
            {
                handler(report!);
            }
            else
            {
                router.ReportMalformed(urc, error);
            }
        });
    }

    private sealed class Subscriptions(IDisposable[] inner) : IDisposable
    {
        public void Dispose()
        {
            foreach (var subscription in inner)
            {
                subscription.Dispose();
            }
        }
    }
}
