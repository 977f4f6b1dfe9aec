// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Im.FeatureTags;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Im.Tests.FeatureTags;

public sealed class ServerRuleAndMatcherTests
{
    private static SipRequest Parse(string text)
    {
        SipParseResult r = SipParser.Parse(Encoding.UTF8.GetBytes(text.ReplaceLineEndings("\r\n")), SipFraming.Datagram);
        Assert.True(r.IsComplete, r.ToString());
        return (SipRequest)r.Message!;
    }

    private static string Request(params string[] acceptContact)
    {
        var sb = new StringBuilder("MESSAGE sip:imserver@example.com SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\nFrom: <sip:alice@example.com>;tag=1\nTo: <sip:bob@example.com>\nCall-ID: c1\nCSeq: 1 MESSAGE\nMax-Forwards: 70\n");
        foreach (string a in acceptContact)
        {
            sb.Append("Accept-Contact: ").Append(a).Append('\n');
        }

        return sb.Append("Content-Length: 0\n\n").ToString();
    }

    private static SipRequest Forward(SipRequest received)
    {
        SipMessageBuilder b = SipMessageBuilder.Request(SipMethod.Message, SipUri.Parse("sip:bob@example.com"));
        b.Via(new ViaValue("UDP", "imserver.example.com", 5060, "z9hG4bK2"));
        ImServerAcceptContactRule.Apply(received, b);
        return (SipRequest)b.Build();
    }

    [Fact]
    public void NoAcceptContactReceivedGetsSipIm()
    {
        SipRequest out1 = Forward(Parse(Request()));
        Assert.Equal(["*;+g.oma.sip-im"], out1.Headers.GetAll(SipHeaderId.AcceptContact).Select(h => h.Value));
    }

    [Fact]
    public void ReceivedTagsAreKeptByteExactAndSipImAddedWhenMissing()
    {
        const string app = "*;+g.3gpp.app%5fref=\"<value>\";explicit;require";
        SipRequest out1 = Forward(Parse(Request(app)));
        string text = Encoding.UTF8.GetString(out1.Raw.Span);
        Assert.Contains("Accept-Contact: " + app + "\r\n", text, StringComparison.Ordinal);
        Assert.Equal([app, "*;+g.oma.sip-im"], out1.Headers.GetAll(SipHeaderId.AcceptContact).Select(h => h.Value));
    }

    [Theory]
    [InlineData("*;+g.oma.sip-im; +g.3gpp.app_ref=\"<value>\"")]
    [InlineData("*;+G.OMA.SIP-IM")]
    [InlineData("*;+g.oma.sip%2dim")]
    public void SipImPresentInAnyReceivedValueIsNotAddedAgain(string value)
    {
        SipRequest out1 = Forward(Parse(Request(value)));
        Assert.Equal([value], out1.Headers.GetAll(SipHeaderId.AcceptContact).Select(h => h.Value));
    }

    [Fact]
    public void SeedFormWithoutStarIsForwardedAsIsAndItsSipImSiblingRecognised()
    {
        // The seed's Appendix D.2 example, both lines, the second without '*'.
        SipRequest received = Parse(Request("*;+g.oma.sip-im; ", "+g.3gpp.app_ref=\"<value>\";explicit;require"));
        Assert.False(ImServerAcceptContactRule.NeedsSipIm(received));
        SipRequest out1 = Forward(received);
        Assert.Equal(["*;+g.oma.sip-im;", "+g.3gpp.app_ref=\"<value>\";explicit;require"], out1.Headers.GetAll(SipHeaderId.AcceptContact).Select(h => h.Value));
    }

    [Fact]
    public void TextFormOfTheRuleMatchesTheMessageForm()
    {
        Assert.Equal(["*;+g.oma.sip-im"], ImServerAcceptContactRule.OutgoingValues([]));
        Assert.Equal(["*;+x=\"1\"", "*;+g.oma.sip-im"], ImServerAcceptContactRule.OutgoingValues(["*;+x=\"1\""]));
        Assert.Equal(["*;+x;+g.oma.sip-im"], ImServerAcceptContactRule.OutgoingValues(["*;+x;+g.oma.sip-im"]));
    }

    [Fact]
    public void AppRefSurvivesClientToServerToTerminatingClient()
    {
        // Originating client: policy from the application's configuration.
        ClientFeatureTagPolicy client = ClientFeatureTagPolicy.Create(new ImFeatureTagSettings { AcceptContact = ["+g.3gpp.app_ref=\"<value>\";explicit;require"] });
        SipMessageBuilder ob = SipMessageBuilder.Request(SipMethod.Message, SipUri.Parse("sip:bob@example.com"));
        ob.Via(new ViaValue("UDP", "192.0.2.1", 5060, "z9hG4bK3"))
            .From(new NameAddress(SipUri.Parse("sip:alice@example.com"), null, new SipParameter("tag", "a")))
            .To(new NameAddress(SipUri.Parse("sip:bob@example.com")))
            .CallId("e2e").CSeq(1, SipMethod.Message).MaxForwards();
        client.AddAcceptContact(ob);
        SipMessage sent = ob.Build();

        // Through the wire to the IM server, which applies its rule.
        SipRequest atServer = (SipRequest)SipParser.Parse(sent.Raw, SipFraming.Datagram).Message!;
        SipRequest forwarded = Forward(atServer);

        // Terminating client: two applications behind one contact.
        SipRequest atBob = (SipRequest)SipParser.Parse(forwarded.Raw, SipFraming.Datagram).Message!;
        var chat = new LocalApplication("chat", [ImFeatureTags.SipImParameter]);
        var appWithRef = new LocalApplication("app", [ImFeatureTags.SipImParameter, new FeatureParameter("+g.3gpp.app%5fref", "\"<value>\"")]);
        var selector = new ApplicationSelector([chat, appWithRef], "chat");

        IReadOnlyList<CallerPreferenceValue> seen = CallerPreferences.ReadAcceptContact(atBob);
        Assert.Contains(seen, v => v.HasFeature("+g.3gpp.app_ref") && v.Explicit && v.Require);
        Assert.Single(seen, v => v.HasFeature(ImFeatureTags.SipIm));
        ApplicationSelection selection = selector.Select(atBob);
        Assert.Equal(ApplicationSelectionOutcome.Matched, selection.Outcome);
        Assert.Equal("app", selection.Application!.Id);
        Assert.Equal(1.0, selection.Score);
    }

