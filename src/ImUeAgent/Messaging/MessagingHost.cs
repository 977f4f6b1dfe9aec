// SPDX-License-Identifier: MIT
using System.Net;
using System.Net.Sockets;
using ImUeAgent.Configuration;
using ImUeAgent.Daemon;
using ImUeAgent.Im.Client;
using ImUeAgent.Im.Settings;
using ImUeAgent.Im.Store;
using ImUeAgent.Ims.Registration;
using ImUeAgent.Msrp.Sessions;
using ImUeAgent.Msrp.Transport;
using ImUeAgent.Sip.Transport;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Messaging;

/// <summary>
/// The durable message store of the daemon (StateDirectory/messages.db), the IM client that follows each IMS
/// registration, and the feeds API watchers wait on. The store opens before anything can receive or accept a
/// message; a store that cannot be opened (another instance holds its lock, the disk is read-only) is reported once
/// and leaves messaging unavailable while the rest of the daemon runs. The IM client (with its MSRP listener on the
/// IMS PDN's address) is attached to a registration before that registration starts, so no request finds it absent.
/// </summary>
internal sealed class MessagingHost(AgentConfig config, AgentState state, TimeProvider time, ILoggerFactory loggers)
    : IHostedService, IAsyncDisposable
{
    public const string DatabaseFileName = "messages.db";

    private readonly ILogger _logger = loggers.CreateLogger<MessagingHost>();
    private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ImClient? _client;
    private ImsRegistration? _attachedTo;
    private MsrpEndpoint? _msrp;
    private MsrpTcpListener? _msrpListener;
    private ImSettingsPublisher? _publisher;
    private ImSettingsStore? _settingsStore;
    private ImSettings _settings = new();
    private bool _stopped;

    /// <summary>The IM service settings in force (configured defaults, or what the user set last through the API).</summary>
    public ImSettings Settings => _settings;

    /// <summary>The settings publication's state, or null when publishing is off or there is no registration.</summary>
    public ImSettingsPublicationState? Publication => _publisher?.State;

    /// <summary>The registration the IM client follows now.</summary>
    public ImsRegistration? Registration => _attachedTo;

    /// <summary>The IM client of the current registration, or null.</summary>
    public ImClient? Client => _client;

    /// <summary>The store, or null when it could not be opened (see <see cref="Unavailable"/>).</summary>
    public MessageStore? Store { get; private set; }

    /// <summary>Why messaging is unavailable, when it is.</summary>
    public string? Unavailable { get; private set; } = "the message store is not open yet";

    /// <summary>Signalled after every inbox insert or acknowledgement.</summary>
    public ChangeFeed InboxChanged { get; } = new();

    /// <summary>Signalled after every outbox enqueue or state change.</summary>
    public ChangeFeed OutboxChanged { get; } = new();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _settingsStore = new ImSettingsStore(config.Daemon.StateDirectory, config.Im.Settings);
        _settings = _settingsStore.Load(out var settingsProblem);
        if (settingsProblem is not null)
        {
            _logger.SettingsFileIgnored(settingsProblem);
        }

        var path = Path.Combine(config.Daemon.StateDirectory, DatabaseFileName);
        try
        {
            Store = await MessageStore.OpenAsync(new MessageStoreSettings { DatabasePath = path },
                loggers.CreateLogger("ImUeAgent.Im.Store"), time, cancellationToken).ConfigureAwait(false);
            Unavailable = null;
            _logger.StoreOpened(path, Store.SchemaVersion, Store.RequeuedOnOpen);
        }
        catch (MessageStoreException ex)
        {
            Unavailable = $"message store {path}: {ex.Message}";
            _logger.StoreUnavailable(Unavailable);
            state.Update(s => s with { LastFailure = new FailureSnapshot(time.GetUtcNow(), "store", ex.Message) });
        }
        finally
        {
            _opened.TrySetResult();
        }
    }

    /// <summary>
    /// Puts an IM client on a new registration (before it starts): an MSRP endpoint and listener on
    /// <paramref name="local"/> (tied to <paramref name="device"/> when set), the client's request handlers on the
    /// registration's UA, and its sender loop. Without a store the registration runs without IM.
    /// </summary>
    public async Task AttachAsync(ImsRegistration registration, IPAddress local, string? device, CancellationToken cancellationToken)
    {
        await _opened.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_stopped || Store is not { } store)
            {
                return;
            }

            await DetachCoreAsync().ConfigureAwait(false);
            Action<Socket>? tie = device is null ? null : socket => SocketTuning.BindToDeviceOrWarn(socket, device, _logger);
            var msrp = new MsrpEndpoint(new MsrpEndpointOptions { Host = local.ToString() },
                MsrpTcpTransport.CreateConnector(localEndPoint: new IPEndPoint(local, 0), configureSocket: tie), loggers, time);
            MsrpTcpListener listener;
            try
            {
                listener = new MsrpTcpListener(msrp, new IPEndPoint(local, 0), logger: loggers.CreateLogger("ImUeAgent.Msrp"), configureSocket: tie);
            }
            catch (SocketException)
            {
                await msrp.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            listener.Start();
            var client = new ImClient(ClientSettings(config), registration, store, msrp, time, loggers);
            client.InboxAdded += _ => InboxChanged.Signal();
            client.OutboxChanged += _ => OutboxChanged.Signal();
            (_client, _attachedTo, _msrp, _msrpListener) = (client, registration, msrp, listener);
            await client.StartAsync(cancellationToken).ConfigureAwait(false);
            if (config.Im.Settings.Publish)
            {
                _publisher = new ImSettingsPublisher(registration, _settings, new ImSettingsPublisherSettings
                {
                    UserAgent = ProductInfo.UserAgent,
                    Expires = (uint)config.Im.Settings.Expires,
                    ApplicationFeatureTags = config.Im.AcceptContactTags,
                }, time, loggers);
                _publisher.StateChanged += p => state.Update(s => s with
                {
                    ImSettings = new ImSettingsSnapshot(p.Status.ToString(), p.LastStatusCode, p.ExpiresAt, p.FailureText),
                });
                _publisher.Start();
            }

            _logger.ImAttached(local.ToString(), listener.LocalEndPoint.Port);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Takes the IM client off a registration that is going away.</summary>
    public async Task DetachAsync(ImsRegistration registration)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (ReferenceEquals(_attachedTo, registration))
            {
                await DetachCoreAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Stop sending and receiving before IMS de-registers (that host stops after this one); the store stays
            // open until every commit in flight is done.
            _stopped = true;
            if (_publisher is { } publisher)
            {
                // 5.2.4: the settings publication is removed on shutdown, while still registered.
                await publisher.StopAsync(cancellationToken).ConfigureAwait(false);
            }

            await DetachCoreAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The user changed the IM service settings: saved first (they survive a restart), then published (a modify of
    /// the current publication, 5.2.4); returns the publication state after the attempt (its status code is what the
    /// user is told), or null when publishing is off or there is no registration.
    /// </summary>
    public async Task<ImSettingsPublicationState?> UpdateSettingsAsync(ImSettings settings, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _settingsStore?.Save(settings);
            _settings = settings;
            return _publisher is { } publisher ? await publisher.UpdateAsync(settings, cancellationToken).ConfigureAwait(false) : null;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task DetachCoreAsync()
    {
        var (client, listener, msrp, publisher) = (_client, _msrpListener, _msrp, _publisher);
        (_client, _attachedTo, _msrpListener, _msrp, _publisher) = (null, null, null, null, null);
        if (publisher is not null)
        {
            await publisher.DisposeAsync().ConfigureAwait(false);
            state.Update(s => s with { ImSettings = null });
        }

        if (client is not null)
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }

        if (listener is not null)
        {
            await listener.DisposeAsync().ConfigureAwait(false);
        }

        if (msrp is not null)
        {
            await msrp.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The IM client settings from the Im section; a feature tag or application the client would refuse
    /// stops the daemon at start, naming the key (exit 2).</summary>
    public static ImClientSettings CheckedClientSettings(AgentConfig config, string configPath)
    {
        var settings = ClientSettings(config);
        if (config.Im.DefaultApplication.Length > 0 && !config.Im.Applications.ContainsKey(config.Im.DefaultApplication))
        {
            throw new ConfigException($"{configPath}: Im.DefaultApplication: '{config.Im.DefaultApplication}' is not one of Im.Applications ({string.Join(", ", config.Im.Applications.Keys)})");
        }

        try
        {
            settings.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new ConfigException($"{configPath}: Im: {ex.Message}");
        }

        return settings;
    }

    private static ImClientSettings ClientSettings(AgentConfig config) => new()
    {
        Applications = [.. config.Im.Applications.Select(a => new ImApplication(a.Key, a.Value))],
        DefaultApplicationId = config.Im.DefaultApplication.Length > 0 ? config.Im.DefaultApplication : null,
        ConferenceFactoryUri = config.Im.ConferenceFactoryUri.Length > 0 ? config.Im.ConferenceFactoryUri : null,
        ApplicationFeatureTags = config.Im.AcceptContactTags,
        ContactFeatureTags = [.. config.Ims.FeatureTags.Where(t => t != ImsHost.SipImTag)],
        UserAgent = ProductInfo.UserAgent,
        AssumeConnectionOrientedTransport = config.Im.AssumeConnectionOrientedTransport,
        RequestAnonymity = config.Im.Anonymous,
        SessionAcceptPolicy = config.Im.AcceptIncomingSessions ? ImSessionAcceptPolicy.Accept : ImSessionAcceptPolicy.Decline,
        AcceptDeferredPush = config.Im.AcceptDeferredPush,
    };

    public async ValueTask DisposeAsync()
    {
        await DetachCoreAsync().ConfigureAwait(false);
        if (Store is { } store)
        {
            Store = null;
            Unavailable = "the daemon is stopping";
            await store.DisposeAsync().ConfigureAwait(false);
        }

        _gate.Dispose();
    }
}

internal static partial class MessagingLog
{
    [LoggerMessage(400, LogLevel.Information, "message store {Path} open (schema {Version}, {Requeued} outgoing messages re-queued)")]
    public static partial void StoreOpened(this ILogger logger, string path, int version, int requeued);

    [LoggerMessage(401, LogLevel.Error, "messaging unavailable: {Reason}")]
    public static partial void StoreUnavailable(this ILogger logger, string reason);

    [LoggerMessage(402, LogLevel.Information, "IM client attached: MSRP on {Address}:{Port}")]
    public static partial void ImAttached(this ILogger logger, string address, int port);

    [LoggerMessage(404, LogLevel.Warning, "saved IM settings ignored: {Problem}")]
    public static partial void SettingsFileIgnored(this ILogger logger, string problem);
}
