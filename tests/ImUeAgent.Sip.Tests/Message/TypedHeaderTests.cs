// SPDX-License-Identifier: MIT
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Sip.Tests.Message;

public sealed class TypedHeaderTests
{
    private static SipMessage Parse(string text)
    {
        SipParseResult r = TestData.ParseStream(SampleMessages.Bytes(text));
        Assert.True(r.IsComplete, r.ToString());
        return r.Message!;
    }

    [Fact]
    public void RegisterCarriesImsHeaders()
    {
        var r = Assert.IsType<SipRequest>(Parse(SampleMessages.Register));
        Assert.Equal(SipMethod.Register, r.Method);
        Assert.Equal(SipUriScheme.Sip, r.RequestUri.Scheme);
        ViaValue via = r.Headers.TopVia!;
        Assert.Equal("[2001:db8::1]", via.Host);
        Assert.Equal(5060, via.Port);
        Assert.True(via.HasRPort);
        Assert.True(via.IsRfc3261Branch);
        Assert.Equal("[2001:db8::100]", r.Headers.Route[0].Uri.Host);
        Assert.True(r.Headers.Route[0].Uri.IsIPv6Reference);

        ContactValue contact = r.Headers.Contact[0];
        Assert.Equal(600000u, contact.Expires);
        Assert.Equal("<urn:gsma:imei:35209900-176148-0>", contact.Instance);
        Assert.Equal(["+sip.instance", "+g.3gpp.icsi-ref", "+g.oma.sip-im"], contact.FeatureTags.Select(f => f.Name));
        Assert.Equal("\"urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel\"", contact.FeatureTags[1].RawValue);

        AuthenticationValue auth = r.Headers.Authorization[0];
        Assert.True(auth.IsDigest);
        Assert.Equal("001010123456789@ims.mnc001.mcc001.3gppnetwork.org", auth.Username);
        Assert.Equal(string.Empty, auth.Nonce);
        Assert.True(auth.Parameters.Find("response")!.IsQuoted);

        SecurityMechanism sec = r.Headers.SecurityClient[0];
        Assert.Equal("ipsec-3gpp", sec.Name);
        Assert.Equal(("hmac-sha-1-96", "null", 3929102u, 3929103u, 5062, 5064), (sec.Algorithm, sec.EncryptionAlgorithm, sec.SpiClient!.Value, sec.SpiServer!.Value, sec.PortClient!.Value, sec.PortServer!.Value));
        Assert.Equal(["sec-agree"], r.Headers.Require);
        Assert.Equal(["path", "gruu", "sec-agree"], r.Headers.Supported);
        Assert.Equal(9, r.Headers.Allow.Count);
        Assert.Equal("IM-client/OMA1.0 imue-agent/0.1.0", r.Headers.UserAgent);
        Assert.Equal(600000u, r.Headers.Expires);
        Assert.Equal((SipParseError.None, SipHeaderId.Unknown), r.CheckRequiredHeaders());
    }

    [Fact]
    public void UnauthorizedCarriesAkaChallenge()
    {
        var r = Assert.IsType<SipResponse>(Parse(SampleMessages.Unauthorized));
        Assert.Equal(401, r.StatusCode);
        Assert.Equal("Unauthorized", r.ReasonPhrase);
        AuthenticationValue c = Assert.Single(r.Headers.WwwAuthenticate);
        Assert.Equal("AKAv1-MD5", c.Algorithm);
        Assert.False(c.Parameters.Find("algorithm")!.IsQuoted);
        Assert.Equal(["auth", "auth-int"], c.QopOptions);
        Assert.Equal("3rSzQB0+aJyZ6Tm8Y+AWX1H7M5Z3QAABo2lA3+7t6h0hQ2MxYzI=", c.Nonce);
        Assert.Equal("5ccc069c403ebaf9f0171e9517f40e41", c.Opaque);
        Assert.DoesNotContain("3rSzQB0", c.ToString(), StringComparison.Ordinal); // values stay out of logs
        Assert.Equal("2001:db8::1", r.Headers.TopVia!.Received);
        Assert.Equal(5060, r.Headers.TopVia.RPort);
        SecurityMechanism s = r.Headers.SecurityServer[0];
        Assert.Equal((0.1, "esp", "trans", 4096u), (s.Preference!.Value, s.Protocol, s.Mode, s.SpiClient!.Value));
        Assert.Equal("as4f2a91c3", r.Headers.To!.Tag);
    }

