// SPDX-License-Identifier: MIT
using System.Text.Json;
using ImUeAgent.Uicc.Aka;
using ImUeAgent.Uicc.Isim;
using Microsoft.Win32.SafeHandles;

namespace ImUeAgent.Uicc.Soft;

/// <summary>
/// The soft ISIM key file, JSON:
/// <code>
/// { "k": "32 hex digits", "opc": "32 hex digits" (or "op"), "amf": "8000",
///   "impi": "user@ims.example.net", "impu": ["sip:user@ims.example.net"], "domain": "ims.example.net",
///   "sqnFile": "optional; default &lt;name&gt;.sqn.json beside the key file", "sqnDelta": 268435456, "indBits": 0 }
/// </code>
/// The file must not be accessible by group or others (like an ssh private key). Errors name the file and the
/// field, never a value.
/// </summary>
internal sealed class SoftIsimKeyFile : IDisposable
{
    /// <summary>Cap on the key file and the SQN state file.</summary>
    public const int MaxFileLength = 64 * 1024;

    private static readonly System.Buffers.SearchValues<char> HexDigits =
        System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");

    private const UnixFileMode GroupOrOthers =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private SoftIsimKeyFile(string path, byte[] k, byte[] opc, bool opcFromOp, byte[] amf, ImsIdentity identity,
        string sqnStatePath, ulong sqnDelta, int indBits)
    {
        Path = path;
        K = k;
        Opc = opc;
        OpcDerivedFromOp = opcFromOp;
        Amf = amf;
        Identity = identity;
        SqnStatePath = sqnStatePath;
        SqnDelta = sqnDelta;
        IndBits = indBits;
    }

    public string Path { get; }

    public byte[] K { get; }

    public byte[] Opc { get; }

    public bool OpcDerivedFromOp { get; }

    public byte[] Amf { get; }

    public ImsIdentity Identity { get; }

    public string SqnStatePath { get; }

    public ulong SqnDelta { get; }

    public int IndBits { get; }

    public static SoftIsimKeyFile Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = System.IO.Path.GetFullPath(path);
        var bytes = ReadPrivateFile(fullPath);
        try
        {
            return Parse(fullPath, bytes);
        }
        finally
        {
            Array.Clear(bytes);
        }
    }

    /// <summary>Reads a file after checking, on the open handle, that group and others have no access.</summary>
    private static byte[] ReadPrivateFile(string path)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new UiccException(UiccErrorReason.KeyFileUnreadable,
                $"soft ISIM key file '{path}' cannot be opened: {exception.GetType().Name}");
        }

        using (handle)
        {
            var mode = File.GetUnixFileMode(handle);
            if ((mode & GroupOrOthers) != 0)
            {
                throw new UiccException(UiccErrorReason.KeyFileInsecure,
                    $"soft ISIM key file '{path}' has mode {FormatMode(mode)}: it holds K and must not be accessible " +
                    $"by group or others (chmod 600 '{path}')");
            }

            var length = RandomAccess.GetLength(handle);
            if (length > MaxFileLength)
            {
                throw new UiccException(UiccErrorReason.KeyFileInvalid,
                    $"soft ISIM key file '{path}' is {length} bytes, more than {MaxFileLength}");
            }

            var buffer = new byte[length];
            var read = 0;
            while (read < buffer.Length)
            {
                var n = RandomAccess.Read(handle, buffer.AsSpan(read), read);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            return read == buffer.Length ? buffer : buffer[..read];
        }
    }

    internal static string FormatMode(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0xFFF, 8).PadLeft(3, '0');

    private static SoftIsimKeyFile Parse(string path, byte[] bytes)
    {
        SoftIsimKeyFileModel? model;
        try
        {
            model = JsonSerializer.Deserialize(bytes, SoftIsimJsonContext.Default.SoftIsimKeyFileModel);
        }
        catch (JsonException exception)
        {
            // The exception text may quote the offending characters (possibly key digits): report the place only.
            throw new UiccException(UiccErrorReason.KeyFileInvalid,
                $"soft ISIM key file '{path}' is not valid: JSON error at {exception.Path ?? "$"} " +
                $"(line {exception.LineNumber + 1}, byte {exception.BytePositionInLine + 1})");
        }

        if (model is null)
        {
            throw Invalid(path, "the file holds no JSON object");
        }

        var k = HexField(path, "k", model.K, 16);
        if ((model.Opc is null) == (model.Op is null))
        {
            throw Invalid(path, "exactly one of 'opc' and 'op' is needed");
        }

        byte[] opc;
        var fromOp = model.Opc is null;
        if (fromOp)
        {
            var op = HexField(path, "op", model.Op, 16);
            opc = new byte[16];
            Milenage.ComputeOpc(k, op, opc);
            Array.Clear(op);
        }
        else
        {
            opc = HexField(path, "opc", model.Opc, 16);
        }

        var amf = model.Amf is null ? [0x80, 0x00] : HexField(path, "amf", model.Amf, 2);
        if (string.IsNullOrWhiteSpace(model.Impi))
        {
            throw Invalid(path, "'impi' is missing or empty");
        }

        if (model.Impu is null || model.Impu.Count == 0 || model.Impu.Any(string.IsNullOrWhiteSpace))
        {
            throw Invalid(path, "'impu' must list at least one non-empty public identity");
        }

        if (string.IsNullOrWhiteSpace(model.Domain))
        {
            throw Invalid(path, "'domain' is missing or empty");
        }

        var indBits = model.IndBits ?? 0;
        if (indBits is < 0 or > SequenceNumberState.MaxIndBits)
        {
            throw Invalid(path, $"'indBits' must be 0 to {SequenceNumberState.MaxIndBits}");
        }

        var delta = model.SqnDelta ?? SequenceNumberState.DefaultDelta;
        if (delta == 0)
        {
            throw Invalid(path, "'sqnDelta' must be positive");
        }

        var directory = System.IO.Path.GetDirectoryName(path)!;
        var sqnPath = string.IsNullOrWhiteSpace(model.SqnFile)
            ? System.IO.Path.Combine(directory, System.IO.Path.GetFileNameWithoutExtension(path) + ".sqn.json")
            : System.IO.Path.GetFullPath(model.SqnFile, directory);
        if (sqnPath == path)
        {
            throw Invalid(path, "'sqnFile' must not be the key file itself");
        }

        var identity = new ImsIdentity(model.Impi, [.. model.Impu], model.Domain);
        return new SoftIsimKeyFile(path, k, opc, fromOp, amf, identity, sqnPath, delta, indBits);
    }

    private static byte[] HexField(string path, string name, string? value, int length)
    {
        if (value is null)
        {
            throw Invalid(path, $"'{name}' is missing");
        }

        if (value.Length != length * 2 || value.AsSpan().ContainsAnyExcept(HexDigits))
        {
            throw Invalid(path, $"'{name}' must be {length * 2} hex digits");
        }

        return Convert.FromHexString(value);
    }

    private static UiccException Invalid(string path, string problem) =>
        new(UiccErrorReason.KeyFileInvalid, $"soft ISIM key file '{path}': {problem}");

    public void Dispose()
    {
        Array.Clear(K);
        Array.Clear(Opc);
    }

    public override string ToString() => $"soft ISIM key file '{Path}' (K and OPc redacted)";
}
