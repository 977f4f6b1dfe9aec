// SPDX-License-Identifier: MIT
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using ImUeAgent.Configuration;
using ImUeAgent.Ims.Auth;
using ImUeAgent.Ims.Registration;
using ImUeAgent.Modem.BringUp;
using ImUeAgent.Sip.Auth;
using ImUeAgent.Sip.Transport;
using ImUeAgent.Sip.Ua;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Daemon;

/// <summary>A plain SIP account registered with digest instead of IMS AKA (config Ims.Digest).</summary>
internal sealed record DigestAccount(DigestRegistrationCredentials Credentials, string PublicIdentity, string Domain)
{
    /// <summary>The account from the Ims section, or null without one. Problems name the key (exit 2).</summary>
    public static DigestAccount? FromConfig(ImsSection ims, string configPath)
    {
        if (ims.Digest is not { } digest)
        {
            return null;
        }

        string password;
        if (digest.PasswordFile.Length > 0 == digest.Password.Length > 0)
        {
            throw new ConfigException($"{configPath}: Ims.Digest: set exactly one of Password and PasswordFile");
        }

        if (digest.PasswordFile.Length > 0)
        {
            password = ReadPasswordFile(digest.PasswordFile, configPath);
        }
        else
        {
            password = digest.Password;
        }

        var uri = Sip.Message.SipUri.Parse(digest.PublicIdentity);
        string domain = digest.Domain.Length > 0 ? digest.Domain : uri.Host;
        return new DigestAccount(
            new DigestRegistrationCredentials(digest.Username, password, digest.Realm.Length > 0 ? digest.Realm : null),
            digest.PublicIdentity, domain);
    }

    private static string ReadPasswordFile(string path, string configPath)
    {
        try
        {
            // A secret readable by others is refused, as ssh does with keys: the file is the only place it lives.
            if (!OperatingSystem.IsWindows() &&
                (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
            {
                throw new ConfigException($"{configPath}: Ims.Digest.PasswordFile: '{path}' is readable or writable by group or others (chmod 600 it)");
            }

            using var reader = new StreamReader(path);
            string? line = reader.ReadLine();
            if (string.IsNullOrEmpty(line) || line.Length > 256)
            {
                throw new ConfigException($"{configPath}: Ims.Digest.PasswordFile: '{path}' must hold the password on its first line (1 to 256 characters)");
            }

            return line;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"{configPath}: Ims.Digest.PasswordFile: '{path}' cannot be read ({ex.Message})");
        }
    }
}

/// <summary>
/// Registers to IMS whenever the modem is Ready: identities from the ISIM (or the IMSI), the P-CSCF from the modem
/// (or configuration), SIP bound to the IMS PDN's own address (or the configured network interface's). The modem
/// losing attach or the PDN takes registration down; Ready again brings it back with the new address and P-CSCF
/// list. With a digest account the identities and credentials come from configuration instead, and without a modem
/// it registers once at start through the configured P-CSCFs. De-registers on shutdown.
/// </summary>
internal sealed class ImsHost(AgentConfig config, DigestAccount? account, ModemHost modem, Messaging.MessagingHost messaging, AgentState state,
    TimeProvider time, ILoggerFactory loggers)
    : IHostedService, IAsyncDisposable
{
    /// <summary>'+g.oma.sip-im' goes into Contact beside the application's tags (OMA SIMPLE IM, seed 5.2.x).</summary>
    public const string SipImTag = "+g.oma.sip-im";

    private static readonly TimeSpan RetryMax = TimeSpan.FromSeconds(60);

    private readonly ILogger _logger = loggers.CreateLogger<ImsHost>();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private ImsRegistration? _registration;
    private (IPAddress Local, string Pcscfs)? _bound;
    private Task _watch = Task.CompletedTask;

    /// <summary>The registration now (null when the modem is not Ready); the IM layer follows it.</summary>
    public ImsRegistration? Registration => _registration;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!config.Ims.Register)
        {
            return Task.CompletedTask;
        }

