// SPDX-License-Identifier: MIT
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImUeAgent.Configuration;

/// <summary>
/// The whole agent.json. Bound by the configuration-binding source generator (no reflection); every key that may
/// appear is listed in <see cref="AgentConfigSchema"/> so an unknown key is rejected with its line before binding.
/// </summary>
internal sealed class AgentConfig
{
    [ValidateObjectMembers]
    public DaemonSection Daemon { get; set; } = new();
}

/// <summary>Settings of the daemon process itself.</summary>
internal sealed class DaemonSection
{
    /// <summary>Where durable state (the message store) lives; must exist and be writable by the daemon.</summary>
    [Required(AllowEmptyStrings = false)]
    public string StateDirectory { get; set; } = "/var/lib/imue-agent";

    /// <summary>Minimum level written to the console or journal.</summary>
    public LogLevel LogLevel { get; set; } = LogLevel.Information;

    /// <summary>Time the daemon gives its services to stop after SIGTERM, before it exits anyway.</summary>
    [Range(1, 30)]
    public int ShutdownTimeoutSeconds { get; set; } = 4;
}

/// <summary>
/// The key tree accepted in agent.json, one entry per bindable property above (kept outside the bound types so the
/// binder generator does not see it). A test checks it against those properties, so a key cannot be forgotten.
/// </summary>
internal static class AgentConfigSchema
{
    public static ConfigSchema Root { get; } = ConfigSchema.Section(
        (nameof(AgentConfig.Daemon), ConfigSchema.Section(
            (nameof(DaemonSection.StateDirectory), ConfigSchema.Value),
            (nameof(DaemonSection.LogLevel), ConfigSchema.Value),
            (nameof(DaemonSection.ShutdownTimeoutSeconds), ConfigSchema.Value))));
}

/// <summary>Range and presence checks, generated at compile time (no reflection, AOT-clean).</summary>
[OptionsValidator]
internal sealed partial class AgentConfigValidator : IValidateOptions<AgentConfig>;