    [Fact]
    public void RegisterOkCarriesRoutesAndIdentities()
    {
        SipMessage r = Parse(SampleMessages.RegisterOk);
        Assert.Equal("sip:orig@scscf.ims.mnc001.mcc001.3gppnetwork.org:6060;lr", r.Headers.ServiceRoute[0].Uri.ToString());
        Assert.True(r.Headers.Path[0].Uri.IsLooseRouter);
        IReadOnlyList<NameAddress> pau = r.Headers.PAssociatedUri;
        Assert.Equal(3, pau.Count);
        Assert.Equal(SipUriScheme.Tel, pau[1].Uri.Scheme);
        Assert.Equal("+15551234567", pau[1].Uri.User);
        Assert.Equal(new DateTimeOffset(2026, 3, 3, 10, 15, 30, TimeSpan.Zero), r.Headers.Date);
        Assert.Equal(600000u, r.Headers.Contact[0].Expires);
        Assert.Equal(SipParseError.None, r.Headers.Validate(SipHeaderId.PAssociatedUri));
    }

    [Fact]
    public void MessageKeepsFeatureTagsByteExact()
    {
        var r = Assert.IsType<SipRequest>(Parse(SampleMessages.PagerMessage));
        IReadOnlyList<CallerPreferenceValue> ac = r.Headers.AcceptContact;
        Assert.Equal(2, ac.Count);
        Assert.True(ac[0].Explicit);
        Assert.True(ac[0].Require);
        FeatureParameter appRef = Assert.Single(ac[0].Features);
        Assert.Equal("+g.3gpp.app_ref", appRef.Name);
        Assert.Equal("\"urn%3Aurn-7%3A3gpp-application.ims.iari.example\"", appRef.RawValue);
        Assert.Equal("urn%3Aurn-7%3A3gpp-application.ims.iari.example", appRef.Value);
        Assert.True(appRef.IsSameTag("+g.3gpp.app%5fref"));
        Assert.True(appRef.IsSameTag(new FeatureParameter("+G.3GPP.APP%5Fref")));
        Assert.NotNull(ac[0].Find("+g.3gpp.app%5fref"));
        Assert.True(ac[1].HasFeature("+g.oma.sip-im"));
        Assert.False(ac[1].Explicit);
        Assert.Equal(["no-fork"], r.Headers.RequestDisposition);
        Assert.Equal(["id", "header"], r.Headers.Privacy);
        Assert.Equal("UTF-8", r.Headers.ContentType!.Charset);
        Assert.Equal("sip:+15551234567@ims.mnc001.mcc001.3gppnetwork.org", r.Headers.PPreferredIdentity[0].Uri.ToString());
        Assert.Equal(2, r.Headers.Route.Count);
        Assert.Equal("Hello from imue éé", System.Text.Encoding.UTF8.GetString(r.Body.Span));
    }

    [Fact]
    public void InviteCarriesSessionTimerAndSdp()
    {
        var r = Assert.IsType<SipRequest>(Parse(SampleMessages.Invite));
        Assert.Equal(1800u, r.Headers.SessionExpires!.Seconds);
        Assert.Equal("uac", r.Headers.SessionExpires.Refresher);
        Assert.Equal(90u, r.Headers.MinSE);
        Assert.Equal("Alice", r.Headers.From!.DisplayName);
        Assert.Equal("tcp", r.Headers.Contact[0].Uri!.Transport);
        Assert.Equal("lunch?", r.Headers.Subject);
        Assert.StartsWith("v=0\r\n", System.Text.Encoding.ASCII.GetString(r.Body.Span), StringComparison.Ordinal);
    }