        if (modem.Service is { } service)
        {
            _watch = WatchModemAsync(service, _stopping.Token);
        }
        else if (account is not null)
        {
            _watch = RegisterWithoutModemAsync(_stopping.Token);
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _watch.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_registration is { } registration)
            {
                // De-register while the PDN is still up (the modem host stops after this one).
                await registration.StopAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or IOException or SocketException)
        {
            _logger.DeregistrationIncomplete(ex.Message);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_registration is { } registration)
        {
            _registration = null;
            await registration.DisposeAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
        _gate.Dispose();
    }

    private async Task WatchModemAsync(ModemService service, CancellationToken cancellationToken)
    {
        await foreach (var modemState in service.WatchStateAsync(cancellationToken).ConfigureAwait(false))
        {
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (modemState.Phase != ModemPhase.Ready)
                {
                    await OnModemDownAsync(modemState).ConfigureAwait(false);
                    continue;
                }

                var pcscfs = Pcscfs(modemState.PcscfAddresses);
                var (local, ordered) = BindingFor(config.Ims.NetworkInterface.Length > 0 ? InterfaceAddresses() : modemState.ImsPdnAddresses, pcscfs);
                await EnsureRegistrationAsync(local, ordered, modemState.Imei, () => account is null ? new AkaResponderAdapter(service.Authenticator) : null,
                    () => service.Authenticator.Identity, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or SocketException or NetworkInformationException)
            {
                NotStarted(ex);
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    /// <summary>No modem (a board with its own data link, an ordinary SIP core): register through the configured
    /// P-CSCFs from the configured interface's address, or whichever source address the routing table picks. An
    /// interface that is not up yet is waited for (retried with a growing delay, up to a minute).</summary>
    private async Task RegisterWithoutModemAsync(CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromSeconds(2);
        while (true)
        {
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var pcscfs = Pcscfs(config.Modem.PcscfAddresses);
                var (local, ordered) = BindingFor(config.Ims.NetworkInterface.Length > 0 ? InterfaceAddresses() : RouteSource(pcscfs), pcscfs);
                await EnsureRegistrationAsync(local, ordered, imei: null, () => null, () => throw new InvalidOperationException("no ISIM without a modem"),
                    cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or SocketException or NetworkInformationException)
            {
                NotStarted(ex);
            }
            finally
            {
                _gate.Release();
            }

            await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, RetryMax.Ticks));
        }
    }

    private void NotStarted(Exception ex)
    {
        _logger.RegistrationNotStarted(ex.Message);
        state.Update(s => s with { LastFailure = new FailureSnapshot(time.GetUtcNow(), "ims", ex.Message) });
    }

    private async Task OnModemDownAsync(ModemState modemState)
    {
        if (_registration is not { } lost)
        {
            return;
        }

        // The PDN (or attach) is gone: the registration and its sockets on the old PDN address cannot be kept.
        // Nothing can be sent any more (no de-registration); a new one starts when the modem is Ready.
        _registration = null;
        _bound = null;
        lost.StateChanged -= Mirror;
        await messaging.DetachAsync(lost).ConfigureAwait(false);
        await lost.DisposeAsync().ConfigureAwait(false);
        var reason = $"modem left Ready ({modemState.Phase}{(modemState.Activity is null ? "" : $", {modemState.Activity}")})";
        state.Update(s => s with { Registration = new RegistrationSnapshot { State = "Unregistered", Detail = reason } });
    }

    private async Task EnsureRegistrationAsync(IPAddress local, List<PcscfAddress> pcscfs, string? imei,
        Func<IAkaResponder?> aka, Func<ImUeAgent.Uicc.Isim.ImsIdentity> isimIdentity, CancellationToken cancellationToken)
    {
        var key = (local, string.Join(' ', pcscfs));
        if (_registration is { } current)
        {
            if (_bound == key)
            {
                return;
            }

            if (_bound?.Local.Equals(local) == true)
            {
                // Still Ready on the same address, but the P-CSCF list changed.
                _bound = key;
                current.TriggerRestart("P-CSCF list changed", pcscfs: pcscfs);
                return;
            }

            // The IMS PDN got another address: SIP and MSRP sockets on the old one are useless; start over.
            _registration = null;
            current.StateChanged -= Mirror;
            await messaging.DetachAsync(current).ConfigureAwait(false);
            await current.DisposeAsync().ConfigureAwait(false);
        }

        string impi;
        IReadOnlyList<string> impus;
        string domain;
        if (account is not null)
        {
            (impi, impus, domain) = (account.Credentials.Username, [account.PublicIdentity], account.Domain);
        }
        else
        {
            var identity = isimIdentity();
            (impi, impus, domain) = (identity.Impi, identity.Impus, identity.HomeDomain);
        }

        var settings = new ImsRegistrationSettings
        {
            Impi = impi,
            Impus = impus,
            HomeDomain = domain,
            Pcscfs = pcscfs,
            LocalAddress = local,
            InstanceId = imei is not null ? InstanceId.FromImei(imei) : null,
            ContactFeatureTags = [SipImTag, .. config.Ims.FeatureTags.Where(t => t != SipImTag)],
            Expires = (uint)config.Ims.Expires,
            SubscribeRegEvent = config.Ims.SubscribeRegEvent,
            UserAgent = ProductInfo.UserAgent,
            Digest = account?.Credentials,
            UserAgentSettings = new SipUserAgentSettings
            {
                BindToDevice = config.Ims.NetworkInterface.Length > 0 ? config.Ims.NetworkInterface : null,
            },
        };
        var registration = new ImsRegistration(settings, aka(), time, loggers);
        registration.StateChanged += Mirror;
        _registration = registration;
        _bound = key;
        try
        {
            await messaging.AttachAsync(registration, local, settings.UserAgentSettings.BindToDevice, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            // Registration still goes ahead: the device is reachable for other services, and the reason is shown.
            _logger.ImNotAttached(ex.Message);
            state.Update(s => s with { LastFailure = new FailureSnapshot(time.GetUtcNow(), "im", ex.Message) });
        }

        registration.Start();
        Mirror(registration.State);
    }

    private List<PcscfAddress> Pcscfs(IReadOnlyList<string> addresses)
    {
        var transport = config.Ims.Transport == "tcp" ? SipTransportKind.Tcp : SipTransportKind.Udp;
        var list = new List<PcscfAddress>();
        foreach (var text in addresses)
        {
            if (IPAddress.TryParse(text, out var address))
            {
                list.Add(new PcscfAddress(address, config.Ims.PcscfPort, transport));
            }
        }

        if (list.Count == 0)
        {
            throw new InvalidOperationException(modem.Service is null
                ? "no P-CSCF address to register through (set Modem.PcscfAddresses)"
                : "no usable P-CSCF address (the modem reported none that is an IP address; set Modem.PcscfAddresses)");
        }

        return list;
    }

    /// <summary>The unicast addresses of <see cref="ImsSection.NetworkInterface"/>.</summary>
    private List<IPAddress> InterfaceAddresses()
    {
        string name = config.Ims.NetworkInterface;
        var nic = NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => n.Name == name)
            ?? throw new InvalidOperationException($"Ims.NetworkInterface: interface '{name}' does not exist");
        List<IPAddress> addresses = [.. nic.GetIPProperties().UnicastAddresses.Select(a => a.Address)
            .Where(a => !(a.IsIPv6LinkLocal || a.IsIPv6Multicast))];
        return addresses.Count > 0
            ? addresses
            : throw new InvalidOperationException($"Ims.NetworkInterface: interface '{name}' has no IP address");
    }

    /// <summary>The source address the routing table picks towards each P-CSCF (a connected UDP socket sends nothing).</summary>
    private static List<IPAddress> RouteSource(List<PcscfAddress> pcscfs)
    {
        var sources = new List<IPAddress>();
        foreach (var pcscf in pcscfs)
        {
            using var probe = new Socket(pcscf.Address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                probe.Connect(new IPEndPoint(pcscf.Address, pcscf.Port));
                sources.Add(((IPEndPoint)probe.LocalEndPoint!).Address);
            }
            catch (SocketException)
            {
                // No route to this one; another may have one.
            }
        }

        return sources.Count > 0 ? sources : throw new InvalidOperationException("no route to any P-CSCF");
    }

    /// <summary>
    /// The local address to bind SIP to (the family of the first P-CSCF the IMS PDN or interface can reach, so SIP
    /// never leaves by another PDN), and the P-CSCFs of that family first.
    /// </summary>
    private static (IPAddress Local, List<PcscfAddress> Pcscfs) BindingFor(IReadOnlyList<IPAddress> locals, List<PcscfAddress> pcscfs)
    {
        foreach (var pcscf in pcscfs)
        {
            var local = locals.FirstOrDefault(a => a.AddressFamily == pcscf.Address.AddressFamily);
            if (local is not null)
            {
                return (local, [.. pcscfs.OrderBy(p => p.Address.AddressFamily == local.AddressFamily ? 0 : 1)]);
            }
        }

        throw new InvalidOperationException("the IMS PDN (or interface) has no address of the P-CSCF's address family");
    }

    private void Mirror(RegistrationState registration) => state.Update(s => s with
    {
        Registration = RegistrationSnapshot.From(registration),
        LastFailure = registration.LastFailure is { } failure && (s.LastFailure is null || failure.At >= s.LastFailure.At)
            ? new FailureSnapshot(failure.At, "ims", failure.ToString())
            : s.LastFailure,
    });
}

/// <summary>The registration part of the status.</summary>
internal sealed record RegistrationSnapshot
{
    public required string State { get; init; }

