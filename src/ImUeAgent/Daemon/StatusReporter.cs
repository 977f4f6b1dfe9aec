// SPDX-License-Identifier: MIT
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Daemon;

/// <summary>Reports the life cycle of the daemon itself through <see cref="AgentState"/>.</summary>
internal sealed class StatusReporter(
    AgentState state, ConfigSource source, IHostApplicationLifetime lifetime, ILogger<StatusReporter> logger)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        logger.Starting(ProductInfo.Version, ProductInfo.UserAgent, source.Path, Environment.ProcessId);
        lifetime.ApplicationStarted.Register(() => state.Update(s => s with { Daemon = DaemonPhase.Running }));
        lifetime.ApplicationStopping.Register(() => state.Update(s => s with { Daemon = DaemonPhase.Stopping }));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        logger.Stopped();
        return Task.CompletedTask;
    }
}
