// SPDX-License-Identifier: MIT
using ImUeAgent.Ims.Auth;
using ImUeAgent.Sip.Auth;
using ImUeAgent.Uicc.Aka;
using ImUeAgent.Uicc.Isim;
using SipAkaOutcome = ImUeAgent.Sip.Auth.AkaOutcome;

namespace ImUeAgent.Ims.Tests.Auth;

public sealed class AkaResponderAdapterTests
{
    private static readonly ImsIdentity Identity = new("u@ims.test", ["sip:u@ims.test"], "ims.test");

    private sealed class FixedCard(AkaResult result) : IImsAkaAuthenticator
    {
        public ImsIdentity Identity => AkaResponderAdapterTests.Identity;

        public ValueTask<AkaResult> AuthenticateAsync(ReadOnlyMemory<byte> rand, ReadOnlyMemory<byte> autn, CancellationToken cancellationToken) =>
            ValueTask.FromResult(result);
    }

    [Fact]
    public async Task SuccessKeepsRawBytesIncludingZeros()
    {
        byte[] res = [0x00, 0x01, 0x00, 0x00, 0xff, 0x00];
        byte[] ck = [.. Enumerable.Range(0, 16).Select(i => (byte)i)];
        byte[] ik = [.. Enumerable.Range(100, 16).Select(i => (byte)i)];
        var adapter = new AkaResponderAdapter(new FixedCard(new AkaResult.Success(res, ck, ik)));
        using AkaResponderResult r = await adapter.AuthenticateAsync(new byte[16], new byte[16], TestContext.Current.CancellationToken);
        Assert.Equal(SipAkaOutcome.Success, r.Outcome);
        Assert.Equal(res, r.Res.ToArray());
        Assert.Equal(ck, r.Ck.ToArray());
        Assert.Equal(ik, r.Ik.ToArray());
        Assert.DoesNotContain("00", r.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SynchronisationFailureCarriesAuts()
    {
        byte[] auts = [.. Enumerable.Range(1, 14).Select(i => (byte)i)];
        var adapter = new AkaResponderAdapter(new FixedCard(new AkaResult.SynchronisationFailure(auts)));
        using AkaResponderResult r = await adapter.AuthenticateAsync(new byte[16], new byte[16], TestContext.Current.CancellationToken);
        Assert.Equal(SipAkaOutcome.SynchronisationFailure, r.Outcome);
        Assert.Equal(auts, r.Auts.ToArray());
        Assert.True(r.Res.IsEmpty);
    }

    [Fact]
    public async Task MacFailureIsMacFailure()
    {
        var adapter = new AkaResponderAdapter(new FixedCard(AkaResult.MacFailure.Instance));
        using AkaResponderResult r = await adapter.AuthenticateAsync(new byte[16], new byte[16], TestContext.Current.CancellationToken);
        Assert.Equal(SipAkaOutcome.MacFailure, r.Outcome);
    }

    [Fact]
    public async Task WithMilenageCardTheRealChallengeSucceedsAndAReplayResyncs()
    {
        using var hss = new Registration.TestHss(1000);
        using var card = new Registration.TestIsim(Identity, 0);
        var adapter = new AkaResponderAdapter(card);
        string nonce = hss.NewChallenge();
        byte[] raw = Convert.FromBase64String(nonce);
        using (AkaResponderResult first = await adapter.AuthenticateAsync(raw.AsMemory(0, 16), raw.AsMemory(16, 16), TestContext.Current.CancellationToken))
        {
            Assert.Equal(SipAkaOutcome.Success, first.Outcome);
            Assert.Equal(hss.Xres(nonce), first.Res.ToArray());
        }

        using AkaResponderResult replay = await adapter.AuthenticateAsync(raw.AsMemory(0, 16), raw.AsMemory(16, 16), TestContext.Current.CancellationToken);
        Assert.Equal(SipAkaOutcome.SynchronisationFailure, replay.Outcome);
        Assert.True(hss.Resynchronise(nonce, replay.Auts.ToArray()));
        Assert.Equal(card.HighestSqn, hss.Sqn);
    }
}
