// SPDX-License-Identifier: MIT
namespace ImUeAgent.Uicc.Tests;

internal static class Hex
{
    public static byte[] Bytes(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));

    public static string Lower(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    public static string Lower(ReadOnlyMemory<byte> bytes) => Convert.ToHexStringLower(bytes.Span);
}
