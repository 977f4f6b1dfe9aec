// SPDX-License-Identifier: MIT
using ImUeAgent.Configuration;
using ImUeAgent.Modem.BringUp;
using ImUeAgent.Modem.Power;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Daemon;

/// <summary>
/// Hosts the <see cref="ModemService"/> when Modem.Port is configured: starts bring-up (which then runs and
/// recovers by itself), mirrors every modem state into <see cref="AgentState"/>, and closes the ISIM channel and the
/// port on shutdown.
/// </summary>
internal sealed class ModemHost(ModemServiceSettings? settings, AgentState state, TimeProvider time, ILoggerFactory loggers)
    : IHostedService, IAsyncDisposable
{
    private ModemService? _service;

    public ModemService? Service => _service;

    /// <summary>The service settings from the Modem section, or null without a port. Problems name the key.</summary>
    public static ModemServiceSettings? CreateSettings(ModemSection modem, string configPath)
    {
        if (string.IsNullOrEmpty(modem.Port))
        {
            return null;
        }

        if (!Modem.Ports.ModemPortAddress.TryParse(modem.Port, out _, out var portError))
        {
            throw new ConfigException($"{configPath}: Modem.Port: '{modem.Port}' is not a modem port address ({portError})");
        }

        // The packaged profiles may be absent (a bare binary on a dev board): plain 27.007 then. A directory named in
        // the file must exist.
        var profileDirectory = modem.ProfileDirectory;
        if (profileDirectory == ModemSection.DefaultProfileDirectory && !Directory.Exists(profileDirectory))
        {
            profileDirectory = null;
        }
        else if (!Directory.Exists(profileDirectory))
        {
            throw new ConfigException($"{configPath}: Modem.ProfileDirectory: '{modem.ProfileDirectory}' does not exist");
        }

        if (modem.SoftIsimKeyFile.Length > 0 && !File.Exists(modem.SoftIsimKeyFile))
        {
            throw new ConfigException($"{configPath}: Modem.SoftIsimKeyFile: '{modem.SoftIsimKeyFile}' does not exist");
        }

        BoardDescription? board = null;
        if (modem.Board.Length > 0)
        {
            try
            {
                board = BoardDescription.Load(modem.Board);
            }
            catch (BoardDescriptionException ex)
            {
                throw new ConfigException($"{configPath}: Modem.Board: {ex.Message}");
            }
        }

        var settings = new ModemServiceSettings
        {
            Port = modem.Port,
            ProfileDirectory = profileDirectory,
            ProfileName = modem.Profile.Length == 0 ? null : modem.Profile,
            ImsApn = modem.ImsApn,
            ImsPdnCid = modem.ImsPdnCid,
            PdnType = Enum.Parse<ImsPdnType>(modem.PdnType, ignoreCase: true),
            PcscfOverride = modem.PcscfAddresses,
            DisableModuleImsClient = modem.DisableModuleImsClient,
            SimPin = modem.SimPin.Length == 0 ? null : modem.SimPin,
            MncLength = modem.MncLength,
            SoftIsimKeyFile = modem.SoftIsimKeyFile.Length == 0 ? null : modem.SoftIsimKeyFile,
            PowerBoard = board,
        };
        try
        {
            settings.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new ConfigException($"{configPath}: Modem.{ex.Message}");
        }

        return settings;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (settings is null)
        {
            return;
        }

        _service = new ModemService(settings, time, loggers);
        _service.StateChanged += Mirror;
        Mirror(_service.State);
        await _service.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        if (_service is { } service)
        {
            _service = null;
            await service.DisposeAsync().ConfigureAwait(false);
            service.StateChanged -= Mirror;
        }
    }

    private void Mirror(ModemState modem) => state.Update(s => s with
    {
        Modem = ModemSnapshot.From(modem),
        LastFailure = modem.LastFailure is { } failure && (s.LastFailure is null || failure.At >= s.LastFailure.At)
            ? new FailureSnapshot(failure.At, "modem", failure.Message)
            : s.LastFailure,
    });
}
