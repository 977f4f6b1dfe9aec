// SPDX-License-Identifier: MIT
using System.Buffers;
using System.Text;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Sip.Tests.Message;

public sealed class SipMessageBuilderTests
{
    private static readonly SipUri Domain = SipUri.Parse("sip:ims.mnc001.mcc001.3gppnetwork.org");
    private static readonly SipUri Impu = SipUri.Parse("sip:001010123456789@ims.mnc001.mcc001.3gppnetwork.org");

    private static SipMessage Reparse(SipMessage built)
    {
        SipParseResult r = TestData.ParseStream(built.ToArray());
        Assert.True(r.IsComplete, r.ToString());
        Assert.Equal(built.ToArray(), r.Message!.ToArray());
        return r.Message;
    }

    [Fact]
    public void BuildsARegisterThatParsesBack()
    {
        SipRequest built = SipMessageBuilder.Request(SipMethod.Register, Domain)
            .Via(new ViaValue("UDP", "2001:db8::1", 5060, "z9hG4bK-1", rport: true))
            .MaxForwards(70)
            .From(new NameAddress(Impu, null, new SipParameter("tag", "8f2c1d9a")))
            .To(new NameAddress(Impu))
            .CallId("c1@2001:db8::1")
            .CSeq(1, SipMethod.Register)
            .Contact(new ContactValue(new NameAddress(SipUri.Parse("sip:001010123456789@[2001:db8::1]:5060"), null,
                new SipParameter("+sip.instance", "<urn:gsma:imei:35209900-176148-0>", isQuoted: true), new SipParameter("+g.oma.sip-im"))))
            .Authentication(SipHeaderId.Authorization, new AuthenticationValue("Digest",
                new SipParameter("username", "001010123456789@ims.mnc001.mcc001.3gppnetwork.org", true),
                new SipParameter("nonce", string.Empty, true), new SipParameter("algorithm", "AKAv1-MD5")))
            .Add(SipHeaderId.Expires, "600000")
            .BuildRequest();

        var r = Assert.IsType<SipRequest>(Reparse(built));
        Assert.Equal(SipMethod.Register, r.Method);
        Assert.Equal(SipMethod.Register, built.Method);
        Assert.Equal("[2001:db8::1]", r.Headers.TopVia!.Host);
        Assert.True(r.Headers.TopVia.HasRPort);
        Assert.Equal("8f2c1d9a", r.Headers.From!.Tag);
        Assert.Equal("<urn:gsma:imei:35209900-176148-0>", r.Headers.Contact[0].Instance);
        Assert.Equal(string.Empty, r.Headers.Authorization[0].Nonce);
        Assert.Equal("AKAv1-MD5", r.Headers.Authorization[0].Algorithm);
        Assert.Equal(0, r.Headers.ContentLength);
        Assert.Equal((SipParseError.None, SipHeaderId.Unknown), r.CheckRequiredHeaders());
        // The built message answers typed queries without re-parsing.
        Assert.Equal("c1@2001:db8::1", built.Headers.CallId);
        Assert.Equal(1u, built.Headers.CSeq!.Number);
    }

    [Fact]
    public void BodyGetsContentTypeAndLength()
    {
        byte[] body = Encoding.UTF8.GetBytes("hello é");
        SipMessage m = SipMessageBuilder.Request(SipMethod.Message, Impu)
            .AcceptContact(new CallerPreferenceValue([new FeatureParameter("+g.3gpp.app_ref", "\"urn%3Aurn-7%3Ax\""), new FeatureParameter("+g.oma.sip-im")], isExplicit: true, require: true))
            .Body(new MediaType("text", "plain", new SipParameter("charset", "UTF-8")), body)
            .Build();
        SipMessage r = Reparse(m);
        Assert.Equal(body, r.Body.ToArray());
        Assert.Equal("text/plain", r.Headers.ContentType!.Name);
        Assert.Equal("*;+g.3gpp.app_ref=\"urn%3Aurn-7%3Ax\";+g.oma.sip-im;explicit;require", r.Headers.GetValue(SipHeaderId.AcceptContact));
        Assert.True(r.Headers.AcceptContact[0].Require);
    }