    public string? Pcscf { get; init; }

    public IReadOnlyList<string> PublicIdentities { get; init; } = [];

    public DateTimeOffset? ExpiresAt { get; init; }

    public DateTimeOffset? NextAttemptAt { get; init; }

    public int Attempts { get; init; }

    public bool RegEventSubscribed { get; init; }

    /// <summary>Why there is no registration now, when the agent itself took it down.</summary>
    public string? Detail { get; init; }

    public static RegistrationSnapshot From(RegistrationState r) => new()
    {
        State = r.Status.ToString(),
        Pcscf = r.Pcscf?.ToString(),
        PublicIdentities = r.PublicIdentities,
        ExpiresAt = r.ExpiresAt,
        NextAttemptAt = r.NextAttemptAt,
        Attempts = r.Attempts,
        RegEventSubscribed = r.RegEventSubscribed,
    };

    public string Summary => State switch
    {
        "Registered" => $"registered as {(PublicIdentities.Count > 0 ? PublicIdentities[0] : "-")} via {Pcscf}",
        _ when Detail is not null => $"IMS {State.ToLowerInvariant()}: {Detail}",
        _ => $"IMS {State.ToLowerInvariant()}",
    };
}

internal static partial class ImsHostLog
{
    [LoggerMessage(200, LogLevel.Warning, "IMS registration not started: {Reason}")]
    public static partial void RegistrationNotStarted(this ILogger logger, string reason);

    [LoggerMessage(201, LogLevel.Warning, "de-registration did not complete: {Reason}")]
    public static partial void DeregistrationIncomplete(this ILogger logger, string reason);

    [LoggerMessage(202, LogLevel.Error, "IM client not attached to the registration: {Reason}")]
    public static partial void ImNotAttached(this ILogger logger, string reason);
}
