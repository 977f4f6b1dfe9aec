// SPDX-License-Identifier: MIT
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace ImUeAgent.Msrp.Sessions;

/// <summary>
/// Transaction ids this side generates: 11 base-62 characters encoding a random 64-bit key, so a response's id maps
/// back to its pending transaction without strings. Unpredictable, which keeps a hostile body from guessing the
/// end-line (RFC 4975 §7.1.1 still requires checking, which the sender does).
/// </summary>
internal static class TransactionIds
{
    public const int Length = 11;

    private static ReadOnlySpan<byte> Alphabet => "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8;

    public static ulong NewKey()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        return BinaryPrimitives.ReadUInt64LittleEndian(bytes);
    }

    public static void Format(ulong key, Span<byte> destination)
    {
        for (int i = Length - 1; i >= 0; i--)
        {
            destination[i] = Alphabet[(int)(key % 62)];
            key /= 62;
        }
    }

    public static bool TryParse(ReadOnlySpan<byte> id, out ulong key)
    {
        key = 0;
        if (id.Length != Length)
        {
            return false;
        }

        UInt128 value = 0;
        foreach (byte b in id)
        {
            int digit = Alphabet.IndexOf(b);
            if (digit < 0)
            {
                return false;
            }

            value = (value * 62) + (uint)digit;
        }

        if (value > ulong.MaxValue)
        {
            return false;
        }

        key = (ulong)value;
        return true;
    }

    public static string NewMessageId()
    {
        Span<byte> raw = stackalloc byte[Length];
        Format(NewKey(), raw);
        Span<char> chars = stackalloc char[Length + 5];
        "msg-".CopyTo(chars);
        for (int i = 0; i < Length; i++)
        {
            chars[4 + i] = (char)raw[i];
        }

        return new string(chars[..(4 + Length)]);
    }

    public static string NewSessionId()
    {
        Span<byte> raw = stackalloc byte[Length * 2];
        Format(NewKey(), raw);
        Format(NewKey(), raw[Length..]);
        return System.Text.Encoding.ASCII.GetString(raw);
    }
}
