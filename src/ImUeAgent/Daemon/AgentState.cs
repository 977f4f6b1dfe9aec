// SPDX-License-Identifier: MIT
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Daemon;

/// <summary>
/// The daemon's observable state, one immutable snapshot at a time: what the API's GetStatus returns and WatchStatus
/// streams, and what STATUS= tells systemd in one line. Components change it through <see cref="Update"/>.
/// </summary>
internal sealed class AgentState
{
    private readonly Lock _gate = new();
    private readonly List<Channel<StatusSnapshot>> _watchers = [];
    private readonly ISystemdNotifier _notifier;
    private readonly ILogger<AgentState> _logger;
    private StatusSnapshot _current;

    public AgentState(ISystemdNotifier notifier, ConfigSource source, TimeProvider time, ILogger<AgentState> logger)
    {
        _notifier = notifier;
        _logger = logger;
        _current = new StatusSnapshot
        {
            Sequence = 0,
            Daemon = DaemonPhase.Starting,
            Version = ProductInfo.Version,
            UserAgent = ProductInfo.UserAgent,
            Pid = Environment.ProcessId,
            StartedAt = time.GetUtcNow(),
            Config = source.Path,
        };
    }

    public StatusSnapshot Current
    {
        get
        {
            lock (_gate)
            {
                return _current;
            }
        }
    }

    /// <summary>Applies a change; watchers, the log and systemd hear of it when the summary line changes.</summary>
    public void Update(Func<StatusSnapshot, StatusSnapshot> change)
    {
        StatusSnapshot before, after;
        Channel<StatusSnapshot>[] watchers;
        lock (_gate)
        {
            before = _current;
            after = change(before) with { Sequence = before.Sequence + 1 };
            if (Same(after with { Sequence = before.Sequence }, before))
            {
                return;
            }

            _current = after;
            watchers = [.. _watchers];
        }

        foreach (var watcher in watchers)
        {
            watcher.Writer.TryWrite(after);
        }

        var line = after.Summary;
        if (line != before.Summary)
        {
            _logger.StatusChanged(line);
            _notifier.Notify(new ServiceState("STATUS=" + line));
        }
    }

    /// <summary>Records compare lists by reference; the status is equal when its JSON form is.</summary>
    private static bool Same(StatusSnapshot a, StatusSnapshot b) => a == b
        || System.Text.Json.JsonSerializer.Serialize(a, Api.ApiJsonContext.Default.StatusSnapshot)
        == System.Text.Json.JsonSerializer.Serialize(b, Api.ApiJsonContext.Default.StatusSnapshot);

    /// <summary>
    /// The current snapshot, then every later one, until cancelled. A watcher that falls more than 64 changes behind
    /// skips the oldest: state is what matters, and the last snapshot is always delivered.
    /// </summary>
    public async IAsyncEnumerable<StatusSnapshot> WatchAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<StatusSnapshot>(new BoundedChannelOptions(64)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        lock (_gate)
        {
            channel.Writer.TryWrite(_current);
            _watchers.Add(channel);
        }

        try
        {
            await foreach (var snapshot in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return snapshot;
            }
        }
        finally
        {
            lock (_gate)
            {
                _watchers.Remove(channel);
            }
        }
    }
}

[JsonConverter(typeof(JsonStringEnumConverter<DaemonPhase>))]
internal enum DaemonPhase
{
    [JsonStringEnumMemberName("starting")]
    Starting,

    [JsonStringEnumMemberName("running")]
    Running,

    [JsonStringEnumMemberName("stopping")]
    Stopping,
}

/// <summary>A failure worth showing to people and programs: when, which part, and the reason in words.</summary>
internal sealed record FailureSnapshot(DateTimeOffset At, string Component, string Reason);

/// <summary>One state of the daemon. Sections are added as components start reporting.</summary>
/// <summary>The IM service settings publication in the status: status, the IM server's last answer, expiry.</summary>
internal sealed record ImSettingsSnapshot(string Status, int? LastStatusCode, DateTimeOffset? ExpiresAt, string? Failure);

internal sealed record StatusSnapshot
{
    public long Sequence { get; init; }

    public DaemonPhase Daemon { get; init; }

    public required string Version { get; init; }

    public required string UserAgent { get; init; }

    public int Pid { get; init; }

    public DateTimeOffset StartedAt { get; init; }

    public required string Config { get; init; }

    public FailureSnapshot? LastFailure { get; init; }

    /// <summary>The modem, when one is configured.</summary>
    public ModemSnapshot? Modem { get; init; }

    /// <summary>IMS registration, once it has started.</summary>
    public RegistrationSnapshot? Registration { get; init; }

    /// <summary>The IM service settings publication (5.2.4), while one is kept.</summary>
    public ImSettingsSnapshot? ImSettings { get; init; }

    /// <summary>The one-line form for STATUS= and the log.</summary>
    [JsonIgnore]
    public string Summary => Daemon switch
    {
        DaemonPhase.Starting => "starting",
        DaemonPhase.Stopping => "stopping",
        _ when Modem is { Phase: not "Ready" } modem && LastFailure is { Component: "modem" } failure =>
            $"{modem.Summary}; last failure: {failure.Reason}",
        // No modem (a digest account over the board's own link): registration is all there is to say.
        _ when Modem is null or { Phase: "Ready" } && Registration is { State: "Registered" } registration => registration.Summary,
        _ when Modem is null or { Phase: "Ready" } && Registration is { } registration && LastFailure is { Component: "ims" } failure =>
            $"{registration.Summary}; last failure: {failure.Reason}",
        _ when Modem is null or { Phase: "Ready" } && Registration is { } registration => registration.Summary,
        _ when Modem is { } modem => modem.Summary,
        _ when LastFailure is { } failure => $"running; last failure: {failure.Component}: {failure.Reason}",
        _ => $"running (config {Config})",
    };
}
