// SPDX-License-Identifier: MIT
namespace ImUeAgent.Daemon;

/// <summary>What the service manager told the process through its environment (systemd.exec(5), sd_notify(3)).</summary>
internal static class SystemdEnvironment
{
    public static bool HasNotifySocket => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NOTIFY_SOCKET"));

    public static bool HasJournalStream => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("JOURNAL_STREAM"));

    /// <summary>
    /// The watchdog interval when WatchdogSec= is set for this very process (WATCHDOG_PID absent or ours), else null.
    /// </summary>
    public static TimeSpan? WatchdogInterval(Func<string, string?> getEnvironment, int processId)
    {
        var usecText = getEnvironment("WATCHDOG_USEC");
        if (!ulong.TryParse(usecText, out var usec) || usec == 0)
        {
            return null;
        }

        var pidText = getEnvironment("WATCHDOG_PID");
        if (!string.IsNullOrEmpty(pidText) && (!int.TryParse(pidText, out var pid) || pid != processId))
        {
            return null;
        }

        return TimeSpan.FromMicroseconds(usec);
    }
}
