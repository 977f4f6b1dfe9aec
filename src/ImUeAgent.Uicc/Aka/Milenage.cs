// SPDX-License-Identifier: MIT
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace ImUeAgent.Uicc.Aka;

/// <summary>
/// The Milenage algorithm set (3GPP TS 35.206 §4.1) for one subscriber key K and operator variant OPc.
/// One AES-128 instance keyed with K is reused for every block; the functions work on caller spans and do not
/// allocate. Not thread-safe: callers serialise (the soft ISIM holds a gate).
/// </summary>
public sealed class Milenage : IDisposable
{
    /// <summary>Length of K, OP, OPc, RAND, CK, IK and AUTN in bytes.</summary>
    public const int BlockLength = 16;

    /// <summary>Length of SQN and AK in bytes (48 bits).</summary>
    public const int SqnLength = 6;

    /// <summary>Length of AMF in bytes.</summary>
    public const int AmfLength = 2;

    /// <summary>Length of MAC-A / MAC-S and of RES as produced by f2 (64 bits).</summary>
    public const int MacLength = 8;

    /// <summary>Length of AUTS = Conc(SQN_MS) ‖ MAC-S (TS 33.102 §6.3.3).</summary>
    public const int AutsLength = SqnLength + MacLength;

    private readonly Aes _aes;
    private readonly ICryptoTransform _encryptor;
    private readonly byte[] _opc = new byte[BlockLength];
    private readonly byte[] _blockIn = new byte[BlockLength];
    private readonly byte[] _blockOut = new byte[BlockLength];
    private bool _disposed;

    /// <summary>Creates the algorithm set from K and OPc (both 16 bytes).</summary>
    public Milenage(ReadOnlySpan<byte> k, ReadOnlySpan<byte> opc)
    {
        RequireLength(k, BlockLength, nameof(k));
        RequireLength(opc, BlockLength, nameof(opc));
        _aes = CreateAes(k);

        // One ECB transform for the instance's life: the one-shot EncryptEcb allocates per call, this does not.
        _encryptor = _aes.CreateEncryptor();
        opc.CopyTo(_opc);
    }

    /// <summary>Creates the algorithm set from K and the operator variant OP: OPc is derived first.</summary>
    public static Milenage FromOp(ReadOnlySpan<byte> k, ReadOnlySpan<byte> op)
    {
        Span<byte> opc = stackalloc byte[BlockLength];
        ComputeOpc(k, op, opc);
        var milenage = new Milenage(k, opc);
        CryptographicOperations.ZeroMemory(opc);
        return milenage;
    }

    /// <summary>TS 35.206 §4.1: OPc = OP ⊕ E[OP]K.</summary>
    public static void ComputeOpc(ReadOnlySpan<byte> k, ReadOnlySpan<byte> op, Span<byte> opc)
    {
        RequireLength(k, BlockLength, nameof(k));
        RequireLength(op, BlockLength, nameof(op));
        RequireLength(opc, BlockLength, nameof(opc));
        using var aes = CreateAes(k);
        aes.EncryptEcb(op, opc, PaddingMode.None);
        Xor(opc, op);
    }

    /// <summary>f1: network authentication function, MAC-A (8 bytes).</summary>
    public void F1(ReadOnlySpan<byte> rand, ReadOnlySpan<byte> sqn, ReadOnlySpan<byte> amf, Span<byte> macA)
    {
        RequireLength(macA, MacLength, nameof(macA));
        Span<byte> out1 = stackalloc byte[BlockLength];
        ComputeOut1(rand, sqn, amf, out1);
        out1[..MacLength].CopyTo(macA);
        CryptographicOperations.ZeroMemory(out1);
    }

    /// <summary>f1*: re-synchronisation message authentication function, MAC-S (8 bytes).</summary>
    public void F1Star(ReadOnlySpan<byte> rand, ReadOnlySpan<byte> sqn, ReadOnlySpan<byte> amf, Span<byte> macS)
    {
        RequireLength(macS, MacLength, nameof(macS));
        Span<byte> out1 = stackalloc byte[BlockLength];
        ComputeOut1(rand, sqn, amf, out1);
        out1[MacLength..].CopyTo(macS);
        CryptographicOperations.ZeroMemory(out1);
    }

