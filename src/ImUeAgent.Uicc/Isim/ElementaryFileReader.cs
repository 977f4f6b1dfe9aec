// SPDX-License-Identifier: MIT
using ImUeAgent.Uicc.Apdu;
using ImUeAgent.Uicc.Files;

namespace ImUeAgent.Uicc.Isim;

/// <summary>
/// SELECT then READ BINARY / READ RECORD over an <see cref="ApduTransceiver"/>, sized from the FCP
/// (ETSI TS 102 221 §11.1.1.3); without an FCP, reads with Le = 00 and lets 6C xx give the exact length.
/// </summary>
internal sealed class ElementaryFileReader(ApduTransceiver transceiver)
{
    /// <summary>Cap on one EF (ISIM EFs are tens to hundreds of bytes).</summary>
    public const int MaxFileLength = 8 * 1024;

    /// <summary>Highest record number READ RECORD can address.</summary>
    public const int MaxRecords = 254;

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
        if (response.Data.IsEmpty)
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
            var single = await transceiver.TransmitAsync(CommandApdu.ReadBinary(0, 256), cancellationToken)
                .ConfigureAwait(false);
            RequireSuccess(single, $"READ BINARY {fileName}");
            return single.Data.ToArray();
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

        // No record count in the FCP: read until the card says there is no such record.
        for (var number = 1; number <= MaxRecords; number++)
        {
            var response = await transceiver.TransmitAsync(CommandApdu.ReadRecord(number, 256), cancellationToken)
                .ConfigureAwait(false);
            if (response.Kind == StatusWordKind.RecordNotFound)
            {
                break;
            }

            RequireSuccess(response, $"READ RECORD {fileName} #{number}");
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

    private static void RequireSuccess(ResponseApdu response, string what)
    {
        if (!response.IsSuccess)
        {
            throw new UiccException(UiccErrorReason.UnexpectedStatusWord,
                $"{what} failed with SW {StatusWords.Format(response.StatusWord)}", response.StatusWord);
        }
    }
}
