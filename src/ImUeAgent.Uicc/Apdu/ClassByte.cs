// SPDX-License-Identifier: MIT
namespace ImUeAgent.Uicc.Apdu;

/// <summary>
/// Logical channel bits of the class byte (ETSI TS 102 221 §10.1.1). Channels 0-3: CLA '0X' / '8X' with the
/// channel in b2-b1; channels 4-19: CLA '4X' / 'CX' with channel − 4 in b4-b1. b8 (UICC-specific command class)
/// is kept; secure messaging is not used here, so its bits are cleared.
/// </summary>
public static class ClassByte
{
    /// <summary>Highest logical channel number (ETSI TS 102 221 §10.1.1).</summary>
    public const int MaxLogicalChannel = 19;

    /// <summary>The class byte <paramref name="cla"/> re-coded for logical channel <paramref name="channel"/>.</summary>
    public static byte WithLogicalChannel(byte cla, int channel)
    {
        if ((uint)channel > MaxLogicalChannel)
        {
            throw new ArgumentOutOfRangeException(nameof(channel), channel, "logical channel is 0 to 19");
        }

        var uiccSpecific = (cla & 0x80) != 0;
        if (channel <= 3)
        {
            return (byte)((uiccSpecific ? 0x80 : 0x00) | channel);
        }

        return (byte)((uiccSpecific ? 0xC0 : 0x40) | (channel - 4));
    }

    /// <summary>The logical channel a class byte addresses.</summary>
    public static int GetLogicalChannel(byte cla) => (cla & 0x40) != 0 ? 4 + (cla & 0x0F) : cla & 0x03;

    /// <summary>Rewrites the class byte of a command APDU in place for <paramref name="channel"/>.</summary>
    public static void ApplyLogicalChannel(Span<byte> commandApdu, int channel)
    {
        if (commandApdu.Length < 4)
        {
            throw new ArgumentException("a command APDU has at least 4 header bytes", nameof(commandApdu));
        }

        commandApdu[0] = WithLogicalChannel(commandApdu[0], channel);
    }
}
