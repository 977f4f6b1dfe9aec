// SPDX-License-Identifier: MIT
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Daemon;

/// <summary>
/// The daemon's one-line state, as `systemctl status` shows it (STATUS=). Components set it; every change is sent
/// to the service manager and logged once.
/// </summary>
internal sealed class AgentStatus(ISystemdNotifier notifier, ILogger<AgentStatus> logger)
{
    private readonly Lock _gate = new();
    private string _line = "starting";

    public string Line
    {
        get
        {
            lock (_gate)
            {
                return _line;
            }
        }
    }

    public void Set(string line)
    {
        lock (_gate)
        {
            if (line == _line)
            {
                return;
            }

            _line = line;
        }

        logger.StatusChanged(line);
        notifier.Notify(new ServiceState("STATUS=" + line.Replace('\n', ' ')));
    }
}

/// <summary>Reports the life cycle of the daemon through <see cref="AgentStatus"/>.</summary>
internal sealed class StatusReporter(
    AgentStatus status, ConfigSource source, IHostApplicationLifetime lifetime, ILogger<StatusReporter> logger)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        logger.Starting(ProductInfo.Version, ProductInfo.UserAgent, source.Path, Environment.ProcessId);
        lifetime.ApplicationStarted.Register(() => status.Set($"running (config {source.Path})"));
        lifetime.ApplicationStopping.Register(() => status.Set("stopping"));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        logger.Stopped();
        return Task.CompletedTask;
    }
}