    /// <summary>f2 (RES, 8 bytes), f3 (CK, 16), f4 (IK, 16) and f5 (AK, 6) in one pass, as a USIM computes them.</summary>
    public void F2345(ReadOnlySpan<byte> rand, Span<byte> res, Span<byte> ck, Span<byte> ik, Span<byte> ak)
    {
        RequireLength(res, MacLength, nameof(res));
        RequireLength(ck, BlockLength, nameof(ck));
        RequireLength(ik, BlockLength, nameof(ik));
        RequireLength(ak, SqnLength, nameof(ak));
        Span<byte> temp = stackalloc byte[BlockLength];
        Span<byte> output = stackalloc byte[BlockLength];
        ComputeTemp(rand, temp);

        // OUT2: r2 = 0, c2 = 1 → f5 = OUT2[0..47], f2 = OUT2[64..127].
        ComputeOutN(temp, rotateBytes: 0, constant: 1, output);
        output[..SqnLength].CopyTo(ak);
        output[MacLength..].CopyTo(res);

        // OUT3: r3 = 32, c3 = 2 → f3 = CK.
        ComputeOutN(temp, rotateBytes: 4, constant: 2, ck);

        // OUT4: r4 = 64, c4 = 4 → f4 = IK.
        ComputeOutN(temp, rotateBytes: 8, constant: 4, ik);

        CryptographicOperations.ZeroMemory(temp);
        CryptographicOperations.ZeroMemory(output);
    }

    /// <summary>f5: anonymity key AK (6 bytes) alone, as needed to open SQN ⊕ AK in AUTN.</summary>
    public void F5(ReadOnlySpan<byte> rand, Span<byte> ak)
    {
        RequireLength(ak, SqnLength, nameof(ak));
        Span<byte> temp = stackalloc byte[BlockLength];
        Span<byte> output = stackalloc byte[BlockLength];
        ComputeTemp(rand, temp);
        ComputeOutN(temp, rotateBytes: 0, constant: 1, output);
        output[..SqnLength].CopyTo(ak);
        CryptographicOperations.ZeroMemory(temp);
        CryptographicOperations.ZeroMemory(output);
    }

    /// <summary>f5*: anonymity key for re-synchronisation AK* (6 bytes).</summary>
    public void F5Star(ReadOnlySpan<byte> rand, Span<byte> akStar)
    {
        RequireLength(akStar, SqnLength, nameof(akStar));
        Span<byte> temp = stackalloc byte[BlockLength];
        Span<byte> output = stackalloc byte[BlockLength];
        ComputeTemp(rand, temp);

        // OUT5: r5 = 96, c5 = 8.
        ComputeOutN(temp, rotateBytes: 12, constant: 8, output);
        output[..SqnLength].CopyTo(akStar);
        CryptographicOperations.ZeroMemory(temp);
        CryptographicOperations.ZeroMemory(output);
    }

    /// <summary>TS 33.102 §6.3.2: AUTN = (SQN ⊕ AK) ‖ AMF ‖ MAC-A, the network side of a challenge.</summary>
    public void ComputeAutn(ReadOnlySpan<byte> rand, ReadOnlySpan<byte> sqn, ReadOnlySpan<byte> amf, Span<byte> autn)
    {
        RequireLength(autn, BlockLength, nameof(autn));
        F5(rand, autn[..SqnLength]);
        Xor(autn[..SqnLength], sqn);
        amf.CopyTo(autn.Slice(SqnLength, AmfLength));
        F1(rand, sqn, amf, autn.Slice(SqnLength + AmfLength, MacLength));
    }

