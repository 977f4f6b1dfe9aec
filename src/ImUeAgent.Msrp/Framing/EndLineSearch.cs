// SPDX-License-Identifier: MIT
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ImUeAgent.Msrp.Framing;

/// <summary>
/// Finds an end-line (or what could be taken for one) in chunk data: every body byte is searched once by the sender
/// (RFC 4975 §7.1.1: the body must not contain the end-line) and once by the receiver, so this is the per-byte cost
/// of MSRP over a plain stream.
/// </summary>
internal static class EndLineSearch
{
    private const ushort TwoDashes = ('-' << 8) | '-';

    /// <summary>
    /// Index of the first occurrence of <paramref name="pattern"/> in <paramref name="data"/>, or -1, where the pattern
    /// holds the end-line's seven dashes at <paramref name="dashOffset"/>. Seven dashes always cover a two-dash pair at
    /// an even offset, so one comparison of 16-bit lanes finds every region that could hold the pattern (random data:
    /// about one 128-byte block in 500; text: its dash rulers); only those regions get the exact search. Against a
    /// search for the pattern's first and last bytes at every offset this halves the work per byte.
    /// </summary>
    public static int IndexOf(ReadOnlySpan<byte> data, ReadOnlySpan<byte> pattern, int dashOffset)
    {
        Debug.Assert(dashOffset >= 0 && pattern.Length >= dashOffset + 7 && pattern.Slice(dashOffset, 7).IndexOfAnyExcept((byte)'-') < 0);
        ref byte start = ref MemoryMarshal.GetReference(data);
        int block = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            const int Width = 4 * 32;
            var dashes = Vector256.Create(TwoDashes);
            for (; block + Width <= data.Length; block += Width)
            {
                var hits = Vector256.Equals(Vector256.LoadUnsafe(ref start, (nuint)block).AsUInt16(), dashes)
                    | Vector256.Equals(Vector256.LoadUnsafe(ref start, (nuint)(block + 32)).AsUInt16(), dashes)
                    | Vector256.Equals(Vector256.LoadUnsafe(ref start, (nuint)(block + 64)).AsUInt16(), dashes)
                    | Vector256.Equals(Vector256.LoadUnsafe(ref start, (nuint)(block + 96)).AsUInt16(), dashes);
                if (hits != Vector256<ushort>.Zero)
                {
                    int found = SearchAround(data, pattern, dashOffset, block, Width);
                    if (found >= 0)
                    {
                        return found;
                    }
                }
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            const int Width = 4 * 16;
            var dashes = Vector128.Create(TwoDashes);
            for (; block + Width <= data.Length; block += Width)
            {
                var hits = Vector128.Equals(Vector128.LoadUnsafe(ref start, (nuint)block).AsUInt16(), dashes)
                    | Vector128.Equals(Vector128.LoadUnsafe(ref start, (nuint)(block + 16)).AsUInt16(), dashes)
                    | Vector128.Equals(Vector128.LoadUnsafe(ref start, (nuint)(block + 32)).AsUInt16(), dashes)
                    | Vector128.Equals(Vector128.LoadUnsafe(ref start, (nuint)(block + 48)).AsUInt16(), dashes);
                if (hits != Vector128<ushort>.Zero)
                {
                    int found = SearchAround(data, pattern, dashOffset, block, Width);
                    if (found >= 0)
                    {
                        return found;
                    }
                }
            }
        }

        // The rest, shorter than a block, and any occurrence whose dashes begin in the last block searched.
        int from = Math.Max(0, block - dashOffset - 6);
        int rest = data[from..].IndexOf(pattern);
        return rest < 0 ? -1 : from + rest;
    }

    /// <summary>
    /// Exact search for occurrences whose dash pair lies in [block, block + width): they start at most dashOffset + 6
    /// before the block and end at most a pattern length after it. Earlier occurrences would have been found with
    /// their own block, so the first one found here is the first in the data.
    /// </summary>
    private static int SearchAround(ReadOnlySpan<byte> data, ReadOnlySpan<byte> pattern, int dashOffset, int block, int width)
    {
        int from = Math.Max(0, block - dashOffset - 6);
        int to = Math.Min(data.Length, block + width + pattern.Length);
        int at = data[from..to].IndexOf(pattern);
        return at < 0 ? -1 : from + at;
    }
}
