// SPDX-License-Identifier: MIT
namespace ImUeAgent.Uicc.Aka;

/// <summary>
/// Every Milenage output for one (RAND, SQN, AMF): the CLI's `milenage` command prints <see cref="ToHexFields"/>.
/// The values are secrets (CK, IK, RES); <see cref="ToString"/> redacts them, printing is an explicit act.
/// </summary>
public sealed class MilenageOutput
{
    internal MilenageOutput(byte[] opc, byte[] f1, byte[] f1Star, byte[] f2, byte[] f3, byte[] f4, byte[] f5,
        byte[] f5Star, byte[] autn)
    {
        Opc = opc;
        F1 = f1;
        F1Star = f1Star;
        F2 = f2;
        F3 = f3;
        F4 = f4;
        F5 = f5;
        F5Star = f5Star;
        Autn = autn;
    }

    /// <summary>OPc (16 bytes).</summary>
    public ReadOnlyMemory<byte> Opc { get; }

    /// <summary>f1: MAC-A (8 bytes).</summary>
    public ReadOnlyMemory<byte> F1 { get; }

    /// <summary>f1*: MAC-S (8 bytes).</summary>
    public ReadOnlyMemory<byte> F1Star { get; }

    /// <summary>f2: RES / XRES (8 bytes).</summary>
    public ReadOnlyMemory<byte> F2 { get; }

    /// <summary>f3: CK (16 bytes).</summary>
    public ReadOnlyMemory<byte> F3 { get; }

    /// <summary>f4: IK (16 bytes).</summary>
    public ReadOnlyMemory<byte> F4 { get; }

    /// <summary>f5: AK (6 bytes).</summary>
    public ReadOnlyMemory<byte> F5 { get; }

    /// <summary>f5*: AK for re-synchronisation (6 bytes).</summary>
    public ReadOnlyMemory<byte> F5Star { get; }

    /// <summary>AUTN = (SQN ⊕ AK) ‖ AMF ‖ MAC-A (16 bytes).</summary>
    public ReadOnlyMemory<byte> Autn { get; }

    /// <summary>
    /// The outputs as (key, lower-case hex) pairs in the order opc, f1, f1star, f2, f3, f4, f5, f5star, autn — the
    /// keys used by TS 35.208 style vectors and by milenage-ts35208.json.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> ToHexFields() =>
    [
        new("opc", Convert.ToHexStringLower(Opc.Span)),
        new("f1", Convert.ToHexStringLower(F1.Span)),
        new("f1star", Convert.ToHexStringLower(F1Star.Span)),
        new("f2", Convert.ToHexStringLower(F2.Span)),
        new("f3", Convert.ToHexStringLower(F3.Span)),
        new("f4", Convert.ToHexStringLower(F4.Span)),
        new("f5", Convert.ToHexStringLower(F5.Span)),
        new("f5star", Convert.ToHexStringLower(F5Star.Span)),
        new("autn", Convert.ToHexStringLower(Autn.Span)),
    ];

    /// <inheritdoc/>
    public override string ToString() => "MilenageOutput(values redacted; use ToHexFields to print them)";
}