    /// <summary>
    /// TS 33.102 §6.3.3: AUTS = (SQN_MS ⊕ AK*) ‖ MAC-S with AK* = f5*(RAND) and MAC-S = f1*(SQN_MS, RAND, AMF*),
    /// where AMF* is the dummy value 0000 so it need not be sent.
    /// </summary>
    public void ComputeAuts(ReadOnlySpan<byte> rand, ReadOnlySpan<byte> sqnMs, Span<byte> auts)
    {
        RequireLength(sqnMs, SqnLength, nameof(sqnMs));
        RequireLength(auts, AutsLength, nameof(auts));
        ReadOnlySpan<byte> dummyAmf = [0x00, 0x00];
        F5Star(rand, auts[..SqnLength]);
        Xor(auts[..SqnLength], sqnMs);
        F1Star(rand, sqnMs, dummyAmf, auts[SqnLength..]);
    }

    /// <summary>
    /// The network side of re-synchronisation (TS 33.102 §6.3.5): recovers SQN_MS from AUTS and verifies MAC-S.
    /// Returns false, leaving <paramref name="sqnMs"/> cleared, when MAC-S does not match.
    /// </summary>
    public bool TryRecoverSqnMs(ReadOnlySpan<byte> rand, ReadOnlySpan<byte> auts, Span<byte> sqnMs)
    {
        RequireLength(auts, AutsLength, nameof(auts));
        RequireLength(sqnMs, SqnLength, nameof(sqnMs));
        ReadOnlySpan<byte> dummyAmf = [0x00, 0x00];
        F5Star(rand, sqnMs);
        Xor(sqnMs, auts[..SqnLength]);
        Span<byte> xmacS = stackalloc byte[MacLength];
        F1Star(rand, sqnMs, dummyAmf, xmacS);
        if (CryptographicOperations.FixedTimeEquals(xmacS, auts[SqnLength..]))
        {
            return true;
        }

        sqnMs.Clear();
        return false;
    }

    /// <summary>Every function output for one (RAND, SQN, AMF), for the CLI and for test vectors.</summary>
    public MilenageOutput ComputeAll(ReadOnlySpan<byte> rand, ReadOnlySpan<byte> sqn, ReadOnlySpan<byte> amf)
    {
        RequireLength(sqn, SqnLength, nameof(sqn));
        RequireLength(amf, AmfLength, nameof(amf));
        var f1 = new byte[MacLength];
        var f1Star = new byte[MacLength];
        var f2 = new byte[MacLength];
        var f3 = new byte[BlockLength];
        var f4 = new byte[BlockLength];
        var f5 = new byte[SqnLength];
        var f5Star = new byte[SqnLength];
        var autn = new byte[BlockLength];
        Span<byte> out1 = stackalloc byte[BlockLength];
        ComputeOut1(rand, sqn, amf, out1);
        out1[..MacLength].CopyTo(f1);
        out1[MacLength..].CopyTo(f1Star);
        CryptographicOperations.ZeroMemory(out1);
        F2345(rand, f2, f3, f4, f5);
        F5Star(rand, f5Star);
        ComputeAutn(rand, sqn, amf, autn);
        return new MilenageOutput(_opc.AsSpan().ToArray(), f1, f1Star, f2, f3, f4, f5, f5Star, autn);
    }

    /// <summary>Reads the 48-bit SQN as a number (big-endian, TS 33.102 §6.3.7).</summary>
    public static ulong ReadSqn(ReadOnlySpan<byte> sqn)
    {
        RequireLength(sqn, SqnLength, nameof(sqn));
        return ((ulong)BinaryPrimitives.ReadUInt16BigEndian(sqn) << 32) | BinaryPrimitives.ReadUInt32BigEndian(sqn[2..]);
    }

    /// <summary>Writes a 48-bit SQN (big-endian).</summary>
    public static void WriteSqn(ulong value, Span<byte> sqn)
    {
        RequireLength(sqn, SqnLength, nameof(sqn));
        if (value > MaxSqn)
        {
            throw new ArgumentOutOfRangeException(nameof(value), "SQN is 48 bits");
        }

        BinaryPrimitives.WriteUInt16BigEndian(sqn, (ushort)(value >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(sqn[2..], (uint)value);
    }

    /// <summary>The largest 48-bit SQN.</summary>
    public const ulong MaxSqn = (1UL << 48) - 1;

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        CryptographicOperations.ZeroMemory(_opc);
        CryptographicOperations.ZeroMemory(_blockIn);
        CryptographicOperations.ZeroMemory(_blockOut);
        _encryptor.Dispose();
        _aes.Dispose();
    }

    /// <inheritdoc/>
    public override string ToString() => "Milenage(K and OPc redacted)";

    // TEMP = E[RAND ⊕ OPc]K.
    private void ComputeTemp(ReadOnlySpan<byte> rand, Span<byte> temp)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RequireLength(rand, BlockLength, nameof(rand));
        Span<byte> input = stackalloc byte[BlockLength];
        rand.CopyTo(input);
        Xor(input, _opc);
        Encrypt(input, temp);
        CryptographicOperations.ZeroMemory(input);
    }

