// SPDX-License-Identifier: MIT
using System.Net;
using ImUeAgent.Ims.Registration;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Ims.Tests.Registration;

public sealed class ImsRegistrationSettingsTests
{
    private static ImsRegistrationSettings Valid() => new()
    {
        Impi = "alice.private@ims.test",
        Impus = ["sip:alice@ims.test"],
        HomeDomain = "ims.test",
        Pcscfs = [new PcscfAddress(IPAddress.Loopback)],
        LocalAddress = IPAddress.Loopback,
        ContactFeatureTags = ["+g.oma.sip-im"],
    };

    [Fact]
    public void ValidSettingsPass() => Valid().Validate();

    [Theory]
    [InlineData("g.oma.sip-im")]
    [InlineData("+g.oma.sip-im;+other")]
    [InlineData("+a\r\nVia: x")]
    [InlineData("")]
    public void FeatureTagsThatWouldBreakContactAreRefused(string tag)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => (Valid() with { ContactFeatureTags = [tag] }).Validate());
        Assert.Contains("feature tag", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TelUriCannotBeTheRegisteredIdentity() =>
        Assert.Throws<ArgumentException>(() => (Valid() with { Impus = ["tel:+15550100", "sip:alice@ims.test"] }).Validate());

    [Fact]
    public void NoPcscfIsRefused() =>
        Assert.Throws<ArgumentException>(() => (Valid() with { Pcscfs = [] }).Validate());

    [Fact]
    public void ToStringRedactsIdentitiesAndPassword()
    {
        string text = (Valid() with { Digest = new DigestRegistrationCredentials("alice", "s3cret") }).ToString();
        Assert.DoesNotContain("alice", text, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", text, StringComparison.Ordinal);
        Assert.Contains("ims.test", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("120", 120)]
    [InlineData("18000;duration=3600", 18000)]
    [InlineData(" 5 (I'm in a meeting)", 5)]
    [InlineData("soon", null)]
    [InlineData(null, null)]
    public void RetryAfterReadsDeltaSeconds(string? value, int? seconds)
    {
        var request = SipMessageBuilder.Request(SipMethod.Register, SipUri.Parse("sip:ims.test"))
            .From(new NameAddress(SipUri.Parse("sip:a@ims.test"), null, new SipParameter("tag", "1")))
            .To(new NameAddress(SipUri.Parse("sip:a@ims.test"))).CallId("c").CSeq(1, SipMethod.Register).BuildRequest();
        SipMessageBuilder b = SipMessageBuilder.ResponseTo(request, 503, toTag: "x");
        if (value is not null)
        {
            b.Add(SipHeaderId.RetryAfter, value);
        }

        Assert.Equal(seconds is { } s ? TimeSpan.FromSeconds(s) : null, ImsRegistration.RetryAfter(b.BuildResponse()));
    }
}
