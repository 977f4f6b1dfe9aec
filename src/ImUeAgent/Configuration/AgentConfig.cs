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

    [ValidateObjectMembers]
    public ApiSection Api { get; set; } = new();
}

/// <summary>The local API (varlink-style JSON over a Unix domain socket) that applications and the CLI use.</summary>
internal sealed class ApiSection
{
    public const string DefaultSocketPath = "/run/imue-agent/api.sock";

    /// <summary>Socket path; created with mode 0660 so members of the daemon's group may call it.</summary>
    [Required(AllowEmptyStrings = false)]
    [RegularExpression("^/.{1,100}$", ErrorMessage = "must be an absolute path of at most 100 characters")]
    public string SocketPath { get; set; } = DefaultSocketPath;
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
            (nameof(DaemonSection.ShutdownTimeoutSeconds), ConfigSchema.Value))),
        (nameof(AgentConfig.Api), ConfigSchema.Section(
            (nameof(ApiSection.SocketPath), ConfigSchema.Value))));
}

/// <summary>Range and presence checks, generated at compile time (no reflection, AOT-clean).</summary>
[OptionsValidator]
internal sealed partial class AgentConfigValidator : IValidateOptions<AgentConfig>;
