// SPDX-License-Identifier: MIT
using System.CommandLine;

namespace ImUeAgent.Cli;

/// <summary>Options that take a fixed number of bytes written as hex digits (upper or lower case, no separators).</summary>
internal static class HexArgument
{
    public static Option<byte[]> Create(string name, int bytes, string description) => new(name)
    {
        Description = $"{description} ({bytes * 2} hex digits).",
        HelpName = "HEX",
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (text.Length != bytes * 2)
            {
                result.AddError($"{name}: expected {bytes * 2} hex digits ({bytes} bytes), got {text.Length}");
                return [];
            }

            try
            {
                return Convert.FromHexString(text);
            }
            catch (FormatException)
            {
                result.AddError($"{name}: '{text}' is not hexadecimal");
                return [];
            }
        },
    };
}
