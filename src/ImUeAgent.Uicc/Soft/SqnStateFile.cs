// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Text.Json;
using ImUeAgent.Uicc.Aka;

namespace ImUeAgent.Uicc.Soft;

/// <summary>
/// Persists the accepted SQNs so that a replayed challenge is refused after a restart too. Written atomically:
/// a temporary file beside the target, flushed to disk, then renamed over it (rename is atomic on POSIX).
/// </summary>
internal sealed class SqnStateFile(string path)
{
    public string Path { get; } = path;

    /// <summary>The accepted SQNs; none when the file does not exist yet (a new soft ISIM starts at 0).</summary>
    public List<ulong> Load()
    {
        byte[] bytes;
        try
        {
            var info = new FileInfo(Path);
            if (!info.Exists)
            {
                return [];
            }

            if (info.Length > SoftIsimKeyFile.MaxFileLength)
            {
                throw Invalid($"is {info.Length} bytes, more than {SoftIsimKeyFile.MaxFileLength}");
            }

            bytes = File.ReadAllBytes(Path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw Invalid($"cannot be read: {exception.GetType().Name}");
        }

        SqnStateModel? model;
        try
        {
            model = JsonSerializer.Deserialize(bytes, SoftIsimJsonContext.Default.SqnStateModel);
        }
        catch (JsonException exception)
        {
            throw Invalid($"is not valid JSON at {exception.Path ?? "$"} (line {exception.LineNumber + 1})");
        }

        // Never fall back to zero on a damaged state: that would make old challenges acceptable again.
        if (model?.SqnMs is null)
        {
            throw Invalid("has no 'sqnMs' list");
        }

        var values = new List<ulong>(model.SqnMs.Count);
        foreach (var text in model.SqnMs)
        {
            if (text is null || text.Length != 2 * Milenage.SqnLength
                || !ulong.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var sqn))
            {
                throw Invalid("has an entry in 'sqnMs' that is not 12 hex digits");
            }

            values.Add(sqn);
        }

        return values;
    }

    public async ValueTask SaveAsync(IReadOnlyList<ulong> accepted, CancellationToken cancellationToken)
    {
        var model = new SqnStateModel { SqnMs = [.. accepted.Select(v => v.ToString("x12", CultureInfo.InvariantCulture))] };
        var bytes = JsonSerializer.SerializeToUtf8Bytes(model, SoftIsimJsonContext.Default.SqnStateModel);
        var temporary = Path + ".tmp";
        try
        {
            File.Delete(temporary);
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                Options = FileOptions.Asynchronous,
            };
            var stream = new FileStream(temporary, options);
            await using (stream.ConfigureAwait(false))
            {
                await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, Path, overwrite: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw Invalid($"cannot be written: {exception.GetType().Name}");
        }
    }

    private UiccException Invalid(string problem) =>
        new(UiccErrorReason.SqnStateInvalid, $"soft ISIM SQN state file '{Path}' {problem}");
}
