// SPDX-License-Identifier: MIT
using ImUeAgent.Uicc.Apdu;
using ImUeAgent.Uicc.Files;

namespace ImUeAgent.Uicc.Isim;

/// <summary>
/// SELECT then READ BINARY / READ RECORD over an <see cref="ApduTransceiver"/>, sized from the FCP
/// (ETSI TS 102 221 §11.1.1.3); without an FCP (SELECT with P2 = 0C, or a card that returns none), reads with
/// Le = 00 and lets 6C xx give the exact length (§10.2.1.4, §7.3.1.1.5), records until 6A 83.
/// </summary>
internal sealed class ElementaryFileReader(ApduTransceiver transceiver, SelectResponse selectResponse = SelectResponse.ReturnFcp)
{
    /// <summary>Cap on one EF (ISIM EFs are tens to hundreds of bytes).</summary>
    public const int MaxFileLength = 8 * 1024;

    /// <summary>Highest record number READ RECORD can address.</summary>
    public const int MaxRecords = 254;

    /// <summary>Le of a read whose length is unknown: 256, coded 00.</summary>
    private const int UnknownLength = 256;

    /// <summary>62 82: end of file or record reached before reading Le bytes (ETSI TS 102 221 §10.2.1.2).</summary>
    private const ushort EndOfFileReached = 0x6282;

    /// <summary>6B 00: wrong parameter(s) P1-P2, for READ BINARY an offset beyond the end (§10.2.1.5).</summary>
    private const ushort WrongParameters = 0x6B00;

    /// <summary>SELECT of <paramref name="fileId"/> with this reader's P2.</summary>
    public byte[] SelectByFileId(ushort fileId) => CommandApdu.SelectByFileId(fileId, selectResponse);

    /// <summary>SELECT; null when the file is not there (6A 82).</summary>
    public async ValueTask<FileControlParameters?> SelectAsync(byte[] selectCommand, string fileName,
        CancellationToken cancellationToken)
    {
        var response = await transceiver.TransmitAsync(selectCommand, cancellationToken).ConfigureAwait(false);
        if (response.Kind == StatusWordKind.FileNotFound)
        {
            return null;
        }

        RequireSuccess(response, $"SELECT {fileName}");
        // P2 = 0C asks for no data: anything a card sends anyway is not an FCP to rely on.
        if (response.Data.IsEmpty || selectCommand.Length > 3 && selectCommand[3] == (byte)SelectResponse.NoData)
        {
            return new FileControlParameters(FileStructure.Unknown, null, null, null);
        }

        var error = FileControlParameters.TryParse(response.Data.Span, out var fcp);
        if (error != FileParseError.None)
        {
            throw new UiccException(UiccErrorReason.MalformedFileControlParameters,
                $"SELECT {fileName}: FCP rejected: {error}", response.StatusWord);
        }

        return fcp;
    }

    public async ValueTask<byte[]> ReadTransparentAsync(FileControlParameters fcp, string fileName,
        CancellationToken cancellationToken)
    {
        if (fcp.FileSize is not int size)
        {
            return await ReadTransparentUnsizedAsync(fileName, cancellationToken).ConfigureAwait(false);
        }

        if (size > MaxFileLength)
        {
            throw new UiccException(UiccErrorReason.ResponseTooLong,
                $"{fileName}: file size {size} exceeds {MaxFileLength} bytes");
        }

        var content = new byte[size];
        var offset = 0;
        while (offset < size)
        {
            var le = Math.Min(256, size - offset);
            var response = await transceiver.TransmitAsync(CommandApdu.ReadBinary(offset, le), cancellationToken)
                .ConfigureAwait(false);
            RequireSuccess(response, $"READ BINARY {fileName} at {offset}");
            if (response.Data.IsEmpty || response.Data.Length > size - offset)
            {
                throw new UiccException(UiccErrorReason.MalformedFileContent,
                    $"READ BINARY {fileName} at {offset}: {response.Data.Length} bytes for Le {le}", response.StatusWord);
            }

            response.Data.Span.CopyTo(content.AsSpan(offset));
            offset += response.Data.Length;
        }

        return content;
    }

