// SPDX-License-Identifier: MIT
using System.Security.Cryptography;

namespace ImUeAgent.Sip.Auth;

/// <summary>Runs the AKA algorithm for a challenge (RFC 3310 §3.3): the ISIM (or a soft ISIM) checks AUTN and answers.
/// The IMS layer implements this over its UICC channel; the SIP layer never sees K or OPc.</summary>
public interface IAkaResponder
{
    /// <param name="rand">RAND, 16 bytes, from the nonce.</param>
    /// <param name="autn">AUTN, 16 bytes, from the nonce.</param>
    ValueTask<AkaResponderResult> AuthenticateAsync(ReadOnlyMemory<byte> rand, ReadOnlyMemory<byte> autn, CancellationToken cancellationToken);
}

/// <summary>How the card answered an AKA challenge (TS 33.102 §6.3.3).</summary>
public enum AkaOutcome : byte
{
    /// <summary>AUTN verified: RES, CK and IK are available.</summary>
    Success,
    /// <summary>SQN out of range: AUTS (14 bytes) lets the network resynchronise (RFC 3310 §3.4).</summary>
    SynchronisationFailure,
    /// <summary>MAC in AUTN wrong: the network is not authentic (RFC 3310 §3.3, TS 24.229 §5.1.1.5.3).</summary>
    MacFailure,
}

/// <summary>The answer of an <see cref="IAkaResponder"/>. RES, CK, IK and AUTS are raw bytes (a RES may contain 0x00:
/// it is never a string) and secret: <see cref="ToString"/> shows only the outcome. <see cref="Dispose"/> zeroes them.</summary>
public sealed class AkaResponderResult : IDisposable
{
    private readonly byte[] _res;
    private readonly byte[] _ck;
    private readonly byte[] _ik;
    private readonly byte[] _auts;

    private AkaResponderResult(AkaOutcome outcome, byte[] res, byte[] ck, byte[] ik, byte[] auts)
    {
        Outcome = outcome;
        _res = res;
        _ck = ck;
        _ik = ik;
        _auts = auts;
    }

    public AkaOutcome Outcome { get; }

    /// <summary>RES (4 to 16 bytes) on success; empty otherwise.</summary>
    public ReadOnlySpan<byte> Res => _res;

    /// <summary>CK (16 bytes) on success; empty otherwise.</summary>
    public ReadOnlySpan<byte> Ck => _ck;

    /// <summary>IK (16 bytes) on success; empty otherwise.</summary>
    public ReadOnlySpan<byte> Ik => _ik;

    /// <summary>AUTS (14 bytes) on a synchronisation failure; empty otherwise.</summary>
    public ReadOnlySpan<byte> Auts => _auts;

    /// <summary>A successful answer; the arrays are copied.</summary>
    public static AkaResponderResult Success(ReadOnlySpan<byte> res, ReadOnlySpan<byte> ck, ReadOnlySpan<byte> ik)
    {
        if (res.Length is < 4 or > 16)
        {
            throw new ArgumentException("RES is 4 to 16 bytes (TS 33.102 §6.3.2)", nameof(res));
        }

        if (ck.Length != 16 || ik.Length != 16)
        {
            throw new ArgumentException("CK and IK are 16 bytes");
        }

        return new(AkaOutcome.Success, res.ToArray(), ck.ToArray(), ik.ToArray(), []);
    }

    public static AkaResponderResult SynchronisationFailure(ReadOnlySpan<byte> auts)
    {
        if (auts.Length != 14)
        {
            throw new ArgumentException("AUTS is 14 bytes (TS 33.102 §6.3.3)", nameof(auts));
        }

        return new(AkaOutcome.SynchronisationFailure, [], [], [], auts.ToArray());
    }

    public static AkaResponderResult MacFailure() => new(AkaOutcome.MacFailure, [], [], [], []);

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_res);
        CryptographicOperations.ZeroMemory(_ck);
        CryptographicOperations.ZeroMemory(_ik);
    }

    public override string ToString() => "AKA " + Outcome;
}
