// SPDX-License-Identifier: MIT
using System.Text;

namespace ImUeAgent.Sip.Message;

/// <summary>One header field of a message, as received.</summary>
public readonly struct SipHeader
{
    private readonly SipMessage _message;
    private readonly int _index;

    internal SipHeader(SipMessage message, int index)
    {
        _message = message;
        _index = index;
    }

    public SipHeaderId Id => _message.Entries[_index].Id;

    /// <summary>The name as received (a compact form stays compact).</summary>
    public ReadOnlySpan<byte> NameBytes => _message.NameOf(_message.Entries[_index]);

    public string Name => Encoding.ASCII.GetString(NameBytes);

    /// <summary>The value as received: outer whitespace trimmed, folded line breaks kept.</summary>
    public ReadOnlySpan<byte> ValueBytes => _message.ValueOf(_message.Entries[_index]);

    /// <summary>The value as text, each fold read as a single SP (RFC 3261 §7.3.1).</summary>
    public string Value => SipSyntax.Unfold(ValueBytes);

    /// <summary>The header's lines exactly as received, including the final CRLF: what a forwarder copies.</summary>
    public ReadOnlySpan<byte> RawLine => _message.LineOf(_index);

    internal int ValueOffsetInLine => _message.Entries[_index].ValueStart - _message.Entries[_index].NameStart;

    /// <summary>Position among the message's headers.</summary>
    public int Index => _index;

    public override string ToString() => Name + ": " + Value;
}