    [Fact]
    public void TrailingSemicolonInAcceptContactIsTolerated()
    {
        SipMessage m = Parse("MESSAGE sip:a@b SIP/2.0\r\nAccept-Contact: *;+g.oma.sip-im;\r\nl: 0\r\n\r\n");
        Assert.True(m.Headers.AcceptContact[0].HasFeature("+g.oma.sip-im"));
    }

    [Theory]
    [InlineData("*;explicit;explicit")]
    [InlineData("+g.oma.sip-im")]
    [InlineData("*;+g.x=\"unterminated")]
    public void MalformedAcceptContactIsReported(string value)
    {
        SipMessage m = Parse($"MESSAGE sip:a@b SIP/2.0\r\nAccept-Contact: {value}\r\nl: 0\r\n\r\n");
        Assert.Empty(m.Headers.AcceptContact);
        Assert.Equal(SipParseError.InvalidHeaderValue, m.Headers.Validate(SipHeaderId.AcceptContact));
        Assert.Equal("Bad Request - Malformed Accept-Contact", SipRejection.GetResponse(SipParseError.InvalidHeaderValue, SipHeaderId.AcceptContact).ReasonPhrase);
    }

    [Fact]
    public void EventReferredByAndContactStar()
    {
        SipMessage m = Parse(
            "NOTIFY sip:a@b SIP/2.0\r\nEvent: reg;id=7\r\nb: \"Bob\" <sip:bob@example.com>;cid=1\r\nContact: *\r\n" +
            "Subscription-State: active;expires=3600\r\nl: 0\r\n\r\n");
        Assert.Equal("reg", m.Headers.Event!.Token);
        Assert.Equal("7", m.Headers.Event.Id);
        Assert.Equal("Bob", m.Headers.ReferredBy!.DisplayName);
        Assert.True(m.Headers.Contact[0].IsWildcard);
        Assert.Equal("active", m.Headers.SubscriptionState!.Token);
    }

    [Fact]
    public void CompactFormsAndCaseInsensitiveNames()
    {
        SipMessage m = Parse("OPTIONS sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1\r\nvIA: SIP/2.0/UDP g;branch=z9hG4bK2\r\nf: <sip:x@y>;tag=1\r\nt: sip:z@w\r\ni: cid\r\nk: timer\r\no: presence\r\nu: reg\r\nl: 0\r\n\r\n");
        Assert.Equal(2, m.Headers.Via.Count);
        Assert.Equal("1", m.Headers.From!.Tag);
        Assert.Equal("cid", m.Headers.CallId);
        Assert.Equal(["timer"], m.Headers.Supported);
        Assert.Equal("presence", m.Headers.Event!.Token);
        Assert.Equal(["reg"], m.Headers.AllowEvents);
        Assert.Equal("f", m.Headers[2].Name);
        Assert.True(m.Headers.TryGetFirst("CALL-id", out SipHeader h));
        Assert.Equal(SipHeaderId.CallId, h.Id);
    }

    [Fact]
    public void IPv6SentByAndUnbracketedReceived()
    {
        SipMessage m = Parse("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP [2001:db8::9]:5070;received=2001:db8::10;rport=5071;branch=z9hG4bKq\r\nl: 0\r\n\r\n");
        ViaValue v = m.Headers.TopVia!;
        Assert.Equal("[2001:db8::9]:5070", v.SentBy);
        Assert.Equal("2001:db8::10", v.Received);
        Assert.Equal(5071, v.RPort);
    }

    [Fact]
    public void TypedValuesAreCached()
    {
        SipMessage m = Parse(SampleMessages.Register);
        Assert.Same(m.Headers.Via, m.Headers.Via);
        Assert.Same(m.Headers.From, m.Headers.From);
        Assert.Same(m.Headers.CSeq, m.Headers.CSeq);
    }
}