    [Fact]
    public void ResponseToCopiesTheRequestHeadersByteExact()
    {
        byte[] bytes = TestData.Wire(
            "INVITE sip:b@example.com SIP/2.0\n" +
            "v: SIP/2.0/UDP one.example.com;branch=z9hG4bKa ,\n SIP/2.0/UDP two.example.com;branch=z9hG4bKb\n" +
            "Via: SIP/2.0/TCP three.example.com;branch=z9hG4bKc\n" +
            "f: \"A\"  <sip:a@example.com>;tag=1\nTo: sip:b@example.com\nRecord-Route: <sip:p.example.com;lr>\n" +
            "i: x@y\nCSeq: 4 INVITE\nX-Unknown: a ;; odd\nl: 0\n\n");
        var request = Assert.IsType<SipRequest>(TestData.ParseStream(bytes).Message);
        SipResponse response = SipMessageBuilder.ResponseTo(request, 200, toTag: "srv1").BuildResponse();
        string text = Encoding.UTF8.GetString(response.Raw.Span);
        Assert.StartsWith("SIP/2.0 200 OK\r\nv: SIP/2.0/UDP one.example.com;branch=z9hG4bKa ,\r\n SIP/2.0/UDP two.example.com;branch=z9hG4bKb\r\nVia: SIP/2.0/TCP three", text, StringComparison.Ordinal);
        Assert.Contains("f: \"A\"  <sip:a@example.com>;tag=1\r\n", text, StringComparison.Ordinal);
        Assert.Contains("To: sip:b@example.com;tag=srv1\r\n", text, StringComparison.Ordinal);
        Assert.Contains("Record-Route: <sip:p.example.com;lr>\r\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("X-Unknown", text, StringComparison.Ordinal);
        SipMessage r = Reparse(response);
        Assert.Equal(3, r.Headers.Via.Count);
        Assert.Equal("srv1", r.Headers.To!.Tag);
        Assert.Equal(4u, r.Headers.CSeq!.Number);
        Assert.Equal(200, ((SipResponse)r).StatusCode);
    }

    [Fact]
    public void ForwardingKeepsUnknownHeadersExact()
    {
        byte[] bytes = TestData.Rfc4475("wsinv");
        SipMessage original = TestData.ParseDatagram(bytes).Message!;
        SipMessageBuilder b = SipMessageBuilder.Request(SipMethod.Invite, SipUri.Parse("sip:next@example.com"));
        foreach (SipHeader h in original.Headers)
        {
            b.AddRaw(h);
        }

        SipMessage copy = b.Body(original.Headers.ContentType!, original.Body).Build();
        string text = Encoding.UTF8.GetString(copy.Raw.Span);
        Assert.Contains("NewFangledHeader:   newfangled value\r\n continued newfangled value\r\n", text, StringComparison.Ordinal);
        Assert.Contains("UnknownHeaderWithUnusualValue: ;;,,;;,;\r\n", text, StringComparison.Ordinal);
        SipMessage r = Reparse(copy);
        Assert.Equal(3, r.Headers.Via.Count);
        Assert.Equal(original.Body.ToArray(), r.Body.ToArray());
    }

    [Fact]
    public void RejectsHeaderInjection()
    {
        SipMessageBuilder b = SipMessageBuilder.Request(SipMethod.Options, Impu);
        Assert.Throws<ArgumentException>(() => b.Add(SipHeaderId.Subject, "a\r\nVia: evil"));
        Assert.Throws<ArgumentException>(() => b.Add("Bad Name", "x"));
        Assert.Throws<ArgumentException>(() => b.Add(SipHeaderId.ContentLength, "5"));
        Assert.Throws<ArgumentException>(() => SipMessageBuilder.Response(200, "OK\r\nX: y"));
    }

    [Fact]
    public void ExtensionMethodAndWriteTo()
    {
        SipMessage m = SipMessageBuilder.Request("NEWMETHOD", Impu).CSeq(1, SipMethod.Options).Build();
        var writer = new ArrayBufferWriter<byte>();
        m.WriteTo(writer);
        Assert.Equal(m.ToArray(), writer.WrittenSpan.ToArray());
        Assert.Equal("NEWMETHOD", ((SipRequest)m).MethodName);
        Assert.Equal(SipMethod.Extension, ((SipRequest)m).Method);
        Assert.Equal("NEWMETHOD sip:001010123456789@ims.mnc001.mcc001.3gppnetwork.org SIP/2.0", m.ToString());
    }
}