    /// <summary>Every record, in order (record 1 first).</summary>
    public async ValueTask<List<byte[]>> ReadRecordsAsync(FileControlParameters fcp, string fileName,
        CancellationToken cancellationToken)
    {
        var records = new List<byte[]>();
        var total = 0;
        if (fcp is { RecordLength: int length, RecordCount: int count })
        {
            if (length is < 1 or > 255 || count > MaxRecords)
            {
                throw new UiccException(UiccErrorReason.MalformedFileControlParameters,
                    $"{fileName}: {count} records of {length} bytes is out of range");
            }

            for (var number = 1; number <= count; number++)
            {
                var response = await transceiver.TransmitAsync(CommandApdu.ReadRecord(number, length), cancellationToken)
                    .ConfigureAwait(false);
                RequireSuccess(response, $"READ RECORD {fileName} #{number}");
                records.Add(response.Data.ToArray());
            }

            return records;
        }

        // No record count in the FCP: read until the card says there is no such record (6A 83). Without a record
        // length either, the first READ RECORD goes with Le = 00 and 6C xx gives the length; the records of a linear
        // fixed EF all have that length (ETSI TS 102 221 §8.2.2), so the next ones are asked for with it.
        var le = fcp.RecordLength is int known and >= 1 and <= 255 ? known : UnknownLength;
        for (var number = 1; number <= MaxRecords; number++)
        {
            var response = await transceiver.TransmitAsync(CommandApdu.ReadRecord(number, le), cancellationToken)
                .ConfigureAwait(false);
            if (response.Kind == StatusWordKind.RecordNotFound)
            {
                break;
            }

            RequireSuccess(response, $"READ RECORD {fileName} #{number}");
            if (response.Data.IsEmpty || response.Data.Length > 255)
            {
                throw new UiccException(UiccErrorReason.MalformedFileContent,
                    $"READ RECORD {fileName} #{number}: record of {response.Data.Length} bytes", response.StatusWord);
            }

            le = response.Data.Length;
            total += response.Data.Length;
            if (total > MaxFileLength)
            {
                throw new UiccException(UiccErrorReason.ResponseTooLong,
                    $"{fileName}: records exceed {MaxFileLength} bytes");
            }

            records.Add(response.Data.ToArray());
        }

        return records;
    }

    /// <summary>
    /// A transparent EF of unknown size: READ BINARY with Le = 00 (the card's 6C xx gives the exact length), again
    /// at the next offset while whole 256-byte blocks come back, until a short block, 62 82 (end of file) or 6B 00
    /// (offset beyond the end).
    /// </summary>
    private async ValueTask<byte[]> ReadTransparentUnsizedAsync(string fileName, CancellationToken cancellationToken)
    {
        byte[]? content = null;
        var offset = 0;
        while (true)
        {
            var response = await transceiver.TransmitAsync(CommandApdu.ReadBinary(offset, UnknownLength),
                cancellationToken).ConfigureAwait(false);
            if (offset > 0 && response.StatusWord == WrongParameters)
            {
                break;
            }

            var endOfFile = response.StatusWord == EndOfFileReached;
            if (!endOfFile)
            {
                RequireSuccess(response, $"READ BINARY {fileName} at {offset}");
            }

            if (response.Data.Length > UnknownLength || offset + response.Data.Length > MaxFileLength)
            {
                throw new UiccException(UiccErrorReason.ResponseTooLong,
                    $"{fileName}: content exceeds {(offset == 0 ? UnknownLength : MaxFileLength)} bytes at offset {offset}",
                    response.StatusWord);
            }

            if (offset == 0 && (endOfFile || response.Data.Length < UnknownLength))
            {
                // The usual case: the whole file in one answer, no copy through a growing buffer.
                return response.Data.ToArray();
            }

            content ??= new byte[MaxFileLength];
            response.Data.Span.CopyTo(content.AsSpan(offset));
            offset += response.Data.Length;
            if (endOfFile || response.Data.Length < UnknownLength)
            {
                break;
            }
        }

        return content.AsSpan(0, offset).ToArray();
    }

    private static void RequireSuccess(ResponseApdu response, string what)
    {
        if (!response.IsSuccess)
        {
            throw new UiccException(UiccErrorReason.UnexpectedStatusWord,
                $"{what} failed with SW {StatusWords.Format(response.StatusWord)}", response.StatusWord);
        }
    }
}
