// SPDX-License-Identifier: MIT
using ImUeAgent.Uicc.Aka;
using ImUeAgent.Uicc.Apdu;
using ImUeAgent.Uicc.Files;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImUeAgent.Uicc.Isim;

/// <summary>
/// The card's ISIM on a logical channel (STYLE.md §11: the policy-free part above <see cref="IUiccChannel"/>):
/// finds the ISIM AID in EF_DIR, opens a channel to it, reads IMPI, DOMAIN, IMPU, IST and P-CSCF
/// (TS 31.103 §4.2), and runs AUTHENTICATE in the IMS AKA context. The channel stays open for AUTHENTICATE and is
/// closed by <see cref="DisposeAsync"/>, or at once when opening fails.
/// </summary>
public sealed class IsimApplication : IImsAkaAuthenticator, IAsyncDisposable
{
    private readonly IUiccChannel _channel;
    private readonly ApduTransceiver _transceiver;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private int _disposed;

    private IsimApplication(IUiccChannel channel, int session, UiccApplication application, ImsIdentity identity,
        IReadOnlyList<PcscfAddress> pcscfAddresses, IsimServiceTable? serviceTable, ILogger logger)
    {
        _channel = channel;
        Session = session;
        Application = application;
        Identity = identity;
        PcscfAddresses = pcscfAddresses;
        ServiceTable = serviceTable;
        _logger = logger;
        _transceiver = new ApduTransceiver(channel, session);
    }

    /// <summary>The ISIM application (full AID, label).</summary>
    public UiccApplication Application { get; }

    /// <summary>The session handle of the open logical channel.</summary>
    public int Session { get; }

    /// <inheritdoc/>
    public ImsIdentity Identity { get; }

    /// <summary>EF_P-CSCF records in priority order; empty when the file is absent.</summary>
    public IReadOnlyList<PcscfAddress> PcscfAddresses { get; }

    /// <summary>EF_IST, or null when the file is absent.</summary>
    public IsimServiceTable? ServiceTable { get; }

    /// <summary>
    /// Reads EF_DIR (2F00) on the basic channel: every application with its full AID and label. Unused records are
    /// skipped, malformed ones logged and skipped; no EF_DIR gives an empty list.
    /// </summary>
    public static ValueTask<IReadOnlyList<UiccApplication>> ReadApplicationsAsync(IUiccChannel channel,
        ILogger? logger, CancellationToken cancellationToken)
        => ReadApplicationsAsync(channel, UiccReadOptions.Default, logger, cancellationToken);

    /// <summary>
    /// Reads EF_DIR (2F00) on the basic channel, selecting and reading as <paramref name="options"/> say.
    /// </summary>
    public static async ValueTask<IReadOnlyList<UiccApplication>> ReadApplicationsAsync(IUiccChannel channel,
        UiccReadOptions options, ILogger? logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(options);
        logger ??= NullLogger.Instance;
        var reader = new ElementaryFileReader(new ApduTransceiver(channel, session: null), options.Select);
        ReadOnlySpan<byte> path = [IsimFileIds.Dir >> 8, IsimFileIds.Dir & 0xFF];
        var fcp = await reader.SelectAsync(CommandApdu.SelectByPathFromMf(path, options.Select), "EF_DIR",
            cancellationToken).ConfigureAwait(false);
        if (fcp is null)
        {
            return [];
        }

        var records = await reader.ReadRecordsAsync(fcp, "EF_DIR", cancellationToken).ConfigureAwait(false);
        var applications = new List<UiccApplication>(records.Count);
        for (var i = 0; i < records.Count; i++)
        {
            var error = UiccApplication.TryParseDirectoryRecord(records[i], out var application);
            if (error == FileParseError.Empty)
            {
                continue;
            }

            if (error != FileParseError.None)
            {
                logger.DirectoryRecordSkipped(i + 1, error);
                continue;
            }

            logger.ApplicationListed(application!.ToString());
            applications.Add(application);
        }

        return applications;
    }

    /// <summary>Finds the ISIM in EF_DIR and opens it; throws <see cref="UiccErrorReason.IsimNotFound"/> if none.</summary>
    public static ValueTask<IsimApplication> OpenAsync(IUiccChannel channel, ILogger? logger,
        CancellationToken cancellationToken)
        => OpenAsync(channel, UiccReadOptions.Default, logger, cancellationToken);