    public static TheoryData<string, string[], double?> ScoreCases => new()
    {
        // Accept-Contact value; feature set (name=raw or name); expected Qa (null = discarded).
        { "*;+g.oma.sip-im", ["+g.oma.sip-im"], 1.0 },
        { "*;+g.oma.sip-im", [], 0.0 },
        { "*;+a=\"<x>\";explicit;require", ["+a=\"<x>\""], 1.0 },
        { "*;+a=\"<x>\";explicit;require", ["+a=\"<y>\""], null },
        { "*;+a=\"<x>\";explicit;require", ["+b"], null },
        { "*;+a=\"<x>\";require", ["+b"], 0.0 },
        { "*;+a=\"<x>\";explicit", ["+b"], 0.0 },
        { "*;+a=\"<x>\"", ["+a=\"<y>\""], 0.0 },
        { "*;+a;+b", ["+a"], 0.5 },
        { "*;methods=\"INVITE,MESSAGE\"", ["methods=\"MESSAGE\""], 1.0 },
        { "*;methods=\"!INVITE\"", ["methods=\"INVITE\""], 0.0 },
        { "*;methods=\"!INVITE\";require", ["methods=\"INVITE\""], null },
        { "*;+g.3gpp.app_ref=\"<v>\";explicit;require", ["+g.3gpp.app%5fref=\"<v>\""], 1.0 },
        { "*;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel\"", ["+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel,urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg\""], 1.0 },
        { "*;+n=\"#>=3\";require", ["+n=\"#=5\""], 1.0 },
        { "*;+n=\"#<=3\";require", ["+n=\"#=5\""], null },
        { "*;+n=\"#1:10\"", ["+n=\"#=5\""], 1.0 },
        { "*;+flag", ["+flag=\"FALSE\""], 0.0 },
    };

    [Theory]
    [MemberData(nameof(ScoreCases))]
    public void Rfc3841ScoreTable(string acceptContact, string[] featureSet, double? expected)
    {
        var predicates = new List<CallerPreferenceValue>();
        Assert.True(CallerPreferences.TryParse(acceptContact, predicates, out _));
        var set = featureSet.Select(f => f.Split('=', 2) is [var n, var v] ? new FeatureParameter(n, v) : new FeatureParameter(f)).ToList();
        Assert.Equal(expected, CallerPreferenceMatcher.Score(set, predicates));
    }

    [Fact]
    public void RejectContactRequiresEveryTagPresentAndMatching()
    {
        var reject = new List<CallerPreferenceValue>();
        Assert.True(CallerPreferences.TryParse("*;+g.3gpp.app_ref=\"<v>\";+x", reject, out _));
        Assert.True(CallerPreferenceMatcher.IsRejected([new("+g.3gpp.app%5fref", "\"<v>\""), new("+x")], reject));
        Assert.False(CallerPreferenceMatcher.IsRejected([new("+g.3gpp.app_ref", "\"<v>\"")], reject));
        Assert.False(CallerPreferenceMatcher.IsRejected([new("+g.3gpp.app_ref", "\"<w>\""), new("+x")], reject));
    }

    [Fact]
    public void SelectorFallsBackToDefaultOrReportsNone()
    {
        var chat = new LocalApplication("chat", [ImFeatureTags.SipImParameter]);
        var other = new LocalApplication("other", [new FeatureParameter("+x")]);
        var withDefault = new ApplicationSelector([chat, other], "chat");
        var noDefault = new ApplicationSelector([chat, other]);
        var strict = new List<CallerPreferenceValue>();
        CallerPreferences.TryParse("*;+missing;explicit;require", strict, out _);
        var reject = new List<CallerPreferenceValue>();
        CallerPreferences.TryParse("*;+g.oma.sip-im", reject, out _);

        Assert.Equal(ApplicationSelectionOutcome.Default, withDefault.Select([], []).Outcome);
        Assert.Equal(ApplicationSelectionOutcome.Default, withDefault.Select(strict, []).Outcome);
        Assert.Equal(ApplicationSelectionOutcome.NoApplication, noDefault.Select(strict, []).Outcome);
        ApplicationSelection rejected = noDefault.Select(reject, reject);
        Assert.Equal(ApplicationSelectionOutcome.NoApplication, rejected.Outcome);
        Assert.Throws<ArgumentException>(() => new ApplicationSelector([chat], "nope"));
    }
}
