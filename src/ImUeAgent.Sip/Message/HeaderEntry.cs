// SPDX-License-Identifier: MIT
using System.Runtime.InteropServices;

namespace ImUeAgent.Sip.Message;

/// <summary>Where one header field sits in the message bytes: name range, value range (folds included, outer
/// whitespace trimmed) and the known-name id. 16 bytes, stored packed after the message bytes in the same array.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal struct HeaderEntry
{
    public int NameStart;
    public int ValueStart;
    public int ValueEnd;
    public ushort NameLength;
    public SipHeaderId Id;
    private readonly byte _reserved;

    public HeaderEntry(SipHeaderId id, int nameStart, int nameLength, int valueStart, int valueEnd)
    {
        Id = id;
        NameStart = nameStart;
        NameLength = (ushort)nameLength;
        ValueStart = valueStart;
        ValueEnd = valueEnd;
        _reserved = 0;
    }

    public static int Size => 16;
}
