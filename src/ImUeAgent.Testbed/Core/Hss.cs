// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Security.Cryptography;
using ImUeAgent.Sip.Message;
using ImUeAgent.Uicc.Aka;

namespace ImUeAgent.Testbed.Core;

/// <summary>
/// One authentication vector (TS 33.102 §6.3.2): RAND, AUTN, XRES, CK, IK. XRES, CK and IK are secrets; the S-CSCF
/// keeps the vector only while the challenge is open and <see cref="ToString"/> prints the SQN alone.
/// </summary>
internal sealed class AuthenticationVector
{
    public required byte[] Rand { get; init; }

    public required byte[] Autn { get; init; }

    public required byte[] Xres { get; init; }

    public required byte[] Ck { get; init; }

    public required byte[] Ik { get; init; }

    public required ulong Sqn { get; init; }

    /// <summary>What the `desync` / `mac-failure` control commands injected into this vector, if anything.</summary>
    public VectorFault Fault { get; init; }

    /// <summary>RFC 3310 §3.2: nonce = base64(RAND ‖ AUTN) (no server-specific data).</summary>
    public string Nonce => Convert.ToBase64String([.. Rand, .. Autn]);

    public override string ToString() =>
        Fault == VectorFault.None ? $"AuthenticationVector(SQN {Sqn:x12}, XRES/CK/IK redacted)" : $"AuthenticationVector(SQN {Sqn:x12}, {Fault}, XRES/CK/IK redacted)";
}

/// <summary>A deliberate defect of an authentication vector, for testing the UE's side of TS 33.102 §6.3.3.</summary>
[Flags]
internal enum VectorFault
{
    None = 0,

    /// <summary>The SQN is one the card has already passed: the USIM answers synchronisation failure with AUTS
    /// (TS 33.102 §6.3.3, §6.3.5).</summary>
    StaleSqn = 1,

    /// <summary>MAC-A in AUTN is wrong: the USIM rejects the network, "MAC failure" (TS 33.102 §6.3.3).</summary>
    BadMac = 2,
}

