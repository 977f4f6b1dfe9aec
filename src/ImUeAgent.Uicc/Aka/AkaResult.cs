// SPDX-License-Identifier: MIT
namespace ImUeAgent.Uicc.Aka;

/// <summary>Which of the three AKA outcomes an <see cref="AkaResult"/> is.</summary>
public enum AkaOutcome
{
    /// <summary>The challenge was accepted: RES, CK, IK.</summary>
    Success,

    /// <summary>The MAC was good but SQN was not fresh: AUTS for re-synchronisation (TS 33.102 §6.3.3).</summary>
    SynchronisationFailure,

    /// <summary>MAC-A did not verify: the network is not authentic (TS 33.102 §6.3.3, SW 98 62 on a card).</summary>
    MacFailure,
}

/// <summary>
/// The outcome of an IMS AKA challenge: exactly one of <see cref="Success"/>, <see cref="SynchronisationFailure"/>
/// or <see cref="MacFailure"/>. RES, CK and IK are bytes, never strings: a RES may contain 0x00 (STYLE.md, what to
/// avoid). <see cref="object.ToString"/> never prints a secret.
/// </summary>
public abstract class AkaResult
{
    private protected AkaResult()
    {
    }

    /// <summary>Which outcome this is, for a switch.</summary>
    public abstract AkaOutcome Outcome { get; }

    /// <summary>The challenge was accepted.</summary>
    public sealed class Success : AkaResult
    {
        /// <summary>Creates the outcome; RES must be 4 to 16 bytes, CK and IK 16 bytes (TS 33.102 §6.3.7).</summary>
        public Success(ReadOnlyMemory<byte> res, ReadOnlyMemory<byte> ck, ReadOnlyMemory<byte> ik)
        {
            if (res.Length is < MinResLength or > MaxResLength)
            {
                throw new ArgumentException($"RES must be {MinResLength} to {MaxResLength} bytes, got {res.Length}", nameof(res));
            }

            if (ck.Length != KeyLength)
            {
                throw new ArgumentException($"CK must be {KeyLength} bytes, got {ck.Length}", nameof(ck));
            }

            if (ik.Length != KeyLength)
            {
                throw new ArgumentException($"IK must be {KeyLength} bytes, got {ik.Length}", nameof(ik));
            }

            Res = res;
            Ck = ck;
            Ik = ik;
        }

        /// <summary>RES, 4 to 16 bytes, raw (the RFC 3310 digest password).</summary>
        public ReadOnlyMemory<byte> Res { get; }

        /// <summary>CK, 16 bytes.</summary>
        public ReadOnlyMemory<byte> Ck { get; }

        /// <summary>IK, 16 bytes.</summary>
        public ReadOnlyMemory<byte> Ik { get; }

        /// <inheritdoc/>
        public override AkaOutcome Outcome => AkaOutcome.Success;

        /// <inheritdoc/>
        public override string ToString() => $"AKA success (RES {Res.Length} bytes, CK, IK redacted)";
    }

    /// <summary>SQN was not fresh; AUTS lets the network re-synchronise.</summary>
    public sealed class SynchronisationFailure : AkaResult
    {
        /// <summary>Creates the outcome; AUTS must be 14 bytes.</summary>
        public SynchronisationFailure(ReadOnlyMemory<byte> auts)
        {
            if (auts.Length != Milenage.AutsLength)
            {
                throw new ArgumentException($"AUTS must be {Milenage.AutsLength} bytes, got {auts.Length}", nameof(auts));
            }

            Auts = auts;
        }

        /// <summary>AUTS = Conc(SQN_MS) ‖ MAC-S, 14 bytes.</summary>
        public ReadOnlyMemory<byte> Auts { get; }

        /// <inheritdoc/>
        public override AkaOutcome Outcome => AkaOutcome.SynchronisationFailure;

        /// <inheritdoc/>
        public override string ToString() => "AKA synchronisation failure (AUTS redacted)";
    }

    /// <summary>MAC-A did not verify.</summary>
    public sealed class MacFailure : AkaResult
    {
        /// <summary>The only instance: the outcome carries no data.</summary>
        public static MacFailure Instance { get; } = new();

        private MacFailure()
        {
        }

        /// <inheritdoc/>
        public override AkaOutcome Outcome => AkaOutcome.MacFailure;

        /// <inheritdoc/>
        public override string ToString() => "AKA MAC failure";
    }

    /// <summary>Shortest RES (TS 33.102 §6.3.7: 32 bits).</summary>
    public const int MinResLength = 4;

    /// <summary>Longest RES (128 bits).</summary>
    public const int MaxResLength = 16;

    /// <summary>Length of CK and IK.</summary>
    public const int KeyLength = 16;
}
