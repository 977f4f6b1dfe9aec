// SPDX-License-Identifier: MIT
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Sip.Tests.Message;

public sealed class SipUriTests
{
    [Fact]
    public void ParsesComponents()
    {
        SipUri u = SipUri.Parse("sips:alice:secret@[2001:db8::1]:5061;transport=tcp;lr?Subject=hi%20there&Priority=urgent");
        Assert.Equal(SipUriScheme.Sips, u.Scheme);
        Assert.Equal("alice", u.User);
        Assert.Equal("secret", u.Password);
        Assert.Equal("[2001:db8::1]", u.Host);
        Assert.True(u.IsIPv6Reference);
        Assert.Equal(5061, u.Port);
        Assert.Equal("tcp", u.Transport);
        Assert.True(u.IsLooseRouter);
        Assert.Equal([new("Subject", "hi there"), new KeyValuePair<string, string>("Priority", "urgent")], u.Headers);
    }

    [Fact]
    public void TelUri()
    {
        SipUri u = SipUri.Parse("tel:+1-555-123-4567;phone-context=example.com");
        Assert.Equal(SipUriScheme.Tel, u.Scheme);
        Assert.Equal("+1-555-123-4567", u.User);
        Assert.Equal("example.com", u.Parameters.GetValue("phone-context"));
        Assert.True(u.IsEquivalentTo(SipUri.Parse("tel:+15551234567;PHONE-CONTEXT=example.com")));
        Assert.False(u.IsEquivalentTo(SipUri.Parse("tel:+15551234567")));
    }

    [Theory]
    [InlineData("sip:")]
    [InlineData("sip:@host")]
    [InlineData("sip:user@")]
    [InlineData("sip:user@host:99999")]
    [InlineData("sip:user@host;;lr")]
    [InlineData("sip:user@host;=x")]
    [InlineData("sip:us er@host")]
    [InlineData("sip:user@[::1")]
    [InlineData("sip:a%zz@host")]
    [InlineData("<sip:user@host>")]
    [InlineData("tel:")]
    [InlineData("1abc:x")]
    public void RejectsMalformed(string text) => Assert.False(SipUri.TryParse(text, out _));

    // RFC 3261 §19.1.4 examples.
    [Theory]
    [InlineData("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp")]
    [InlineData("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5")]
    [InlineData("sip:carol@chicago.com", "sip:carol@chicago.com;security=on")]
    [InlineData("sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on")]
    [InlineData("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com", "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com")]
    [InlineData("sip:alice@atlanta.com?subject=project%20x&priority=urgent", "sip:alice@atlanta.com?priority=urgent&subject=project%20x")]
    public void EquivalentPerRfc3261(string a, string b)
    {
        Assert.True(SipUri.Parse(a).IsEquivalentTo(SipUri.Parse(b)));
        Assert.True(SipUri.Parse(b).IsEquivalentTo(SipUri.Parse(a)));
    }

    [Theory]
    [InlineData("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP")]
    [InlineData("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060")]
    [InlineData("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp")]
    [InlineData("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp")]
    [InlineData("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting")]
    [InlineData("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4")]
    [InlineData("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off")]
    [InlineData("sip:alice@atlanta.com", "sips:alice@atlanta.com")]
    public void NotEquivalentPerRfc3261(string a, string b) => Assert.False(SipUri.Parse(a).IsEquivalentTo(SipUri.Parse(b)));

    [Fact]
    public void CreateEscapesTheUser()
    {
        SipUri u = SipUri.Create(SipUriScheme.Sip, "a b@c", "2001:db8::1", 5060, new SipParameter("transport", "tcp"));
        Assert.Equal("sip:a%20b%40c@[2001:db8::1]:5060;transport=tcp", u.ToString());
        Assert.Equal("a b@c", u.User);
    }

    [Fact]
    public void OtherSchemesAreOpaque()
    {
        SipUri u = SipUri.Parse("urn:gsma:imei:35209900-176148-0");
        Assert.Equal(SipUriScheme.Other, u.Scheme);
        Assert.Equal("gsma:imei:35209900-176148-0", u.Opaque);
        Assert.True(u.IsEquivalentTo(SipUri.Parse("URN:gsma:imei:35209900-176148-0")));
    }
}