/// <summary>
/// The HSS: subscriptions by private and public identity, and the sequence number generator of TS 33.102 Annex C.
/// SQN = SEQ ‖ IND with <see cref="IndBits"/> IND bits (Annex C.3.2 suggests 5): every vector takes SEQ_HE + 1 and
/// the next IND value in turn, so each IND slot of the card sees strictly rising SEQ. A re-synchronisation (Annex
/// C.3.4) sets SEQ_HE to SEQ_MS, so the next vector is fresh for the card. For tests of the UE, faults can be armed per
/// subscriber (the `desync` and `mac-failure` control commands, <see cref="ApplyFault"/>): the next N vectors carry a
/// stale SQN or a wrong MAC-A. Thread-safe.
/// </summary>
internal sealed class Hss
{
    private readonly Dictionary<string, Subscription> _byImpi = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Subscription> _byImpu = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public Hss(IEnumerable<Subscriber> subscribers, int indBits = 5)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(indBits);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(indBits, 10);
        IndBits = indBits;
        foreach (var subscriber in subscribers)
        {
            var subscription = new Subscription(subscriber, indBits);
            if (!_byImpi.TryAdd(subscriber.Impi, subscription))
            {
                throw new ArgumentException($"IMPI {subscriber.Impi} listed twice", nameof(subscribers));
            }

            foreach (var impu in subscriber.Impus)
            {
                if (!_byImpu.TryAdd(CoreUris.AddressOfRecord(SipUri.Parse(impu)), subscription))
                {
                    throw new ArgumentException($"IMPU {impu} listed twice", nameof(subscribers));
                }
            }
        }
    }

    public int IndBits { get; }

    public IEnumerable<Subscriber> Subscribers => _byImpi.Values.Select(s => s.Subscriber);

    public Subscriber? FindByImpi(string impi) => _byImpi.TryGetValue(impi, out var s) ? s.Subscriber : null;

    /// <summary>The subscriber owning a public identity, compared as addresses of record (<see cref="CoreUris"/>).</summary>
    public Subscriber? FindByImpu(SipUri uri) =>
        _byImpu.TryGetValue(CoreUris.AddressOfRecord(uri), out var s) ? s.Subscriber : null;

    /// <summary>The SQN the next vector of <paramref name="impi"/> will carry.</summary>
    public ulong PeekNextSqn(string impi)
    {
        var s = _byImpi[impi];
        lock (_gate)
        {
            return s.Next(advance: false);
        }
    }

    /// <summary>SQN_HE: the highest sequence number issued so far.</summary>
    public ulong SqnHe(string impi)
    {
        var s = _byImpi[impi];
        lock (_gate)
        {
            return s.SqnHe;
        }
    }

    /// <summary>Generates a fresh vector (TS 33.102 §6.3.2) with a random RAND and the next SQN.</summary>
    public AuthenticationVector GenerateVector(Subscriber subscriber)
    {
        var s = _byImpi[subscriber.Impi];
        ulong sqn;
        var fault = VectorFault.None;
        lock (_gate)
        {
            if (s.StaleVectors > 0)
            {
                // The SQN the HSS was provisioned with: the card's SQN_MS starts there (imue-testbed all gives both the
                // same --sqn) and only rises, so SEQ is not above SEQ_MS(IND) (TS 33.102 Annex C.2.1). SEQ_HE is left
                // alone: the AUTS that follows moves it (Annex C.3.4).
                s.StaleVectors--;
                sqn = subscriber.Sqn;
                fault |= VectorFault.StaleSqn;
            }
            else
            {
                sqn = s.Next(advance: true);
            }

            if (s.BadMacVectors > 0)
            {
                s.BadMacVectors--;
                fault |= VectorFault.BadMac;
            }
        }

        var rand = RandomNumberGenerator.GetBytes(Milenage.BlockLength);
        Span<byte> sqnBytes = stackalloc byte[Milenage.SqnLength];
        Milenage.WriteSqn(sqn, sqnBytes);
        Span<byte> amf = [(byte)(subscriber.Amf >> 8), (byte)subscriber.Amf];
        var autn = new byte[Milenage.BlockLength];
        var xres = new byte[Milenage.MacLength];
        var ck = new byte[Milenage.BlockLength];
        var ik = new byte[Milenage.BlockLength];
        Span<byte> ak = stackalloc byte[Milenage.SqnLength];
        using (var milenage = new Milenage(subscriber.K, subscriber.Opc))
        {
            milenage.ComputeAutn(rand, sqnBytes, amf, autn);
            milenage.F2345(rand, xres, ck, ik, ak);
        }

        if ((fault & VectorFault.BadMac) != 0)
        {
            // AUTN = SQN ⊕ AK ‖ AMF ‖ MAC-A (TS 33.102 §6.3.2): one flipped bit of MAC-A makes XMAC ≠ MAC on the card.
            autn[^1] ^= 0x01;
        }

        return new AuthenticationVector { Rand = rand, Autn = autn, Xres = xres, Ck = ck, Ik = ik, Sqn = sqn, Fault = fault };
    }

    /// <summary>Vectors of <paramref name="impi"/> still to be issued with each fault.</summary>
    public (uint StaleSqn, uint BadMac) PendingFaults(string impi)
    {
        var s = _byImpi[impi];
        lock (_gate)
        {
            return (s.StaleVectors, s.BadMacVectors);
        }
    }

    /// <summary>Vectors still to be issued with a fault, all subscribers together (for the core's `status`).</summary>
    public uint PendingFaultCount
    {
        get
        {
            lock (_gate)
            {
                return (uint)_byImpi.Values.Sum(s => (long)s.StaleVectors + s.BadMacVectors);
            }
        }
    }

    /// <summary>
    /// Carries out `desync IMPI [COUNT]` or `mac-failure IMPI [COUNT]`: the next COUNT (default 1; 0 disarms) vectors of
    /// the subscriber carry a stale SQN or a wrong MAC-A. Answers "OK …" or "ERROR …" for the control channel.
    /// </summary>
    public string ApplyFault(CoreControlCommand command)
    {
        if (command.Verb is not (CoreControlVerb.Desync or CoreControlVerb.MacFailure) || command.Text is not { } impi)
        {
            return "ERROR not an HSS fault";
        }

        if (!_byImpi.TryGetValue(impi, out var s))
        {
            return "ERROR unknown private identity";
        }

        if (!s.Subscriber.IsAka)
        {
            return "ERROR not an AKA subscriber (digest subscribers get no vectors)";
        }

        var count = command.Number ?? 1;
        lock (_gate)
        {
            if (command.Verb == CoreControlVerb.Desync)
            {
                s.StaleVectors = count;
            }
            else
            {
                s.BadMacVectors = count;
            }
        }

        var what = command.Verb == CoreControlVerb.Desync
            ? string.Create(CultureInfo.InvariantCulture, $"with the stale SQN {s.Subscriber.Sqn:x12}")
            : "with a wrong MAC-A";
        return string.Create(CultureInfo.InvariantCulture, $"OK next {count} vector(s) of {s.Subscriber.Impi} {what}");
    }

    /// <summary>
    /// TS 33.102 §6.3.5: verifies MAC-S of <paramref name="auts"/> against the RAND of the challenge and, when it
    /// holds, sets SEQ_HE to SEQ_MS (Annex C.3.4) so the next vector is accepted. Returns SQN_MS, or null when
    /// MAC-S is wrong.
    /// </summary>
    public ulong? Resynchronise(Subscriber subscriber, ReadOnlySpan<byte> rand, ReadOnlySpan<byte> auts)
    {
        Span<byte> sqnMs = stackalloc byte[Milenage.SqnLength];
        using (var milenage = new Milenage(subscriber.K, subscriber.Opc))
        {
            if (!milenage.TryRecoverSqnMs(rand, auts, sqnMs))
            {
                return null;
            }
        }

        var value = Milenage.ReadSqn(sqnMs);
        var s = _byImpi[subscriber.Impi];
        lock (_gate)
        {
            s.Resynchronise(value);
        }

        return value;
    }

    private sealed class Subscription(Subscriber subscriber, int indBits)
    {
        private readonly ulong _indMask = (1UL << indBits) - 1;
        private ulong _seqHe = subscriber.Sqn >> indBits;
        private ulong _nextInd = (subscriber.Sqn & ((1UL << indBits) - 1)) + 1;

        public Subscriber Subscriber { get; } = subscriber;

        public ulong SqnHe { get; private set; } = subscriber.Sqn;

        /// <summary>Vectors still to be issued with the provisioned (stale) SQN.</summary>
        public uint StaleVectors { get; set; }

        /// <summary>Vectors still to be issued with a wrong MAC-A.</summary>
        public uint BadMacVectors { get; set; }

        public ulong Next(bool advance)
        {
            var seq = (_seqHe + 1) & (Milenage.MaxSqn >> indBits);
            var ind = _nextInd & _indMask;
            var sqn = (seq << indBits) | ind;
            if (advance)
            {
                _seqHe = seq;
                _nextInd = ind + 1;
                SqnHe = sqn;
            }

            return sqn;
        }

        public void Resynchronise(ulong sqnMs)
        {
            _seqHe = sqnMs >> indBits;
            _nextInd = (sqnMs & _indMask) + 1;
            SqnHe = sqnMs;
        }
    }
}
