// SPDX-License-Identifier: MIT
using ImUeAgent.Testbed.Core;
using ImUeAgent.Testbed.Modem;
using ImUeAgent.Uicc.Aka;

namespace ImUeAgent.Testbed.Tests.Core;

/// <summary>
/// The HSS faults behind the `desync` and `mac-failure` control commands, checked against the emulated card of
/// `imue-testbed modem` (same K, OPc and SQN as the HSS, as `imue-testbed all` wires them).
/// </summary>
public sealed class HssFaultTests
{
    private const string Impi = "001010123456789@ims.mnc001.mcc001.3gppnetwork.org";

    [Theory]
    [InlineData("desync " + Impi, "Desync", 1u)]
    [InlineData("DESYNC " + Impi + " 2", "Desync", 2u)]
    [InlineData("desync " + Impi + " 0", "Desync", 0u)]
    [InlineData("mac-failure " + Impi, "MacFailure", 1u)]
    [InlineData("  mac-failure   carol@ims.example  1000 ", "MacFailure", 1000u)]
    public void Fault_lines_parse(string line, string verb, uint count)
    {
        Assert.Equal(CoreControlError.None, CoreControlCommand.TryParse(line, out var command));
        Assert.Equal(verb, command.Verb.ToString());
        Assert.Equal(count, command.Number);
        Assert.Equal(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], command.Text);
    }

    [Theory]
    [InlineData("desync", "MissingArgument")]
    [InlineData("mac-failure", "MissingArgument")]
    [InlineData("desync 001010123456789", "BadIdentity")]
    [InlineData("desync @ims.example", "BadIdentity")]
    [InlineData("desync alice@", "BadIdentity")]
    [InlineData("desync \"alice\"@ims.example", "BadIdentity")]
    [InlineData("mac-failure alice@ims.example many", "BadNumber")]
    [InlineData("mac-failure alice@ims.example -1", "BadNumber")]
    [InlineData("mac-failure alice@ims.example 1001", "BadNumber")]
    [InlineData("mac-failure alice@ims.example 1 2", "ExtraArgument")]
    public void Bad_fault_lines_are_refused_with_a_reason(string line, string error)
    {
        Assert.Equal(error, CoreControlCommand.TryParse(line, out _).ToString());
    }

    [Fact]
    public void The_bad_identity_reason_is_described_and_help_lists_the_faults()
    {
        Assert.Equal("argument is not a private identity (user@realm)", CoreControlCommand.Describe(CoreControlError.BadIdentity));
        Assert.Contains("desync IMPI [COUNT]", CoreControlCommand.HelpText, StringComparison.Ordinal);
        Assert.Contains("mac-failure IMPI [COUNT]", CoreControlCommand.HelpText, StringComparison.Ordinal);
    }

    [Fact]
    public void Desync_makes_the_card_answer_AUTS_and_the_HSS_resynchronises_from_it()
    {
        var subscriber = Subscriber.DefaultCard();
        var hss = new Hss([subscriber]);
        using var card = new IsimCard(new CardSettings());

        // Two ordinary challenges the card accepts.
        Assert.Equal(AuthenticateOutcome.Success, card.Authenticate(hss.GenerateVector(subscriber)).Outcome);
        var accepted = hss.GenerateVector(subscriber);
        Assert.Equal(AuthenticateOutcome.Success, card.Authenticate(accepted).Outcome);
        Assert.Equal(accepted.Sqn, card.SqnMs);

        Assert.Equal("OK next 1 vector(s) of " + Impi + " with the stale SQN 000000000000", hss.ApplyFault(Command("desync " + Impi)));
        Assert.Equal((1u, 0u), hss.PendingFaults(Impi));
        var stale = hss.GenerateVector(subscriber);
        Assert.Equal(VectorFault.StaleSqn, stale.Fault);
        Assert.Equal(subscriber.Sqn, stale.Sqn);
        Assert.Contains("StaleSqn", stale.ToString(), StringComparison.Ordinal);
        Assert.Equal((0u, 0u), hss.PendingFaults(Impi));
        // SEQ_HE did not move: the fault is in the one vector, not in the HSS's counter.
        Assert.Equal(accepted.Sqn, hss.SqnHe(Impi));

        // TS 33.102 §6.3.3: MAC-A is right, SQN is not fresh: synchronisation failure with AUTS.
        var (outcome, auts) = card.Authenticate(stale);
        Assert.Equal(AuthenticateOutcome.SynchronisationFailure, outcome);
        Assert.Equal(accepted.Sqn, hss.Resynchronise(subscriber, stale.Rand, auts));

        // Annex C.3.4: the next vector is SQN_MS's SEQ + 1 and the card takes it.
        var fresh = hss.GenerateVector(subscriber);
        Assert.Equal(VectorFault.None, fresh.Fault);
        Assert.Equal(AuthenticateOutcome.Success, card.Authenticate(fresh).Outcome);
    }

    [Fact]
    public void Desync_is_stale_even_on_an_IND_slot_the_card_never_used_and_counts_down()
    {
        // The card starts at SQN_MS = 0x40 (SEQ 2): every IND slot has passed SEQ 2, so the provisioned SQN is stale.
        var subscriber = new Subscriber { Impi = Impi, Impus = Subscriber.DefaultCard().Impus, K = CardSettings.TestSet1K, Opc = CardSettings.TestSet1Opc, Sqn = 0x40 };
        var hss = new Hss([subscriber]);
        using var card = new IsimCard(new CardSettings { SqnMs = 0x40 });
        Assert.StartsWith("OK next 2 vector(s)", hss.ApplyFault(Command("desync " + Impi + " 2")), StringComparison.Ordinal);
        Assert.Equal(2u, hss.PendingFaultCount);
        Assert.Equal(AuthenticateOutcome.SynchronisationFailure, card.Authenticate(hss.GenerateVector(subscriber)).Outcome);
        Assert.Equal(AuthenticateOutcome.SynchronisationFailure, card.Authenticate(hss.GenerateVector(subscriber)).Outcome);
        Assert.Equal(AuthenticateOutcome.Success, card.Authenticate(hss.GenerateVector(subscriber)).Outcome);
        Assert.Equal(0u, hss.PendingFaultCount);
    }

    [Fact]
    public void Mac_failure_spoils_MAC_A_of_the_next_vectors_only()
    {
        var subscriber = Subscriber.DefaultCard();
        var hss = new Hss([subscriber]);
        using var card = new IsimCard(new CardSettings());
        Assert.Equal("OK next 2 vector(s) of " + Impi + " with a wrong MAC-A", hss.ApplyFault(Command("mac-failure " + Impi + " 2")));

        for (var i = 0; i < 2; i++)
        {
            var bad = hss.GenerateVector(subscriber);
            Assert.Equal(VectorFault.BadMac, bad.Fault);
            Assert.False(MacIsValid(subscriber, bad));
            // TS 31.103 §7.1.2.1: the card refuses the network with 9862 and keeps its SQN state.
            Assert.Equal(AuthenticateOutcome.MacFailure, card.Authenticate(bad).Outcome);
            Assert.Equal(0UL, card.SqnMs);
        }

        var good = hss.GenerateVector(subscriber);
        Assert.Equal(VectorFault.None, good.Fault);
        Assert.True(MacIsValid(subscriber, good));
        // The spoilt vectors still took their SQN, so the good one is fresh (and above them).
        Assert.Equal((3UL << 5) | 3, good.Sqn);
        Assert.Equal(AuthenticateOutcome.Success, card.Authenticate(good).Outcome);
    }

    [Fact]
    public void Count_zero_disarms_and_both_faults_can_be_armed_together()
    {
        var subscriber = Subscriber.DefaultCard();
        var hss = new Hss([subscriber]);
        hss.ApplyFault(Command("desync " + Impi + " 3"));
        hss.ApplyFault(Command("mac-failure " + Impi));
        Assert.Equal((3u, 1u), hss.PendingFaults(Impi));
        var both = hss.GenerateVector(subscriber);
        Assert.Equal(VectorFault.StaleSqn | VectorFault.BadMac, both.Fault);
        Assert.False(MacIsValid(subscriber, both));

        hss.ApplyFault(Command("desync " + Impi + " 0"));
        Assert.Equal((0u, 0u), hss.PendingFaults(Impi));
        Assert.Equal(VectorFault.None, hss.GenerateVector(subscriber).Fault);
    }

    [Fact]
    public void Faults_for_unknown_or_digest_subscribers_are_refused()
    {
        var carol = new Subscriber { Impi = "carol@ims.example", Impus = ["sip:carol@ims.example"], Scheme = AuthenticationScheme.DigestMd5, Password = "secret" };
        var hss = new Hss([Subscriber.DefaultCard(), carol]);
        Assert.Equal("ERROR unknown private identity", hss.ApplyFault(Command("desync nobody@ims.example")));
        Assert.Equal("ERROR unknown private identity", hss.ApplyFault(Command("mac-failure sip:001010123456789@ims.mnc001.mcc001.3gppnetwork.org")));
        Assert.StartsWith("ERROR not an AKA subscriber", hss.ApplyFault(Command("mac-failure carol@ims.example")), StringComparison.Ordinal);
        Assert.Equal("ERROR not an HSS fault", hss.ApplyFault(Command("403")));
        Assert.Equal(0u, hss.PendingFaultCount);
    }

    private static CoreControlCommand Command(string line)
    {
        Assert.Equal(CoreControlError.None, CoreControlCommand.TryParse(line, out var command));
        return command;
    }

    /// <summary>XMAC = f1(K, SQN, RAND, AMF) against MAC-A of AUTN, as the card computes it (TS 33.102 §6.3.3).</summary>
    private static bool MacIsValid(Subscriber subscriber, AuthenticationVector vector)
    {
        using var milenage = new Milenage(subscriber.K, subscriber.Opc);
        var ak = new byte[6];
        milenage.F5(vector.Rand, ak);
        var sqn = new byte[6];
        for (var i = 0; i < 6; i++)
        {
            sqn[i] = (byte)(vector.Autn[i] ^ ak[i]);
        }

        var mac = new byte[8];
        milenage.F1(vector.Rand, sqn, vector.Autn.AsSpan(6, 2), mac);
        return mac.AsSpan().SequenceEqual(vector.Autn.AsSpan(8));
    }

    private enum AuthenticateOutcome
    {
        Success,
        SynchronisationFailure,
        MacFailure,
    }

    /// <summary>The emulated UICC with the ISIM open on a logical channel, driven with AUTHENTICATE APDUs.</summary>
    private sealed class IsimCard : IDisposable
    {
        private readonly UiccCard _card;
        private readonly int _channel;

        public IsimCard(CardSettings settings)
        {
            _card = new UiccCard(settings, ModemQuirks.None);
            _channel = _card.OpenChannel(Convert.FromHexString("A0000000871004"), out var sw) ?? throw new InvalidOperationException(sw.ToString("X4"));
        }

        public ulong SqnMs => _card.SqnMs;

        /// <summary>TS 31.103 §7.1.2.1 AUTHENTICATE, IMS AKA context; the AUTS of a synchronisation failure.</summary>
        public (AuthenticateOutcome Outcome, byte[] Auts) Authenticate(AuthenticationVector vector)
        {
            var apdu = Convert.FromHexString($"008800812210{Convert.ToHexString(vector.Rand)}10{Convert.ToHexString(vector.Autn)}00");
            var response = _card.Transmit(apdu, _channel);
            if (response.StatusWord == StatusWords.AuthenticationError)
            {
                return (AuthenticateOutcome.MacFailure, []);
            }

            Assert.Equal(StatusWords.Ok, response.StatusWord);
            return response.Data[0] switch
            {
                0xDB => (AuthenticateOutcome.Success, []),
                0xDC => (AuthenticateOutcome.SynchronisationFailure, response.Data.AsSpan(2, 14).ToArray()),
                _ => throw new InvalidOperationException("unexpected AUTHENTICATE tag " + response.Data[0].ToString("X2")),
            };
        }

        public void Dispose() => _card.Dispose();
    }
}
