// SPDX-License-Identifier: MIT
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Daemon;

/// <summary>
/// Sends WATCHDOG=1 at half the WatchdogSec interval (sd_watchdog_enabled(3) recommends pinging at half). Pings
/// come from a timer on the thread pool: a daemon whose thread pool is starved or deadlocked stops pinging and
/// systemd restarts it.
/// </summary>
internal sealed class WatchdogService(ISystemdNotifier notifier, TimeProvider time, ILogger<WatchdogService> logger)
    : BackgroundService
{
    private static readonly ServiceState Ping = new("WATCHDOG=1");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = SystemdEnvironment.WatchdogInterval(Environment.GetEnvironmentVariable, Environment.ProcessId);
        if (interval is null)
        {
            return;
        }

        var period = interval.Value / 2;
        logger.WatchdogEnabled(interval.Value.TotalSeconds);
        using var timer = new PeriodicTimer(period, time);
        notifier.Notify(Ping);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                notifier.Notify(Ping);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
