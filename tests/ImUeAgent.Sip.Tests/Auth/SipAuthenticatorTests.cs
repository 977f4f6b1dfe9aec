// SPDX-License-Identifier: MIT
#pragma warning disable CA5351 // MD5 and HMAC-MD5 are what RFC 2617/3310/4169 compute; tests recompute them independently.
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ImUeAgent.Sip.Auth;
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Tests.Message;
using ImUeAgent.Sip.Tests.Ua;

namespace ImUeAgent.Sip.Tests.Auth;

public sealed class SipAuthenticatorTests
{
    private const string Impi = "001010123456789@ims.mnc001.mcc001.3gppnetwork.org";
    private const string Realm = "ims.mnc001.mcc001.3gppnetwork.org";
    private const string Uri = "sip:ims.mnc001.mcc001.3gppnetwork.org";

    /// <summary>TS 35.208 set 1 and the fixtures derived from it (data/milenage-ts35208.json).</summary>
    private static readonly JsonElement Set1Json = LoadSet1();

    private static JsonElement LoadSet1()
    {
        string path = Path.GetFullPath(Path.Combine(TestData.RepoRoot, "..", "shared", "data", "milenage-ts35208.json"));
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.Clone();
    }

    private static byte[] Set1(string field) => Convert.FromHexString(Set1Json.GetProperty("sets")[0].GetProperty(field).GetString()!);

    private static string NonceBase64 => Set1Json.GetProperty("derived_from_set_1").GetProperty("nonce_base64").GetString()!;

    private static byte[] Autn => Convert.FromHexString(Set1Json.GetProperty("derived_from_set_1").GetProperty("autn").GetString()!);

    private static string Md5Hex(byte[] b) => Convert.ToHexStringLower(MD5.HashData(b));

    private static string Md5Hex(string s) => Md5Hex(Encoding.UTF8.GetBytes(s));

