// SPDX-License-Identifier: MIT
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Daemon;

/// <summary>Source-generated log messages of the daemon host (STYLE.md §15).</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "imue-agent {Version} ({UserAgent}) starting with {ConfigPath}, pid {Pid}")]
    public static partial void Starting(this ILogger logger, string version, string userAgent, string configPath, int pid);

    [LoggerMessage(2, LogLevel.Information, "stopped")]
    public static partial void Stopped(this ILogger logger);

    [LoggerMessage(3, LogLevel.Information, "status: {Line}")]
    public static partial void StatusChanged(this ILogger logger, string line);

    [LoggerMessage(4, LogLevel.Information, "systemd watchdog enabled: {Seconds} s, pinging at half that")]
    public static partial void WatchdogEnabled(this ILogger logger, double seconds);

    [LoggerMessage(5, LogLevel.Critical, "daemon failed: {Reason}")]
    public static partial void DaemonFailed(this ILogger logger, string reason, Exception exception);
}