    // OUT1 = E[TEMP ⊕ rot(IN1 ⊕ OPc, r1) ⊕ c1]K ⊕ OPc, IN1 = SQN ‖ AMF ‖ SQN ‖ AMF, r1 = 64, c1 = 0.
    private void ComputeOut1(ReadOnlySpan<byte> rand, ReadOnlySpan<byte> sqn, ReadOnlySpan<byte> amf, Span<byte> out1)
    {
        RequireLength(sqn, SqnLength, nameof(sqn));
        RequireLength(amf, AmfLength, nameof(amf));
        Span<byte> temp = stackalloc byte[BlockLength];
        ComputeTemp(rand, temp);

        Span<byte> in1 = stackalloc byte[BlockLength];
        sqn.CopyTo(in1);
        amf.CopyTo(in1[SqnLength..]);
        sqn.CopyTo(in1[8..]);
        amf.CopyTo(in1[(8 + SqnLength)..]);
        Xor(in1, _opc);

        Span<byte> input = stackalloc byte[BlockLength];
        for (var i = 0; i < BlockLength; i++)
        {
            input[i] = (byte)(temp[i] ^ in1[(i + 8) % BlockLength]);
        }

        Encrypt(input, out1);
        Xor(out1, _opc);
        CryptographicOperations.ZeroMemory(temp);
        CryptographicOperations.ZeroMemory(in1);
        CryptographicOperations.ZeroMemory(input);
    }

    // OUTn = E[rot(TEMP ⊕ OPc, rn) ⊕ cn]K ⊕ OPc for n = 2..5. Every rn is a whole number of bytes and every cn
    // only sets bits of the last byte (TS 35.206 §4.1: c2 = …01, c3 = …02, c4 = …04, c5 = …08).
    private void ComputeOutN(ReadOnlySpan<byte> temp, int rotateBytes, byte constant, Span<byte> output)
    {
        Span<byte> input = stackalloc byte[BlockLength];
        for (var i = 0; i < BlockLength; i++)
        {
            var j = (i + rotateBytes) % BlockLength;
            input[i] = (byte)(temp[j] ^ _opc[j]);
        }

        input[BlockLength - 1] ^= constant;
        Encrypt(input, output);
        Xor(output, _opc);
        CryptographicOperations.ZeroMemory(input);
    }

    // E[x]K on one block through the reused transform; the scratch blocks are wiped after each use.
    private void Encrypt(ReadOnlySpan<byte> input, Span<byte> output)
    {
        input.CopyTo(_blockIn);
        _encryptor.TransformBlock(_blockIn, 0, BlockLength, _blockOut, 0);
        _blockOut.CopyTo(output);
        CryptographicOperations.ZeroMemory(_blockIn);
        CryptographicOperations.ZeroMemory(_blockOut);
    }

    private static Aes CreateAes(ReadOnlySpan<byte> k)
    {
        var aes = Aes.Create();
        aes.Mode = CipherMode.ECB;
        aes.Padding = PaddingMode.None;
        var key = k.ToArray();
        aes.Key = key;
        CryptographicOperations.ZeroMemory(key);
        return aes;
    }

    private static void Xor(Span<byte> target, ReadOnlySpan<byte> other)
    {
        for (var i = 0; i < target.Length; i++)
        {
            target[i] ^= other[i];
        }
    }

    private static void RequireLength(ReadOnlySpan<byte> value, int length, string name)
    {
        if (value.Length != length)
        {
            throw new ArgumentException($"{name} must be {length} bytes, got {value.Length}", name);
        }
    }
}