    /// <summary>
    /// Finds the ISIM in EF_DIR and opens it, selecting and reading every EF as <paramref name="options"/> say;
    /// throws <see cref="UiccErrorReason.IsimNotFound"/> if none.
    /// </summary>
    public static async ValueTask<IsimApplication> OpenAsync(IUiccChannel channel, UiccReadOptions options,
        ILogger? logger, CancellationToken cancellationToken)
    {
        var applications = await ReadApplicationsAsync(channel, options, logger, cancellationToken).ConfigureAwait(false);
        var isim = applications.FirstOrDefault(a => a.Kind == UiccApplicationKind.Isim)
            ?? throw new UiccException(UiccErrorReason.IsimNotFound,
                $"EF_DIR lists no ISIM application ({applications.Count} application(s) found)");
        return await OpenAsync(channel, isim, options, logger, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens a logical channel to <paramref name="application"/> and reads its identities. On any failure,
    /// cancellation included, the channel is closed before the exception propagates.
    /// </summary>
    public static ValueTask<IsimApplication> OpenAsync(IUiccChannel channel, UiccApplication application,
        ILogger? logger, CancellationToken cancellationToken)
        => OpenAsync(channel, application, UiccReadOptions.Default, logger, cancellationToken);

    /// <summary>
    /// Opens a logical channel to <paramref name="application"/> and reads its identities, selecting and reading
    /// every EF as <paramref name="options"/> say. On any failure, cancellation included, the channel is closed
    /// before the exception propagates.
    /// </summary>
    public static async ValueTask<IsimApplication> OpenAsync(IUiccChannel channel, UiccApplication application,
        UiccReadOptions options, ILogger? logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(application);
        ArgumentNullException.ThrowIfNull(options);
        logger ??= NullLogger.Instance;
        var session = await channel.OpenLogicalChannelAsync(application.Aid, cancellationToken).ConfigureAwait(false);
        logger.IsimOpened(application.AidHex, session);
        try
        {
            var reader = new ElementaryFileReader(new ApduTransceiver(channel, session), options.Select);
            var impi = await ReadTextFileAsync(reader, IsimFileIds.Impi, "EF_IMPI", cancellationToken).ConfigureAwait(false);
            var domain = await ReadTextFileAsync(reader, IsimFileIds.Domain, "EF_DOMAIN", cancellationToken).ConfigureAwait(false);
            var impus = await ReadImpusAsync(reader, logger, cancellationToken).ConfigureAwait(false);
            var ist = await ReadServiceTableAsync(reader, logger, cancellationToken).ConfigureAwait(false);
            var pcscf = await ReadPcscfAsync(reader, logger, cancellationToken).ConfigureAwait(false);
            logger.IsimIdentitiesRead(impus.Count, pcscf.Count);
            return new IsimApplication(channel, session, application, new ImsIdentity(impi, impus, domain), pcscf, ist,
                logger);
        }
        catch
        {
            await CloseAsync(channel, session, logger).ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc/>
    public async ValueTask<AkaResult> AuthenticateAsync(ReadOnlyMemory<byte> rand, ReadOnlyMemory<byte> autn,
        CancellationToken cancellationToken)
    {
        var command = CommandApdu.AuthenticateImsAka(rand.Span, autn.Span);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            var response = await _transceiver.TransmitAsync(command, cancellationToken).ConfigureAwait(false);
            var result = AuthenticateResponse.Interpret(response);
            _logger.AkaOutcome(result.Outcome);
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Closes the logical channel (+CCHC) once; a failure to close is logged, not thrown.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Wait for a running AUTHENTICATE so the channel is not closed under it.
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await CloseAsync(_channel, Session, _logger).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"ISIM {Application.AidHex} on session {Session}";

    private static async ValueTask CloseAsync(IUiccChannel channel, int session, ILogger logger)
    {
        try
        {
            // Not the caller's token: a cancelled open must still give the channel back.
            await channel.CloseLogicalChannelAsync(session, CancellationToken.None).ConfigureAwait(false);
            logger.IsimClosed(session);
        }
#pragma warning disable CA1031 // Closing is best effort on a path that already has an outcome; it is logged.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            logger.IsimCloseFailed(session, exception);
        }
    }

    private static async ValueTask<string> ReadTextFileAsync(ElementaryFileReader reader, ushort fileId, string name,
        CancellationToken cancellationToken)
    {
        var fcp = await reader.SelectAsync(reader.SelectByFileId(fileId), name, cancellationToken).ConfigureAwait(false)
            ?? throw new UiccException(UiccErrorReason.MandatoryFileMissing, $"ISIM has no {name} ({fileId:X4})",
                StatusWords.FileNotFound);
        var content = await reader.ReadTransparentAsync(fcp, name, cancellationToken).ConfigureAwait(false);
        var error = IsimFiles.TryParseText(content, out var text);
        if (error != FileParseError.None)
        {
            throw new UiccException(UiccErrorReason.MalformedFileContent,
                $"{name} ({fileId:X4}) rejected: {error} ({content.Length} bytes)");
        }

        return text!;
    }

    private static async ValueTask<List<string>> ReadImpusAsync(ElementaryFileReader reader, ILogger logger,
        CancellationToken cancellationToken)
    {
        const string name = "EF_IMPU";
        var fcp = await reader.SelectAsync(reader.SelectByFileId(IsimFileIds.Impu), name, cancellationToken)
                .ConfigureAwait(false)
            ?? throw new UiccException(UiccErrorReason.MandatoryFileMissing, $"ISIM has no {name} (6F04)",
                StatusWords.FileNotFound);
        var records = await reader.ReadRecordsAsync(fcp, name, cancellationToken).ConfigureAwait(false);
        var impus = new List<string>(records.Count);
        for (var i = 0; i < records.Count; i++)
        {
            var error = IsimFiles.TryParseText(records[i], out var impu);
            if (error == FileParseError.None)
            {
                impus.Add(impu!);
            }
            else if (error != FileParseError.Empty)
            {
                logger.RecordSkipped(IsimFileIds.Impu, i + 1, error);
            }
        }

        if (impus.Count == 0)
        {
            throw new UiccException(UiccErrorReason.MalformedFileContent,
                $"{name} (6F04) holds no public identity in {records.Count} record(s)");
        }

        return impus;
    }

    private static async ValueTask<IsimServiceTable?> ReadServiceTableAsync(ElementaryFileReader reader, ILogger logger,
        CancellationToken cancellationToken)
    {
        const string name = "EF_IST";
        var fcp = await reader.SelectAsync(reader.SelectByFileId(IsimFileIds.Ist), name, cancellationToken)
            .ConfigureAwait(false);
        if (fcp is null)
        {
            logger.OptionalFileAbsent(IsimFileIds.Ist);
            return null;
        }

        var content = await reader.ReadTransparentAsync(fcp, name, cancellationToken).ConfigureAwait(false);
        return new IsimServiceTable(content);
    }

    private static async ValueTask<List<PcscfAddress>> ReadPcscfAsync(ElementaryFileReader reader, ILogger logger,
        CancellationToken cancellationToken)
    {
        const string name = "EF_P-CSCF";
        var fcp = await reader.SelectAsync(reader.SelectByFileId(IsimFileIds.Pcscf), name, cancellationToken)
            .ConfigureAwait(false);
        if (fcp is null)
        {
            logger.OptionalFileAbsent(IsimFileIds.Pcscf);
            return [];
        }

        var records = await reader.ReadRecordsAsync(fcp, name, cancellationToken).ConfigureAwait(false);
        var addresses = new List<PcscfAddress>(records.Count);
        for (var i = 0; i < records.Count; i++)
        {
            var error = IsimFiles.TryParsePcscf(records[i], out var address);
            if (error == FileParseError.None)
            {
                addresses.Add(address!);
            }
            else if (error != FileParseError.Empty)
            {
                // Optional data: the network's PCO gives P-CSCF addresses too, so one bad record is not fatal.
                logger.RecordSkipped(IsimFileIds.Pcscf, i + 1, error);
            }
        }

        return addresses;
    }
}
