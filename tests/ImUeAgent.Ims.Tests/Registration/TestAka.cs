// SPDX-License-Identifier: MIT
using System.Security.Cryptography;
using ImUeAgent.Uicc.Aka;
using ImUeAgent.Uicc.Isim;

namespace ImUeAgent.Ims.Tests.Registration;

/// <summary>Test keys shared by the card and the network side (not a real subscriber's).</summary>
internal static class TestKeys
{
    public static readonly byte[] K = Convert.FromHexString("465b5ce8b199b49faa5f0a2ee238a6bc");
    public static readonly byte[] Opc = Convert.FromHexString("cd63cb71954a9f4e48a5994e37a02baf");
    public static readonly byte[] Amf = Convert.FromHexString("8000");
}

/// <summary>A test ISIM: Milenage with a highest-accepted SQN (TS 33.102 §6.3.3 in its simplest form).</summary>
internal sealed class TestIsim : IImsAkaAuthenticator, IDisposable
{
    public void Dispose() => _milenage.Dispose();

    private readonly Milenage _milenage = new(TestKeys.K, TestKeys.Opc);

    public TestIsim(ImsIdentity identity, ulong highestSqn)
    {
        Identity = identity;
        HighestSqn = highestSqn;
    }

    public ImsIdentity Identity { get; }

    public ulong HighestSqn { get; private set; }

    public int Runs { get; private set; }

    public ValueTask<AkaResult> AuthenticateAsync(ReadOnlyMemory<byte> rand, ReadOnlyMemory<byte> autn, CancellationToken cancellationToken)
    {
        Runs++;
        Span<byte> res = stackalloc byte[8];
        Span<byte> ck = stackalloc byte[16];
        Span<byte> ik = stackalloc byte[16];
        Span<byte> ak = stackalloc byte[6];
        _milenage.F2345(rand.Span, res, ck, ik, ak);
        Span<byte> sqn = stackalloc byte[6];
        for (int i = 0; i < 6; i++)
        {
            sqn[i] = (byte)(autn.Span[i] ^ ak[i]);
        }

        Span<byte> xmac = stackalloc byte[8];
        _milenage.F1(rand.Span, sqn, autn.Span.Slice(6, 2), xmac);
        if (!xmac.SequenceEqual(autn.Span.Slice(8, 8)))
        {
            return ValueTask.FromResult<AkaResult>(AkaResult.MacFailure.Instance);
        }

        ulong value = Milenage.ReadSqn(sqn);
        if (value <= HighestSqn)
        {
            byte[] sqnMs = new byte[6];
            Milenage.WriteSqn(HighestSqn, sqnMs);
            byte[] auts = new byte[14];
            _milenage.ComputeAuts(rand.Span, sqnMs, auts);
            return ValueTask.FromResult<AkaResult>(new AkaResult.SynchronisationFailure(auts));
        }

        HighestSqn = value;
        return ValueTask.FromResult<AkaResult>(new AkaResult.Success(res.ToArray(), ck.ToArray(), ik.ToArray()));
    }
}

/// <summary>The network's side of AKA: makes challenges, keeps XRES per nonce, resynchronises from AUTS.</summary>
internal sealed class TestHss : IDisposable
{
    public void Dispose() => _milenage.Dispose();

    private readonly Milenage _milenage = new(TestKeys.K, TestKeys.Opc);
    private readonly Dictionary<string, byte[]> _xres = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]> _rand = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public TestHss(ulong sqn) => Sqn = sqn;

    public ulong Sqn { get; private set; }

    /// <summary>Corrupt the MAC of the next challenges (a false network).</summary>
    public bool ForgeMac { get; set; }

    public int Resyncs { get; private set; }

    public string NewChallenge()
    {
        lock (_gate)
        {
            Sqn += 32;
            byte[] rand = RandomNumberGenerator.GetBytes(16);
            byte[] sqn = new byte[6];
            Milenage.WriteSqn(Sqn, sqn);
            byte[] autn = new byte[16];
            _milenage.ComputeAutn(rand, sqn, TestKeys.Amf, autn);
            if (ForgeMac)
            {
                autn[15] ^= 0xff;
            }

            byte[] res = new byte[8], ck = new byte[16], ik = new byte[16], ak = new byte[6];
            _milenage.F2345(rand, res, ck, ik, ak);
            string nonce = Convert.ToBase64String([.. rand, .. autn]);
            _xres[nonce] = res;
            _rand[nonce] = rand;
            return nonce;
        }
    }

    public byte[]? Xres(string nonce)
    {
        lock (_gate)
        {
            return _xres.GetValueOrDefault(nonce);
        }
    }

    /// <summary>TS 33.102 §6.3.5: SQN_HE = SQN_MS from a valid AUTS.</summary>
    public bool Resynchronise(string nonce, byte[] auts)
    {
        lock (_gate)
        {
            if (!_rand.TryGetValue(nonce, out byte[]? rand))
            {
                return false;
            }

            byte[] sqnMs = new byte[6];
            if (!_milenage.TryRecoverSqnMs(rand, auts, sqnMs))
            {
                return false;
            }

            Sqn = Milenage.ReadSqn(sqnMs);
            Resyncs++;
            return true;
        }
    }
}
