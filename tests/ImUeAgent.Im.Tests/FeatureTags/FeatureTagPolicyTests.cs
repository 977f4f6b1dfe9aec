// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Im.FeatureTags;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Im.Tests.FeatureTags;

public sealed class FeatureTagPolicyTests
{
    private const string AppRef = "+g.3gpp.app_ref=\"<value>\";explicit;require";
    private const string IcsiRef = "+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg\"";

    [Fact]
    public void SipImIsAddedBesideTheApplicationTagsInItsOwnValue()
    {
        ClientFeatureTagPolicy policy = ClientFeatureTagPolicy.Create(new ImFeatureTagSettings { AcceptContact = [AppRef] });

        Assert.Equal(["*;+g.oma.sip-im", "*;" + AppRef], policy.AcceptContactValues);
        CallerPreferenceValue app = policy.AcceptContactPredicates[1];
        Assert.True(app.Explicit);
        Assert.True(app.Require);
        Assert.Equal("+g.3gpp.app_ref", app.Features[0].Name);
        Assert.Equal("\"<value>\"", app.Features[0].RawValue);
        CallerPreferenceValue im = policy.AcceptContactPredicates[0];
        Assert.False(im.Explicit);
        Assert.False(im.Require);
    }

    [Fact]
    public void WithoutApplicationTagsOnlyTheImValueIsSent()
    {
        ClientFeatureTagPolicy policy = ClientFeatureTagPolicy.Create(new ImFeatureTagSettings());
        Assert.Equal(["*;+g.oma.sip-im"], policy.AcceptContactValues);
        Assert.Equal(";+g.oma.sip-im", policy.ContactParameterText);
    }

    [Fact]
    public void ApplicationValueWithSipImAlreadyIsNotDuplicated()
    {
        ClientFeatureTagPolicy policy = ClientFeatureTagPolicy.Create(new ImFeatureTagSettings { AcceptContact = ["*;+g.oma.sip-im;" + IcsiRef] });
        Assert.Equal(["*;+g.oma.sip-im;" + IcsiRef], policy.AcceptContactValues);
    }

    [Fact]
    public void AcceptContactHeadersAreWrittenByteExactIntoTheRequest()
    {
        ClientFeatureTagPolicy policy = ClientFeatureTagPolicy.Create(new ImFeatureTagSettings { AcceptContact = [AppRef, "*;" + IcsiRef] });
        SipMessageBuilder b = SipMessageBuilder.Request(SipMethod.Message, SipUri.Parse("sip:bob@example.com"));
        policy.AddAcceptContact(b);
        SipMessage m = b.Build();
        string text = Encoding.UTF8.GetString(m.Raw.Span);

        Assert.Contains("Accept-Contact: *;+g.oma.sip-im\r\n", text, StringComparison.Ordinal);
        Assert.Contains("Accept-Contact: *;" + AppRef + "\r\n", text, StringComparison.Ordinal);
        Assert.Contains("Accept-Contact: *;" + IcsiRef + "\r\n", text, StringComparison.Ordinal);
        Assert.Equal(SipParseError.None, m.Headers.Validate(SipHeaderId.AcceptContact));
        Assert.Equal(3, m.Headers.AcceptContact.Count);
    }

    [Theory]
    [InlineData("+g.3gpp.app_ref=\"x\";explicit;explicit")]
    [InlineData("+g.3gpp.app_ref=\"x\";require;require")]
    [InlineData("*;explicit;require")]
    [InlineData("")]
    [InlineData("*;+a, *;+b")]
    [InlineData("+g.3gpp.app_ref=\"unterminated")]
    public void InvalidAcceptContactConfigurationIsRefusedNamingTheEntry(string entry)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => ClientFeatureTagPolicy.Create(new ImFeatureTagSettings { AcceptContact = [entry] }));
        Assert.Contains("AcceptContact[0]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ContactCarriesSipImAndTheRegisteredTagsByteExact()
    {
        ClientFeatureTagPolicy policy = ClientFeatureTagPolicy.Create(new ImFeatureTagSettings
        {
            ContactFeatureTags = [IcsiRef, "+g.3gpp.iari-ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.fthttp\";+g.oma.sip-im"],
        });
        ContactValue contact = policy.BuildContact(SipUri.Parse("sip:alice@192.0.2.1:5060"), new SipParameter("+sip.instance", "<urn:gsma:imei:35-209900-176148-1>", true));

        Assert.Equal(
            "<sip:alice@192.0.2.1:5060>;+sip.instance=\"<urn:gsma:imei:35-209900-176148-1>\";+g.oma.sip-im;" + IcsiRef
            + ";+g.3gpp.iari-ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.fthttp\"",
            contact.ToString());
        Assert.Equal(3, policy.ContactFeatures.Count);
    }

    [Fact]
    public void ContactTagRepeatedWithAnotherValueIsRefused()
    {
        Assert.Throws<ArgumentException>(() => ClientFeatureTagPolicy.Create(new ImFeatureTagSettings
        {
            ContactFeatureTags = ["+g.3gpp.icsi-ref=\"a\"", "+g.3gpp.icsi-ref=\"b\""],
        }));
        Assert.Throws<ArgumentException>(() => ClientFeatureTagPolicy.Create(new ImFeatureTagSettings { ContactFeatureTags = ["expires=60"] }));
    }

    [Theory]
    [InlineData("*;+g.oma.sip-im", false, 1)]
    [InlineData("+g.3gpp.app_ref=\"<value>\";explicit;require", true, 1)]
    [InlineData("*;+g.oma.sip-im; +g.3gpp.app_ref=\"<value>\"", false, 1)]
    [InlineData("*;+g.oma.sip-im; ", false, 1)]
    [InlineData("*;+a;explicit, *;+b;require", false, 2)]
    public void LenientReaderAcceptsTheSeedForms(string value, bool expectRepair, int count)
    {
        var list = new List<CallerPreferenceValue>();
        Assert.True(CallerPreferences.TryParse(value, list, out bool repaired));
        Assert.Equal(expectRepair, repaired);
        Assert.Equal(count, list.Count);
    }

    [Theory]
    [InlineData("*;+a;explicit;explicit")]
    [InlineData("*;+a=\"x")]
    [InlineData("sip:bob@example.com")]
    public void LenientReaderStillRejectsInvalidValues(string value)
    {
        Assert.False(CallerPreferences.TryParse(value, [], out _));
    }
}
