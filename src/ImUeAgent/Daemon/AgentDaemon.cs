// SPDX-License-Identifier: MIT
using ImUeAgent.Api;
using ImUeAgent.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace ImUeAgent.Daemon;

/// <summary>
/// `imue-agent run`: the long-running daemon on Microsoft.Extensions.Hosting. Under systemd (NOTIFY_SOCKET set) it
/// reports READY/STATUS/STOPPING and pings the watchdog; with JOURNAL_STREAM set it logs with journald priorities.
/// </summary>
internal static class AgentDaemon
{
    public static async Task<int> RunAsync(string configPath, LogLevel? logLevelOverride, TextWriter error)
    {
        AgentConfig config;
        Modem.BringUp.ModemServiceSettings? modemSettings;
        DigestAccount? account;
        try
        {
            config = ConfigLoader.Load(configPath);
            CheckStateDirectory(configPath, config.Daemon.StateDirectory);
            modemSettings = ModemHost.CreateSettings(config.Modem, configPath);
            account = DigestAccount.FromConfig(config.Ims, configPath);
            Messaging.MessagingHost.CheckedClientSettings(config, configPath);
            if (modemSettings is null && account is null && config.Ims.Register && config.Modem.PcscfAddresses.Length > 0)
            {
                throw new ConfigException($"{configPath}: Ims: registering without a modem needs a digest account (Ims.Digest): IMS AKA runs on the modem's ISIM");
            }
        }
        catch (ConfigException ex)
        {
            await error.WriteLineAsync($"imue-agent: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.UsageOrConfig;
        }

        using var host = Build(config, configPath, logLevelOverride, modemSettings, account);
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ImUeAgent");
        try
        {
            await host.StartAsync().ConfigureAwait(false);
            await host.WaitForShutdownAsync().ConfigureAwait(false);
            return ExitCodes.Ok;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            logger.DaemonFailed(ex.Message, ex);
            return ExitCodes.Failure;
        }
    }

    internal static IHost Build(AgentConfig config, string configPath, LogLevel? logLevelOverride,
        Modem.BringUp.ModemServiceSettings? modemSettings, DigestAccount? account = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            ApplicationName = ProductInfo.ProductName,
            ContentRootPath = AppContext.BaseDirectory,
        });

        ConfigureLogging(builder.Logging, logLevelOverride ?? config.Daemon.LogLevel);
        builder.Services.Configure<HostOptions>(o =>
        {
            o.ShutdownTimeout = TimeSpan.FromSeconds(config.Daemon.ShutdownTimeoutSeconds);
            o.ServicesStartConcurrently = true;
            // Stopped in reverse order: IMS de-registers before the modem host closes the port and the ISIM.
            o.ServicesStopConcurrently = false;
        });

        builder.Services.AddSingleton(config);
        builder.Services.AddSingleton(new ConfigSource(Path.GetFullPath(configPath)));
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<AgentState>();

        if (SystemdEnvironment.HasNotifySocket)
        {
            // Hosting.Systemd's own detection (parent is PID 1) misses `systemd-run --scope` and test harnesses;
            // NOTIFY_SOCKET is the contract (sd_notify(3)), so its presence is what switches notification on.
            builder.Services.AddSingleton<ISystemdNotifier, SystemdNotifier>();
            builder.Services.AddSingleton<IHostLifetime, SystemdLifetime>();
            builder.Services.AddHostedService<WatchdogService>();
        }
        else
        {
            builder.Services.AddSingleton<ISystemdNotifier, NullNotifier>();
        }

        builder.Services.AddHostedService<StatusReporter>();
        builder.Services.AddSingleton(sp => new ModemHost(modemSettings, sp.GetRequiredService<AgentState>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ModemHost>());
        builder.Services.AddSingleton(sp => new ImsHost(config, account, sp.GetRequiredService<ModemHost>(),
            sp.GetRequiredService<Messaging.MessagingHost>(), sp.GetRequiredService<AgentState>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ImsHost>());
        builder.Services.AddSingleton(sp => new Messaging.MessagingHost(config, sp.GetRequiredService<AgentState>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Messaging.MessagingHost>());
        builder.Services.AddSingleton(new ApiServerSettings(config.Api.SocketPath));
        builder.Services.AddSingleton<IApiMethod, GetInfoMethod>();
        builder.Services.AddSingleton<IApiMethod, GetStatusMethod>();
        builder.Services.AddSingleton<IApiMethod, WatchStatusMethod>();
        builder.Services.AddSingleton<IApiMethod, SendMessageMethod>();
        builder.Services.AddSingleton<IApiMethod, ListInboxMethod>();
        builder.Services.AddSingleton<IApiMethod, WatchInboxMethod>();
        builder.Services.AddSingleton<IApiMethod, AckInboxMethod>();
        builder.Services.AddSingleton<IApiMethod, GetOutgoingMethod>();
        builder.Services.AddSingleton<IApiMethod, WatchDeliveryMethod>();
        builder.Services.AddSingleton<IApiMethod, GetImSettingsMethod>();
        builder.Services.AddSingleton<IApiMethod, SetImSettingsMethod>();
        builder.Services.AddSingleton<IApiMethod, ListDeferredMethod>();
        builder.Services.AddSingleton<IApiMethod, StartChatMethod>();
        builder.Services.AddSingleton<IApiMethod, SendInSessionMethod>();
        builder.Services.AddSingleton<IApiMethod, EndSessionMethod>();
        builder.Services.AddSingleton<IApiMethod, ListSessionsMethod>();
        builder.Services.AddSingleton<IApiMethod, WatchSessionsMethod>();
        builder.Services.AddSingleton<IApiMethod, MarkDisplayedMethod>();
        builder.Services.AddHostedService<ApiServer>();
        return builder.Build();
    }

    private static void ConfigureLogging(ILoggingBuilder logging, LogLevel level)
    {
        logging.SetMinimumLevel(level);
        if (SystemdEnvironment.HasJournalStream)
        {
            // "<6>category: message" lines: journald takes the priority from the prefix and adds its own timestamp.
            logging.AddSystemdConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = null;
            });
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";
                o.ColorBehavior = LoggerColorBehavior.Disabled;
            });
        }

        // Logs go to stderr so that stdout stays for data a command prints.
        logging.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    }

    private static void CheckStateDirectory(string configPath, string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new ConfigException($"{configPath}: Daemon.StateDirectory: '{directory}' does not exist");
        }

        var probe = Path.Combine(directory, $".imue-agent-probe-{Environment.ProcessId}");
        try
        {
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            throw new ConfigException($"{configPath}: Daemon.StateDirectory: '{directory}' is not writable ({ex.Message})");
        }
    }

    /// <summary>Used when no service manager listens: notifications go nowhere.</summary>
    private sealed class NullNotifier : ISystemdNotifier
    {
        public bool IsEnabled => false;

        public void Notify(ServiceState state)
        {
        }
    }
}

/// <summary>Where the configuration came from, for status lines and messages.</summary>
internal sealed record ConfigSource(string Path);

/// <summary>The process exit codes, documented in `imue-agent --help`.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int UsageOrConfig = 2;
}
