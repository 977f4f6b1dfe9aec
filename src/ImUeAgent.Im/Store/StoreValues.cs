// SPDX-License-Identifier: MIT
using System.Buffers;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace ImUeAgent.Im.Store;

/// <summary>Conversions between the model and SQLite values, and the caps every field is checked against.</summary>
internal static class StoreValues
{
    public const int MaxUriLength = 1024;
    public const int MaxShortTextLength = 256;
    public const int MaxReasonLength = 512;
    public const int MaxFeatureTags = 32;
    public const int MaxIdentities = 16;

    private static readonly SearchValues<char> Forbidden = SearchValues.Create("\r\n\0");

    public static long ToUnixMs(DateTimeOffset value) => value.ToUnixTimeMilliseconds();

    public static DateTimeOffset FromUnixMs(long value) => DateTimeOffset.FromUnixTimeMilliseconds(value);

    public static object Nullable(string? value) => value is null ? DBNull.Value : value;

    public static object Nullable(long? value) => value is null ? DBNull.Value : value.Value;

    public static object Nullable(int? value) => value is null ? DBNull.Value : value.Value;

    /// <summary>A BLOB parameter value. Microsoft.Data.Sqlite binds byte[]; reuse the array when it is exactly the memory.</summary>
    public static byte[] Blob(ReadOnlyMemory<byte> memory) =>
        MemoryMarshal.TryGetArray(memory, out ArraySegment<byte> segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : memory.ToArray();

    public static string JoinList(IReadOnlyList<string> items) => string.Join('\n', items);

    public static IReadOnlyList<string> SplitList(string joined) =>
        joined.Length == 0 ? [] : joined.Split('\n');

    public static string? GetStringOrNull(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static long? GetInt64OrNull(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);

    public static byte[] GetBlob(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? [] : (byte[])reader.GetValue(ordinal);

    public static void CheckText(string? value, string field, int maxLength, bool required)
    {
        if (value is null || value.Length == 0)
        {
            if (required)
            {
                throw new MessageStoreException(MessageStoreErrorReason.FieldEmpty, $"{field} is empty");
            }

            return;
        }

        if (value.Length > maxLength)
        {
            throw new MessageStoreException(MessageStoreErrorReason.FieldTooLong,
                $"{field} is {value.Length} characters; the cap is {maxLength}");
        }

        int bad = value.AsSpan().IndexOfAny(Forbidden);
        if (bad >= 0)
        {
            throw new MessageStoreException(MessageStoreErrorReason.FieldHasControlCharacter,
                $"{field} contains a CR, LF or NUL at character {bad}");
        }
    }

    public static void CheckList(IReadOnlyList<string>? items, string field, int maxItems, int maxLength, bool required)
    {
        if (items is null || items.Count == 0)
        {
            if (required)
            {
                throw new MessageStoreException(MessageStoreErrorReason.FieldEmpty, $"{field} is empty");
            }

            return;
        }

        if (items.Count > maxItems)
        {
            throw new MessageStoreException(MessageStoreErrorReason.TooManyItems,
                $"{field} has {items.Count} entries; the cap is {maxItems}");
        }

        for (int i = 0; i < items.Count; i++)
        {
            CheckText(items[i], $"{field}[{i}]", maxLength, required: true);
        }
    }

    public static void CheckBody(int length, string field, int maxBytes)
    {
        if (length > maxBytes)
        {
            throw new MessageStoreException(MessageStoreErrorReason.BodyTooLarge,
                $"{field} is {length} bytes; the cap is {maxBytes}");
        }
    }

    /// <summary>Maps SQLite's result codes to the store's reasons. Anything not listed is an I/O error.</summary>
    public static MessageStoreException Map(SqliteException e, string what) => e.SqliteErrorCode switch
    {
        11 or 26 => new MessageStoreException(MessageStoreErrorReason.NotADatabase, $"{what}: the file is not a message store database or is damaged (SQLite {e.SqliteExtendedErrorCode})", e),
        13 => new MessageStoreException(MessageStoreErrorReason.DiskFull, $"{what}: disk full (SQLite {e.SqliteExtendedErrorCode})", e),
        5 or 6 => new MessageStoreException(MessageStoreErrorReason.StoreInUse, $"{what}: database locked (SQLite {e.SqliteExtendedErrorCode})", e),
        _ => new MessageStoreException(MessageStoreErrorReason.IoError, $"{what}: SQLite error {e.SqliteExtendedErrorCode}", e),
    };
}