    /// <summary>The RFC 3310 response written out independently: HA1 over the raw RES bytes.</summary>
    private static string ExpectedAkaResponse(byte[] password, string nc, string cnonce, string method = "REGISTER")
    {
        string ha1 = Md5Hex([.. Encoding.UTF8.GetBytes(Impi + ":" + Realm + ":"), .. password]);
        return Md5Hex(ha1 + ":" + NonceBase64 + ":" + nc + ":" + cnonce + ":auth:" + Md5Hex(method + ":" + Uri));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static SipAuthenticator Aka(IAkaResponder responder, int max = 3) =>
        new([new AkaCredentials(Impi, responder)], new SipAuthenticatorOptions { CNonceFactory = () => "cn0123", MaxChallengesPerRequest = max });

    private static SipRequest Register(uint cseq = 1) => SipTestMessages.Request("REGISTER", Uri, cseq: cseq);

    private static SipResponse Challenge(SipRequest request, string algorithm = "AKAv1-MD5", string? nonce = null, int status = 401, string qop = ",qop=\"auth\"") =>
        SipTestMessages.ResponseTo(request, status, "s1",
            (status == 401 ? "WWW-Authenticate" : "Proxy-Authenticate") + $": Digest realm=\"{Realm}\",nonce=\"{nonce ?? NonceBase64}\",algorithm={algorithm}{qop},opaque=\"op\"");

    private sealed class FakeCard(Func<byte[], byte[], AkaResponderResult> answer) : IAkaResponder
    {
        public int Calls { get; private set; }

        public ValueTask<AkaResponderResult> AuthenticateAsync(ReadOnlyMemory<byte> rand, ReadOnlyMemory<byte> autn, CancellationToken cancellationToken)
        {
            Calls++;
            return ValueTask.FromResult(answer(rand.ToArray(), autn.ToArray()));
        }
    }

    private static FakeCard Set1Card() => new((rand, autn) =>
    {
        Assert.Equal(Set1("rand"), rand);
        Assert.Equal(Autn, autn);
        return AkaResponderResult.Success(Set1("f2"), Set1("f3"), Set1("f4"));
    });

    [Fact]
    public async Task AkaV1AnswersWithResAsPassword()
    {
        FakeCard card = Set1Card();
        SipAuthenticator auth = Aka(card);
        SipRequest register = Register();
        AuthorizationResult r = await auth.AuthorizeAsync(register, Challenge(register), new AuthenticationState(), Ct);

        Assert.True(r.Succeeded, r.Failure.ToString());
        Assert.Equal(AkaOutcome.Success, r.AkaOutcome);
        AuthorizationHeader h = Assert.Single(r.Headers);
        Assert.Equal(SipHeaderId.Authorization, h.Id);
        AuthenticationValue v = h.Value;
        Assert.Equal(Impi, v.Username);
        Assert.Equal(Realm, v.Realm);
        Assert.Equal(Uri, v.Uri);
        Assert.Equal("AKAv1-MD5", v.Algorithm);
        Assert.Equal("auth", v.Qop);
        Assert.Equal("00000001", v.NonceCount);
        Assert.Equal("cn0123", v.CNonce);
        Assert.Equal("op", v.Opaque);
        Assert.Null(v.Auts);
        Assert.Equal(ExpectedAkaResponse(Set1("f2"), "00000001", "cn0123"), v.Response);
        Assert.Equal(1, card.Calls);
    }

    [Fact]
    public async Task AkaV2AnswersWithDerivedPassword()
    {
        SipAuthenticator auth = Aka(Set1Card());
        SipRequest register = Register();
        AuthorizationResult r = await auth.AuthorizeAsync(register, Challenge(register, "AKAv2-MD5"), new AuthenticationState(), Ct);
        byte[] key = [.. Set1("f2"), .. Set1("f4"), .. Set1("f3")];
        byte[] mac = HMACMD5.HashData(key, Encoding.ASCII.GetBytes("http-digest-akav2-password"));
        byte[] password = Encoding.ASCII.GetBytes(Convert.ToBase64String(mac));
        Assert.Equal(ExpectedAkaResponse(password, "00000001", "cn0123"), r.Headers[0].Value.Response);
        Assert.Equal("AKAv2-MD5", r.Headers[0].Value.Algorithm);
    }

    [Fact]
    public async Task ResWithZeroBytesIsUsedWhole()
    {
        byte[] res = [0x12, 0x00, 0x34, 0x00, 0x56, 0x78, 0x9a, 0x00];
        var card = new FakeCard((_, _) => AkaResponderResult.Success(res, Set1("f3"), Set1("f4")));
        SipRequest register = Register();
        AuthorizationResult r = await Aka(card).AuthorizeAsync(register, Challenge(register), new AuthenticationState(), Ct);
        Assert.Equal(ExpectedAkaResponse(res, "00000001", "cn0123"), r.Headers[0].Value.Response);
        Assert.NotEqual(ExpectedAkaResponse([0x12], "00000001", "cn0123"), r.Headers[0].Value.Response);
    }

    [Fact]
    public async Task SynchronisationFailureSendsAutsWithEmptyPassword()
    {
        byte[] auts = Convert.FromHexString("0102030405060708090a0b0c0d0e");
        var card = new FakeCard((_, _) => AkaResponderResult.SynchronisationFailure(auts));
        SipRequest register = Register();
        AuthorizationResult r = await Aka(card).AuthorizeAsync(register, Challenge(register), new AuthenticationState(), Ct);
        Assert.True(r.Succeeded);
        Assert.Equal(AkaOutcome.SynchronisationFailure, r.AkaOutcome);
        AuthenticationValue v = r.Headers[0].Value;
        Assert.Equal(Convert.ToBase64String(auts), v.Auts);
        Assert.Equal(ExpectedAkaResponse([], "00000001", "cn0123"), v.Response);
        Assert.Contains("auts=\"AQIDBAUGBwgJCgsMDQ4=\"", v.ToWireString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MacFailureSendsEmptyResponseWithoutAuts()
    {
        var card = new FakeCard((_, _) => AkaResponderResult.MacFailure());
        SipRequest register = Register();
        AuthorizationResult r = await Aka(card).AuthorizeAsync(register, Challenge(register), new AuthenticationState(), Ct);
        Assert.True(r.Succeeded);
        Assert.Equal(AkaOutcome.MacFailure, r.AkaOutcome);
        Assert.Equal(string.Empty, r.Headers[0].Value.Response);
        Assert.Null(r.Headers[0].Value.Auts);
        Assert.Contains("response=\"\"", r.Headers[0].Value.ToWireString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecondSynchronisationFailureStopsTheLoop()
    {
        var card = new FakeCard((_, _) => AkaResponderResult.SynchronisationFailure(new byte[14]));
        SipAuthenticator auth = Aka(card);
        var state = new AuthenticationState();
        SipRequest r1 = Register(1);
        Assert.True((await auth.AuthorizeAsync(r1, Challenge(r1), state, Ct)).Succeeded);
        SipRequest r2 = Register(2);
        string other = Convert.ToBase64String([.. Set1("rand"), .. Autn, 9]);
        AuthorizationResult second = await auth.AuthorizeAsync(r2, Challenge(r2, nonce: other), state, Ct);
        Assert.Equal(AuthenticationFailure.RepeatedSynchronisationFailure, second.Failure);
    }

    [Fact]
    public async Task SameNonceTwiceIsRefused()
    {
        SipAuthenticator auth = Aka(Set1Card());
        var state = new AuthenticationState();
        SipRequest r1 = Register(1);
        Assert.True((await auth.AuthorizeAsync(r1, Challenge(r1), state, Ct)).Succeeded);
        SipRequest r2 = Register(2);
        Assert.Equal(AuthenticationFailure.NonceRepeated, (await auth.AuthorizeAsync(r2, Challenge(r2), state, Ct)).Failure);
    }

    [Fact]
    public async Task MoreChallengesThanTheLimitAreRefused()
    {
        var auth = new SipAuthenticator([new DigestPasswordCredentials("bob", "pw")], new SipAuthenticatorOptions { MaxChallengesPerRequest = 2 });
        var state = new AuthenticationState();
        for (int i = 1; i <= 2; i++)
        {
            SipRequest r = Register((uint)i);
            Assert.True((await auth.AuthorizeAsync(r, Challenge(r, "MD5", "n" + i), state, Ct)).Succeeded);
        }

        SipRequest last = Register(3);
        Assert.Equal(AuthenticationFailure.TooManyChallenges, (await auth.AuthorizeAsync(last, Challenge(last, "MD5", "n3"), state, Ct)).Failure);
    }

    [Theory]
    [InlineData("bm90LWFrYQ==")]
    [InlineData("%%%")]
    public async Task InvalidAkaNonceIsRefused(string nonce)
    {
        var card = new FakeCard((_, _) => throw new InvalidOperationException("must not be called"));
        SipRequest r = Register();
        Assert.Equal(AuthenticationFailure.InvalidAkaNonce, (await Aka(card).AuthorizeAsync(r, Challenge(r, nonce: nonce), new AuthenticationState(), Ct)).Failure);
        Assert.Equal(0, card.Calls);
    }

    [Fact]
    public async Task ResponderExceptionIsAFailureNotACrash()
    {
        var card = new FakeCard((_, _) => throw new IOException("card gone"));
        SipRequest r = Register();
        Assert.Equal(AuthenticationFailure.AkaResponderFailed, (await Aka(card).AuthorizeAsync(r, Challenge(r), new AuthenticationState(), Ct)).Failure);
    }

    [Fact]
    public async Task PasswordCredentialsDoNotAnswerAka()
    {
        var auth = new SipAuthenticator([new DigestPasswordCredentials("bob", "pw")]);
        SipRequest r = Register();
        Assert.Equal(AuthenticationFailure.NoCredentials, (await auth.AuthorizeAsync(r, Challenge(r), new AuthenticationState(), Ct)).Failure);
        Assert.Equal(AuthenticationFailure.NotAChallenge, (await auth.AuthorizeAsync(r, SipTestMessages.ResponseTo(r, 403), new AuthenticationState(), Ct)).Failure);
    }

    [Fact]
    public async Task ProxyChallengeGetsProxyAuthorizationAndPrefersSha256()
    {
        var auth = new SipAuthenticator([new DigestPasswordCredentials("bob", "pw", Realm)], new SipAuthenticatorOptions { CNonceFactory = () => "c" });
        SipRequest r = SipTestMessages.Request("MESSAGE", "sip:bob@example.com");
        SipResponse challenge = SipTestMessages.ResponseTo(r, 407, "s1",
            $"Proxy-Authenticate: Digest realm=\"{Realm}\",nonce=\"n5\",algorithm=MD5,qop=\"auth\"",
            $"Proxy-Authenticate: Digest realm=\"{Realm}\",nonce=\"n6\",algorithm=SHA-256,qop=\"auth,auth-int\"");
        AuthorizationResult result = await auth.AuthorizeAsync(r, challenge, new AuthenticationState(), Ct);
        AuthorizationHeader h = Assert.Single(result.Headers);
        Assert.Equal(SipHeaderId.ProxyAuthorization, h.Id);
        Assert.Equal("SHA-256", h.Value.Algorithm);
        Assert.Equal("n6", h.Value.Nonce);
        static string S(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)));
        Assert.Equal(S(S($"bob:{Realm}:pw") + ":n6:00000001:c:auth:" + S("MESSAGE:sip:bob@example.com")), h.Value.Response);
    }

    [Fact]
    public async Task PreemptiveCredentialsReuseTheNonceWithTheNextCount()
    {
        SipAuthenticator auth = Aka(Set1Card());
        SipRequest r1 = Register(1);
        await auth.AuthorizeAsync(r1, Challenge(r1), new AuthenticationState(), Ct);
        SipRequest r2 = Register(2);
        AuthorizationHeader h = Assert.Single(auth.CreatePreemptive(r2));
        Assert.Equal("00000002", h.Value.NonceCount);
        Assert.Equal(ExpectedAkaResponse(Set1("f2"), "00000002", "cn0123"), h.Value.Response);
        auth.Forget();
        Assert.Empty(auth.CreatePreemptive(r2));
    }

    [Fact]
    public async Task FailedAkaRunsAreNotCached()
    {
        var card = new FakeCard((_, _) => AkaResponderResult.MacFailure());
        SipAuthenticator auth = Aka(card);
        SipRequest r = Register();
        await auth.AuthorizeAsync(r, Challenge(r), new AuthenticationState(), Ct);
        Assert.Empty(auth.CreatePreemptive(r));
    }

    [Fact]
    public void InitialImsAuthorizationHasEmptyNonceAndResponse()
    {
        AuthenticationValue v = SipAuthenticator.InitialImsAuthorization(Impi, Realm, SipUri.Parse(Uri));
        Assert.Equal(
            $"Digest username=\"{Impi}\", realm=\"{Realm}\", uri=\"{Uri}\", nonce=\"\", response=\"\"",
            v.ToWireString());
    }

    [Fact]
    public void ResultsKeepSecretsOutOfToString()
    {
        using var ok = AkaResponderResult.Success(Set1("f2"), Set1("f3"), Set1("f4"));
        Assert.Equal("AKA Success", ok.ToString());
        Assert.DoesNotContain("pw", new DigestPasswordCredentials("bob", "pw").ToString(), StringComparison.Ordinal);
    }
}
