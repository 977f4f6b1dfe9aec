// SPDX-License-Identifier: MIT
using System.Net;
using System.Net.Sockets;
using ImUeAgent.Configuration;
using ImUeAgent.Ims.Auth;
using ImUeAgent.Ims.Registration;
using ImUeAgent.Modem.BringUp;
using ImUeAgent.Sip.Transport;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Daemon;

/// <summary>
/// Registers to IMS whenever the modem is Ready: identities from the ISIM (or the IMSI), the P-CSCF from the modem
/// (or configuration), SIP bound to the IMS PDN's own address. The modem losing attach or the PDN takes registration
/// down; Ready again brings it back with the new address and P-CSCF list. De-registers on shutdown.
/// </summary>
internal sealed class ImsHost(AgentConfig config, ModemHost modem, AgentState state, TimeProvider time, ILoggerFactory loggers)
    : IHostedService, IAsyncDisposable
{
    /// <summary>'+g.oma.sip-im' goes into Contact beside the application's tags (OMA SIMPLE IM, seed 5.2.x).</summary>
    public const string SipImTag = "+g.oma.sip-im";

    private readonly ILogger _logger = loggers.CreateLogger<ImsHost>();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private ImsRegistration? _registration;
    private (IPAddress Local, string Pcscfs)? _bound;
    private Task _watch = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!config.Ims.Register || modem.Service is null)
        {
            return Task.CompletedTask;
        }

        _watch = WatchModemAsync(modem.Service, _stopping.Token);
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
                await OnModemAsync(service, modemState).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or SocketException)
            {
                _logger.RegistrationNotStarted(ex.Message);
                state.Update(s => s with { LastFailure = new FailureSnapshot(time.GetUtcNow(), "ims", ex.Message) });
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    private async Task OnModemAsync(ModemService service, ModemState modemState)
    {
        if (modemState.Phase != ModemPhase.Ready)
        {
            if (_registration is { } lost)
            {
                // The PDN (or attach) is gone: the registration and its sockets on the old PDN address cannot be
                // kept. Nothing can be sent any more (no de-registration); a new one starts when the modem is Ready.
                _registration = null;
                _bound = null;
                lost.StateChanged -= Mirror;
                await lost.DisposeAsync().ConfigureAwait(false);
                var reason = $"modem left Ready ({modemState.Phase}{(modemState.Activity is null ? "" : $", {modemState.Activity}")})";
                state.Update(s => s with { Registration = new RegistrationSnapshot { State = "Unregistered", Detail = reason } });
            }

            return;
        }

        var (local, pcscfs) = BindingFor(modemState, Pcscfs(modemState));
        var key = (local, string.Join(' ', pcscfs));
        if (_registration is not null)
        {
            if (_bound != key)
            {
                // Still Ready, but the PDN address or the P-CSCF list changed.
                _bound = key;
                _registration.TriggerRestart("IMS PDN address or P-CSCF changed", local, pcscfs);
            }

            return;
        }

        var identity = service.Authenticator.Identity;
        var settings = new ImsRegistrationSettings
        {
            Impi = identity.Impi,
            Impus = identity.Impus,
            HomeDomain = identity.HomeDomain,
            Pcscfs = pcscfs,
            LocalAddress = local,
            InstanceId = modemState.Imei is { } imei ? InstanceId.FromImei(imei) : null,
            ContactFeatureTags = [SipImTag, .. config.Ims.FeatureTags.Where(t => t != SipImTag)],
            Expires = (uint)config.Ims.Expires,
            SubscribeRegEvent = config.Ims.SubscribeRegEvent,
            UserAgent = ProductInfo.UserAgent,
        };
        _registration = new ImsRegistration(settings, new AkaResponderAdapter(service.Authenticator), time, loggers);
        _registration.StateChanged += Mirror;
        _bound = key;
        _registration.Start();
        Mirror(_registration.State);
    }

    private List<PcscfAddress> Pcscfs(ModemState modemState)
    {
        var transport = config.Ims.Transport == "tcp" ? SipTransportKind.Tcp : SipTransportKind.Udp;
        var list = new List<PcscfAddress>();
        foreach (var text in modemState.PcscfAddresses)
        {
            if (IPAddress.TryParse(text, out var address))
            {
                list.Add(new PcscfAddress(address, config.Ims.PcscfPort, transport));
            }
        }

        if (list.Count == 0)
        {
            throw new InvalidOperationException("no usable P-CSCF address (the modem reported none that is an IP address; set Modem.PcscfAddresses)");
        }

        return list;
    }

    /// <summary>
    /// The IMS PDN address to bind SIP to (the family of the first P-CSCF the PDN can reach, so SIP never leaves by
    /// another PDN), and the P-CSCFs of that family first.
    /// </summary>
    private static (IPAddress Local, List<PcscfAddress> Pcscfs) BindingFor(ModemState modemState, List<PcscfAddress> pcscfs)
    {
        foreach (var pcscf in pcscfs)
        {
            var local = modemState.ImsPdnAddresses.FirstOrDefault(a => a.AddressFamily == pcscf.Address.AddressFamily);
            if (local is not null)
            {
                return (local, [.. pcscfs.OrderBy(p => p.Address.AddressFamily == local.AddressFamily ? 0 : 1)]);
            }
        }

        throw new InvalidOperationException("the IMS PDN has no address of the P-CSCF's address family");
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
}
