// SPDX-License-Identifier: MIT
using System.Security.Cryptography;
using ImUeAgent.Uicc.Aka;
using ImUeAgent.Uicc.Isim;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImUeAgent.Uicc.Soft;

/// <summary>
/// An ISIM in software, for boards without one and for tests: Milenage with K and OPc from a private key file,
/// the USIM's checks of TS 33.102 §6.3.3 (MAC-A, then SQN freshness per Annex C) and the SQN state persisted
/// before RES is released, so a replayed challenge is refused even after a restart.
/// </summary>
public sealed class SoftIsim : IImsAkaAuthenticator, IDisposable
{
    private readonly Milenage _milenage;
    private readonly SequenceNumberState _sqnState;
    private readonly SqnStateFile _stateFile;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly byte[] _amf;
    private bool _disposed;

    private SoftIsim(Milenage milenage, ImsIdentity identity, byte[] amf, SequenceNumberState sqnState,
        SqnStateFile stateFile, string keyFilePath, ILogger logger)
    {
        _milenage = milenage;
        Identity = identity;
        _amf = amf;
        _sqnState = sqnState;
        _stateFile = stateFile;
        KeyFilePath = keyFilePath;
        _logger = logger;
    }

    /// <inheritdoc/>
    public ImsIdentity Identity { get; }

    /// <summary>The AMF configured in the key file (default 8000), for a local network side such as the CLI.</summary>
    public ReadOnlyMemory<byte> Amf => _amf;

    /// <summary>The key file this soft ISIM was loaded from.</summary>
    public string KeyFilePath { get; }

    /// <summary>Where the accepted SQNs are persisted.</summary>
    public string SqnStatePath => _stateFile.Path;

    /// <summary>SQN_MS: the highest SQN accepted so far (0 for a new soft ISIM).</summary>
    public ulong HighestAcceptedSqn
    {
        get
        {
            _gate.Wait();
            try
            {
                return _sqnState.HighestAccepted;
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    /// <summary>
    /// Loads the key file (refused with <see cref="UiccErrorReason.KeyFileInsecure"/> when group or others can
    /// access it) and the SQN state file beside it.
    /// </summary>
    public static SoftIsim Load(string keyFilePath, ILogger? logger = null)
    {
        logger ??= NullLogger.Instance;
        using var keyFile = SoftIsimKeyFile.Load(keyFilePath);
        var stateFile = new SqnStateFile(keyFile.SqnStatePath);
        var state = new SequenceNumberState(keyFile.IndBits, keyFile.SqnDelta, stateFile.Load());
        var milenage = new Milenage(keyFile.K, keyFile.Opc);
        logger.SoftIsimLoaded(keyFile.Path, stateFile.Path);
        return new SoftIsim(milenage, keyFile.Identity, keyFile.Amf.AsSpan().ToArray(), state, stateFile,
            keyFile.Path, logger);
    }

    /// <inheritdoc/>
    public async ValueTask<AkaResult> AuthenticateAsync(ReadOnlyMemory<byte> rand, ReadOnlyMemory<byte> autn,
        CancellationToken cancellationToken)
    {
        if (rand.Length != Milenage.BlockLength)
        {
            throw new ArgumentException($"RAND must be 16 bytes, got {rand.Length}", nameof(rand));
        }

        if (autn.Length != Milenage.BlockLength)
        {
            throw new ArgumentException($"AUTN must be 16 bytes, got {autn.Length}", nameof(autn));
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var (verdict, sqn) = Verify(rand.Span, autn.Span);
            AkaResult result;
            switch (verdict)
            {
                case null:
                    _logger.SoftIsimMacFailure();
                    result = AkaResult.MacFailure.Instance;
                    break;
                case SqnVerdict.Fresh:
                    // Persist first: once RES is out, this SQN must never be accepted again, crash or not.
                    await _stateFile.SaveAsync(_sqnState.SnapshotWith(sqn), cancellationToken).ConfigureAwait(false);
                    _sqnState.Accept(sqn);
                    result = Respond(rand.Span);
                    break;
                default:
                    _logger.SoftIsimSqnRejected(verdict == SqnVerdict.BeyondWindow ? "beyond the window" : "not fresh");
                    result = Resynchronise(rand.Span);
                    break;
            }

            _logger.AkaOutcome(result.Outcome);
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _gate.Wait();
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _milenage.Dispose();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"soft ISIM from '{KeyFilePath}' (K and OPc redacted)";

    // TS 33.102 §6.3.3: AK = f5(RAND), SQN = (SQN ⊕ AK) ⊕ AK, XMAC = f1(SQN, RAND, AMF); MAC first, then SQN.
    // Null verdict: MAC failure.
    private (SqnVerdict? Verdict, ulong Sqn) Verify(ReadOnlySpan<byte> rand, ReadOnlySpan<byte> autn)
    {
        Span<byte> sqn = stackalloc byte[Milenage.SqnLength];
        Span<byte> xmac = stackalloc byte[Milenage.MacLength];
        _milenage.F5(rand, sqn);
        for (var i = 0; i < Milenage.SqnLength; i++)
        {
            sqn[i] ^= autn[i];
        }

        var amf = autn.Slice(Milenage.SqnLength, Milenage.AmfLength);
        var mac = autn.Slice(Milenage.SqnLength + Milenage.AmfLength, Milenage.MacLength);
        _milenage.F1(rand, sqn, amf, xmac);
        if (!CryptographicOperations.FixedTimeEquals(xmac, mac))
        {
            return (null, 0);
        }

        var value = Milenage.ReadSqn(sqn);
        return (_sqnState.Check(value), value);
    }

    private AkaResult.Success Respond(ReadOnlySpan<byte> rand)
    {
        var res = new byte[Milenage.MacLength];
        var ck = new byte[Milenage.BlockLength];
        var ik = new byte[Milenage.BlockLength];
        Span<byte> ak = stackalloc byte[Milenage.SqnLength];
        _milenage.F2345(rand, res, ck, ik, ak);
        return new AkaResult.Success(res, ck, ik);
    }

    private AkaResult.SynchronisationFailure Resynchronise(ReadOnlySpan<byte> rand)
    {
        Span<byte> sqnMs = stackalloc byte[Milenage.SqnLength];
        Milenage.WriteSqn(_sqnState.HighestAccepted, sqnMs);
        var auts = new byte[Milenage.AutsLength];
        _milenage.ComputeAuts(rand, sqnMs, auts);
        return new AkaResult.SynchronisationFailure(auts);
    }
}
