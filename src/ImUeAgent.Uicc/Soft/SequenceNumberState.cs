// SPDX-License-Identifier: MIT
using ImUeAgent.Uicc.Aka;

namespace ImUeAgent.Uicc.Soft;

/// <summary>Verdict on a received SQN (TS 33.102 Annex C.2).</summary>
internal enum SqnVerdict
{
    /// <summary>Fresh: accept and remember it.</summary>
    Fresh,

    /// <summary>SEQ ≤ SEQ_MS(IND): a replay or an old vector.</summary>
    NotFresh,

    /// <summary>SEQ − SEQ_MS > Δ: an implausible jump (Annex C.2.1).</summary>
    BeyondWindow,
}

/// <summary>
/// The USIM side of sequence number management, TS 33.102 Annex C.2/C.3: SQN = SEQ ‖ IND with
/// <c>indBits</c> bits of IND; an array of the highest accepted SQN per IND value; a received SQN is fresh when
/// its SEQ exceeds the SEQ stored for its IND, and it must not run more than Δ ahead of SEQ_MS, the highest accepted
/// anywhere. With <c>indBits</c> = 0 this is the plain rule "SQN > SQN_MS". Pure: persistence is the caller's.
/// </summary>
internal sealed class SequenceNumberState
{
    /// <summary>Largest IND length accepted (Annex C.3.2 suggests 5).</summary>
    public const int MaxIndBits = 10;

    /// <summary>Default Δ, the value Annex C.3.2 gives as an example (2^28).</summary>
    public const ulong DefaultDelta = 1UL << 28;

    private readonly ulong[] _slots;
    private readonly int _indBits;
    private readonly ulong _delta;

    public SequenceNumberState(int indBits, ulong delta, IEnumerable<ulong> accepted)
    {
        if (indBits is < 0 or > MaxIndBits)
        {
            throw new ArgumentOutOfRangeException(nameof(indBits), indBits, $"IND is 0 to {MaxIndBits} bits");
        }

        ArgumentOutOfRangeException.ThrowIfZero(delta);
        _indBits = indBits;
        _delta = delta;
        _slots = new ulong[1 << indBits];
        foreach (var sqn in accepted)
        {
            if (sqn > Milenage.MaxSqn)
            {
                throw new ArgumentOutOfRangeException(nameof(accepted), "SQN is 48 bits");
            }

            // A state written with another IND length still maps every SQN to a slot; keep the highest per slot.
            var slot = Slot(sqn);
            _slots[slot] = Math.Max(_slots[slot], sqn);
        }
    }

    /// <summary>SQN_MS: the highest accepted SQN anywhere in the array (0 initially).</summary>
    public ulong HighestAccepted => _slots.Max();

    public SqnVerdict Check(ulong sqn)
    {
        var seq = sqn >> _indBits;
        var seqMs = HighestAccepted >> _indBits;
        if (seq > seqMs && seq - seqMs > _delta)
        {
            return SqnVerdict.BeyondWindow;
        }

        return seq > _slots[Slot(sqn)] >> _indBits ? SqnVerdict.Fresh : SqnVerdict.NotFresh;
    }

    /// <summary>The state after accepting <paramref name="sqn"/>, as the non-zero slots to persist.</summary>
    public ulong[] SnapshotWith(ulong sqn)
    {
        var copy = (ulong[])_slots.Clone();
        copy[Slot(sqn)] = sqn;
        return [.. copy.Where(value => value != 0)];
    }

    public void Accept(ulong sqn) => _slots[Slot(sqn)] = sqn;

    private int Slot(ulong sqn) => (int)(sqn & ((1UL << _indBits) - 1));
}
