// SPDX-License-Identifier: MIT
using ImUeAgent.Sip.Message;
using ImUeAgent.Testbed.Core;

namespace ImUeAgent.Testbed.Tests.Core;

/// <summary>REGISTER with IMS AKA and digest against the core over loopback UDP and TCP.</summary>
public sealed class RegistrationTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Full_AKA_registration_gives_Service_Route_and_associated_identities(bool tcp)
    {
        await using var core = CoreFixture.Start();
        await using var ue = await TestUe.ConnectAsync(tcp ? core.Tcp : core.Udp, tcp);

        var challenge = await ue.SendAndReceiveAsync(ue.Register(ue.InitialAuthorization()));
        Assert.Equal(401, challenge.StatusCode);
        var www = Assert.Single(challenge.Headers.WwwAuthenticate);
        Assert.True(www.IsDigest);
        Assert.Equal(CoreFixture.Domain, www.Realm);
        Assert.Equal("AKAv1-MD5", www.Algorithm);
        Assert.Equal("auth", www.Qop);
        var aka = ue.Aka(www.Nonce!);
        Assert.True(aka.MacValid);
        // TS 33.102 Annex C: SEQ 1 with the first IND after 0 (5 IND bits).
        Assert.Equal((1UL << 5) | 1, aka.Sqn);
        Assert.NotNull(challenge.Headers.To!.Tag);

        var ok = await ue.SendAndReceiveAsync(ue.Register(ue.Answer(challenge), path: true));
        Assert.Equal(200, ok.StatusCode);
        Assert.Equal("sip:orig@scscf." + CoreFixture.Domain + ";lr", Assert.Single(ok.Headers.ServiceRoute).Uri.ToString());
        Assert.Equal([CoreFixture.Impu, CoreFixture.Tel], ok.Headers.PAssociatedUri.Select(a => a.Uri.ToString()));
        var contact = Assert.Single(ok.Headers.Contact);
        Assert.Equal(ue.ContactUri, contact.Uri!.ToString());
        Assert.Equal(600u, contact.Expires);
        Assert.Equal(600u, ok.Headers.Expires);
        Assert.Equal("sip:edge.example.net;lr", Assert.Single(ok.Headers.Path).Uri.ToString());
        if (!tcp)
        {
            // RFC 3581: the core says where it saw the UE.
            Assert.Equal(ue.Local.Port, ok.Headers.TopVia!.RPort);
        }

        Assert.Equal("OK 1 " + ue.ContactUri + ";expires=600", await core.ControlAsync("contacts " + CoreFixture.Tel));
    }

    [Fact]
    public async Task Every_challenge_has_a_fresh_RAND_and_the_next_SQN()
    {
        await using var core = CoreFixture.Start();
        await using var ue = await TestUe.ConnectAsync(core.Udp, tcp: false);
        var first = (await ue.SendAndReceiveAsync(ue.Register(ue.InitialAuthorization()))).Headers.WwwAuthenticate[0].Nonce!;
        var second = (await ue.SendAndReceiveAsync(ue.Register(ue.InitialAuthorization()))).Headers.WwwAuthenticate[0].Nonce!;
        Assert.NotEqual(ue.Aka(first).Rand, ue.Aka(second).Rand);
        Assert.Equal((1UL << 5) | 1, ue.Aka(first).Sqn);
        Assert.Equal((2UL << 5) | 2, ue.Aka(second).Sqn);
    }

    [Fact]
    public async Task AKAv2_subscriber_is_challenged_and_registered_with_the_AKAv2_password()
    {
        await using var core = CoreFixture.Start(subscribers: CoreFixture.DefaultSubscribers(AuthenticationScheme.AkaV2));
        await using var ue = await TestUe.ConnectAsync(core.Udp, tcp: false);
        var challenge = await ue.SendAndReceiveAsync(ue.Register(ue.InitialAuthorization()));
        Assert.Equal("AKAv2-MD5", challenge.Headers.WwwAuthenticate[0].Algorithm);
        Assert.Equal(200, (await ue.SendAndReceiveAsync(ue.Register(ue.Answer(challenge)))).StatusCode);
    }

    [Fact]
    public async Task Wrong_RES_gets_403()
    {
        await using var core = CoreFixture.Start();
        await using var ue = await TestUe.ConnectAsync(core.Udp, tcp: false);
        var challenge = await ue.SendAndReceiveAsync(ue.Register(ue.InitialAuthorization()));
        var wrong = await ue.SendAndReceiveAsync(ue.Register(ue.Answer(challenge, overrideRes: new byte[8])));
        Assert.Equal(403, wrong.StatusCode);
        Assert.Equal("OK 0", await core.ControlAsync("contacts " + CoreFixture.Impu));
    }

    [Fact]
    public async Task AUTS_resynchronises_the_HSS_and_the_new_challenge_carries_SQN_MS_plus_one()
    {
        await using var core = CoreFixture.Start();
        await using var ue = await TestUe.ConnectAsync(core.Udp, tcp: false);
        var challenge = await ue.SendAndReceiveAsync(ue.Register(ue.InitialAuthorization()));
        var nonce = challenge.Headers.WwwAuthenticate[0].Nonce!;
        const ulong sqnMs = (0x3000UL << 5) | 7;
        var auts = ue.Auts(nonce, sqnMs);
        var resync = $"Digest username=\"{ue.Impi}\", realm=\"{CoreFixture.Domain}\", uri=\"sip:{CoreFixture.Domain}\", nonce=\"{nonce}\", response=\"{TestUe.DigestResponse(ue.Impi, CoreFixture.Domain, [], "REGISTER", "sip:" + CoreFixture.Domain, nonce, "auth", "00000001", "0a4f113b")}\", auts=\"{auts}\", algorithm=AKAv1-MD5, qop=auth, nc=00000001, cnonce=\"0a4f113b\"";

        var fresh = await ue.SendAndReceiveAsync(ue.Register(resync));
        Assert.Equal(401, fresh.StatusCode);
        var aka = ue.Aka(fresh.Headers.WwwAuthenticate[0].Nonce!);
        Assert.True(aka.MacValid);
        Assert.Equal((0x3001UL << 5) | 8, aka.Sqn);
        Assert.Equal(200, (await ue.SendAndReceiveAsync(ue.Register(ue.Answer(fresh)))).StatusCode);
    }

    [Fact]
    public async Task AUTS_with_a_wrong_MAC_S_gets_403_and_SQN_with_no_IND_bits_counts_by_one()
    {
        await using var core = CoreFixture.Start(indBits: 0);
        await using var ue = await TestUe.ConnectAsync(core.Udp, tcp: false);
        var challenge = await ue.SendAndReceiveAsync(ue.Register(ue.InitialAuthorization()));
        var nonce = challenge.Headers.WwwAuthenticate[0].Nonce!;
        Assert.Equal(1UL, ue.Aka(nonce).Sqn);
        var auts = Convert.FromBase64String(ue.Auts(nonce, 0x99));
        auts[13] ^= 0x01;
        var resync = $"Digest username=\"{ue.Impi}\", realm=\"{CoreFixture.Domain}\", uri=\"sip:{CoreFixture.Domain}\", nonce=\"{nonce}\", response=\"\", auts=\"{Convert.ToBase64String(auts)}\"";
        Assert.Equal(403, (await ue.SendAndReceiveAsync(ue.Register(resync))).StatusCode);

        // Once more with the right AUTS: SQN = SQN_MS + 1 exactly.
        challenge = await ue.SendAndReceiveAsync(ue.Register(ue.InitialAuthorization()));
        nonce = challenge.Headers.WwwAuthenticate[0].Nonce!;
        resync = $"Digest username=\"{ue.Impi}\", realm=\"{CoreFixture.Domain}\", uri=\"sip:{CoreFixture.Domain}\", nonce=\"{nonce}\", response=\"\", auts=\"{ue.Auts(nonce, 0x99)}\"";
        var fresh = await ue.SendAndReceiveAsync(ue.Register(resync));
        Assert.Equal(401, fresh.StatusCode);
        Assert.Equal(0x9AUL, ue.Aka(fresh.Headers.WwwAuthenticate[0].Nonce!).Sqn);
    }

    [Theory]
    [InlineData(false, 403)]
    [InlineData(true, 401)]
    public async Task Network_authentication_failure_from_the_UE_follows_the_policy(bool challengeAgain, int expected)
    {
        await using var core = CoreFixture.Start(new CoreSettings { OnMacFailure = challengeAgain ? MacFailurePolicy.Challenge : MacFailurePolicy.Forbid });
        await using var ue = await TestUe.ConnectAsync(core.Udp, tcp: false);
        var nonce = (await ue.SendAndReceiveAsync(ue.Register(ue.InitialAuthorization()))).Headers.WwwAuthenticate[0].Nonce!;
        var macFailure = $"Digest username=\"{ue.Impi}\", realm=\"{CoreFixture.Domain}\", uri=\"sip:{CoreFixture.Domain}\", nonce=\"{nonce}\", response=\"\"";
        Assert.Equal(expected, (await ue.SendAndReceiveAsync(ue.Register(macFailure))).StatusCode);
    }

    [Fact]
    public async Task Digest_MD5_subscriber_registers_without_AKA()
    {
        await using var core = CoreFixture.Start();
        await using var ue = await TestUe.ConnectAsync(core.Tcp, tcp: true, "carol@" + CoreFixture.Domain, [CoreFixture.CarolImpu], password: "carol-secret");
        var challenge = await ue.SendAndReceiveAsync(ue.Register(authorization: null));
        Assert.Equal("MD5", challenge.Headers.WwwAuthenticate[0].Algorithm);
        Assert.Equal(200, (await ue.SendAndReceiveAsync(ue.Register(ue.Answer(challenge)))).StatusCode);
    }

    [Fact]
    public async Task Faults_503_423_and_403_answer_the_next_REGISTER_once()
    {
        await using var core = CoreFixture.Start();
        await using var ue = await TestUe.ConnectAsync(core.Udp, tcp: false);
        Assert.Equal("OK", await core.ControlAsync("503 retry-after 30"));
        Assert.Equal("OK", await core.ControlAsync("423 min-expires 900"));
        Assert.Equal("OK", await core.ControlAsync("403"));

        var unavailable = await ue.SendAndReceiveAsync(ue.Register(ue.InitialAuthorization()));
        Assert.Equal(503, unavailable.StatusCode);
        Assert.Equal("30", unavailable.Headers.GetValue(SipHeaderId.RetryAfter));
        var brief = await ue.SendAndReceiveAsync(ue.Register(ue.InitialAuthorization()));
        Assert.Equal(423, brief.StatusCode);
        Assert.Equal(900u, brief.Headers.MinExpires);
        Assert.Equal(403, (await ue.SendAndReceiveAsync(ue.Register(ue.InitialAuthorization()))).StatusCode);
        Assert.Equal(401, (await ue.SendAndReceiveAsync(ue.Register(ue.InitialAuthorization()))).StatusCode);
    }

    [Fact]
    public async Task Expires_below_the_minimum_gets_423_and_above_the_maximum_is_shortened()
    {
        await using var core = CoreFixture.Start(new CoreSettings { MinExpires = 300, MaxExpires = 1200 });
        await using var ue = await TestUe.ConnectAsync(core.Udp, tcp: false);
        var challenge = await ue.SendAndReceiveAsync(ue.Register(ue.InitialAuthorization(), expires: 100));
        var brief = await ue.SendAndReceiveAsync(ue.Register(ue.Answer(challenge), expires: 100));
        Assert.Equal(423, brief.StatusCode);
        Assert.Equal(300u, brief.Headers.MinExpires);

        var ok = await ue.RegisterAsync(expires: 600_000);
        Assert.Equal(1200u, ok.Headers.Expires);
        Assert.Equal(1200u, ok.Headers.Contact[0].Expires);
    }

    [Fact]
    public async Task Registration_expires_on_the_clock_and_deregistration_removes_the_contact()
    {
        await using var core = CoreFixture.Start();
        await using var ue = await TestUe.ConnectAsync(core.Udp, tcp: false);
        await ue.RegisterAsync(expires: 600);
        core.Time.Advance(TimeSpan.FromSeconds(599));
        Assert.Equal("OK 1 " + ue.ContactUri + ";expires=1", await core.ControlAsync("contacts " + CoreFixture.Impu));
        core.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("OK 0", await core.ControlAsync("contacts " + CoreFixture.Impu));

        await ue.RegisterAsync(expires: 600);
        var challenge = await ue.SendAndReceiveAsync(ue.Register(ue.InitialAuthorization(), expires: 0));
        var gone = await ue.SendAndReceiveAsync(ue.Register(ue.Answer(challenge), expires: 0));
        Assert.Equal(200, gone.StatusCode);
        Assert.Empty(gone.Headers.Contact);
        Assert.Equal("OK 0", await core.ControlAsync("contacts " + CoreFixture.Impu));
    }

    [Fact]
    public async Task Re_registration_may_reuse_the_nonce_with_a_higher_nonce_count_but_not_replay_it()
    {
        await using var core = CoreFixture.Start();
        await using var ue = await TestUe.ConnectAsync(core.Udp, tcp: false);
        var challenge = await ue.SendAndReceiveAsync(ue.Register(ue.InitialAuthorization()));
        var answer = ue.Answer(challenge);
        Assert.Equal(200, (await ue.SendAndReceiveAsync(ue.Register(answer))).StatusCode);
        // The same nc again is a replay: a fresh (stale) challenge, not a registration.
        var replay = await ue.SendAndReceiveAsync(ue.Register(answer));
        Assert.Equal(401, replay.StatusCode);
        Assert.True(replay.Headers.WwwAuthenticate[0].Stale);
    }

    [Fact]
    public async Task Unknown_public_identity_gets_403_and_a_retransmission_gets_the_same_response()
    {
        await using var core = CoreFixture.Start();
        await using var ue = await TestUe.ConnectAsync(core.Udp, tcp: false, impus: ["sip:nobody@" + CoreFixture.Domain]);
        Assert.Equal(403, (await ue.SendAndReceiveAsync(ue.Register(null))).StatusCode);

        await using var known = await TestUe.ConnectAsync(core.Udp, tcp: false);
        var request = known.Register(known.InitialAuthorization());
        var first = await known.SendAndReceiveAsync(request);
        var again = await known.SendAndReceiveAsync(request);
        Assert.Equal(first.Raw.ToArray(), again.Raw.ToArray());
    }

    [Fact]
    public async Task Every_message_is_logged_as_a_JSON_line_with_its_headers_and_no_secret()
    {
        await using var core = CoreFixture.Start();
        await using var ue = await TestUe.ConnectAsync(core.Udp, tcp: false);
        var challenge = await ue.SendAndReceiveAsync(ue.Register(ue.InitialAuthorization()));
        var aka = ue.Aka(challenge.Headers.WwwAuthenticate[0].Nonce!);
        await ue.SendAndReceiveAsync(ue.Register(ue.Answer(challenge)));

        var entries = core.Log.Entries().ToList();
        Assert.Equal(4, entries.Count);
        Assert.Equal(["in", "out", "in", "out"], entries.Select(e => e.GetProperty("direction").GetString()));
        Assert.All(entries, e => Assert.Equal("udp", e.GetProperty("transport").GetString()));
        Assert.All(entries, e => Assert.Equal(ue.Local.ToString(), e.GetProperty("remote").GetString()));
        Assert.Equal("REGISTER sip:" + CoreFixture.Domain + " SIP/2.0", entries[0].GetProperty("startLine").GetString());
        Assert.Equal("SIP/2.0 401 Unauthorized", entries[1].GetProperty("startLine").GetString());
        var headers = entries[3].GetProperty("headers").EnumerateArray().Select(h => (h[0].GetString(), h[1].GetString())).ToList();
        Assert.Contains(("Service-Route", "<sip:orig@scscf." + CoreFixture.Domain + ";lr>"), headers);
        Assert.Equal("Via", headers[0].Item1);
        Assert.Equal(0, entries[3].GetProperty("bodyLength").GetInt32());
        Assert.True(DateTimeOffset.TryParse(entries[0].GetProperty("time").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _));

        var all = string.Join("\n", core.Log.Lines);
        foreach (var secret in new[] { aka.Res, aka.Ck, aka.Ik, Testbed.Modem.CardSettings.TestSet1K, Testbed.Modem.CardSettings.TestSet1Opc })
        {
            Assert.DoesNotContain(Convert.ToHexString(secret), all, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Convert.ToBase64String(secret), all, StringComparison.Ordinal);
        }
    }
}
