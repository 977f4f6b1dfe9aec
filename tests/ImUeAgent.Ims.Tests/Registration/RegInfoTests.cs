// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Ims.Registration;

namespace ImUeAgent.Ims.Tests.Registration;

public sealed class RegInfoTests
{
    private const string Full = """
        <?xml version="1.0"?>
        <reginfo xmlns="urn:ietf:params:xml:ns:reginfo" version="0" state="full">
          <registration aor="sip:001010123456789@ims.mnc001.mcc001.3gppnetwork.org" id="a7" state="active">
            <contact id="76" state="active" event="registered" expires="600000">
              <uri>sip:[::1]:5060;transport=tcp</uri>
            </contact>
          </registration>
          <registration aor="tel:+15550123456" id="a8" state="active">
            <contact id="77" state="active" event="created" expires="3600"><uri>sip:127.0.0.1:5060</uri></contact>
          </registration>
        </reginfo>
        """;

    [Fact]
    public void Full_state_document_parses()
    {
        Assert.True(RegInfoDocument.TryParse(Encoding.UTF8.GetBytes(Full), out var document, out var reason), reason);
        Assert.True(document!.IsFullState);
        Assert.Equal(0, document.Version);
        Assert.Equal(2, document.Registrations.Count);
        var contact = Assert.Single(document.Registrations[0].Contacts);
        Assert.Equal(new RegInfoContact("76", "active", "registered", "sip:[::1]:5060;transport=tcp", 600000), contact);
        Assert.Equal("tel:+15550123456", document.Registrations[1].Aor);
    }

    [Theory]
    [InlineData("deactivated")]
    [InlineData("rejected")]
    [InlineData("expired")]
    public void Network_deregistration_is_seen_in_partial_state(string @event)
    {
        var xml = $"""
            <reginfo xmlns="urn:ietf:params:xml:ns:reginfo" version="3" state="partial">
              <registration aor="sip:ue@ims.example" id="a7" state="terminated">
                <contact id="76" state="terminated" event="{@event}"><uri>sip:127.0.0.1:5060</uri></contact>
              </registration>
            </reginfo>
            """;
        Assert.True(RegInfoDocument.TryParse(Encoding.UTF8.GetBytes(xml), out var document, out var reason), reason);
        Assert.False(document!.IsFullState);
        Assert.Equal("terminated", document.Registrations[0].State);
        Assert.Equal(@event, document.Registrations[0].Contacts[0].Event);
        Assert.Null(document.Registrations[0].Contacts[0].Expires);
    }

    [Theory]
    [InlineData("", "malformed reginfo")]
    [InlineData("<reginfo xmlns=\"urn:other\" version=\"0\" state=\"full\"/>", "not reginfo")]
    [InlineData("<reginfo xmlns=\"urn:ietf:params:xml:ns:reginfo\" state=\"full\"/>", "no valid version")]
    [InlineData("<reginfo xmlns=\"urn:ietf:params:xml:ns:reginfo\" version=\"1\" state=\"odd\"/>", "not full or partial")]
    [InlineData("<reginfo xmlns=\"urn:ietf:params:xml:ns:reginfo\" version=\"1\" state=\"full\"><registration id=\"x\" state=\"active\"/></reginfo>", "without aor")]
    [InlineData("<!DOCTYPE r [<!ENTITY x \"y\">]><reginfo xmlns=\"urn:ietf:params:xml:ns:reginfo\" version=\"1\" state=\"full\"/>", "malformed reginfo")]
    public void Bad_documents_are_refused_with_a_reason(string xml, string expected)
    {
        Assert.False(RegInfoDocument.TryParse(Encoding.UTF8.GetBytes(xml), out _, out var reason));
        Assert.Contains(expected, reason, StringComparison.Ordinal);
    }
}
