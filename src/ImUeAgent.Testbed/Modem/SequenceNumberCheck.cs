// SPDX-License-Identifier: MIT
namespace ImUeAgent.Testbed.Modem;

/// <summary>
/// The USIM's freshness check of SQN (TS 33.102 §6.3.3 and Annex C.2): SQN = SEQ ‖ IND with an array of the
/// highest SEQ accepted per IND value. A SQN is fresh when its SEQ exceeds SEQ_MS(IND) and, if Δ is configured, does
/// not run more than Δ ahead of the highest SEQ accepted so far (Annex C.2.2). SQN_MS, sent back in AUTS, is the
/// highest SQN accepted. The state survives a modem reset: it lives in the card's non-volatile memory.
/// </summary>
internal sealed class SequenceNumberCheck
{
    private readonly int _indBits;
    private readonly ulong[] _seqMs;
    private readonly ulong? _delta;

    public SequenceNumberCheck(ulong sqnMs, int indBits, ulong? delta)
    {
        _indBits = indBits;
        _delta = delta;
        _seqMs = new ulong[1 << indBits];
        // A configured SQN_MS stands for "everything up to here was used": every IND slot starts at its SEQ, so a
        // challenge is fresh only if its SEQ is beyond it.
        Array.Fill(_seqMs, sqnMs >> indBits);
        SqnMs = sqnMs;
    }

    /// <summary>The highest sequence number accepted (SQN_MS of TS 33.102 §6.3.5).</summary>
    public ulong SqnMs { get; private set; }

    /// <summary>Checks and, when fresh, records <paramref name="sqn"/>.</summary>
    public bool TryAccept(ulong sqn)
    {
        var ind = (int)(sqn & ((1UL << _indBits) - 1));
        var seq = sqn >> _indBits;
        if (seq <= _seqMs[ind])
        {
            return false;
        }

        var highestSeq = SqnMs >> _indBits;
        if (_delta is { } delta && seq > highestSeq && seq - highestSeq > delta)
        {
            return false;
        }

        _seqMs[ind] = seq;
        if (sqn > SqnMs)
        {
            SqnMs = sqn;
        }

        return true;
    }
}
