// SPDX-License-Identifier: MIT
using ImUeAgent.Im.Client.Sessions;
using ImUeAgent.Msrp.Sdp;

namespace ImUeAgent.Im.Tests.Client.Sessions;

public sealed class ChatOfferClassifierTests
{
    private static string Offer(string acceptTypes, string? wrapped = null, params string[] extra)
    {
        var lines = new List<string>
        {
            "v=0", "o=- 0 0 IN IP4 10.0.0.9", "s=-", "c=IN IP4 10.0.0.9", "t=0 0", "m=message 7654 TCP/MSRP *",
        };
        if (acceptTypes.Length > 0)
        {
            lines.Add("a=accept-types:" + acceptTypes);
        }

        if (wrapped is not null)
        {
            lines.Add("a=accept-wrapped-types:" + wrapped);
        }

        lines.AddRange(extra);
        lines.Add("a=path:msrp://10.0.0.9:7654/jshA7we;tcp");
        return string.Join("\r\n", lines) + "\r\n";
    }

    public static TheoryData<string, string> Offers => new()
    {
        // This client's own session offer, and an RCS-style one.
        { Offer("message/cpim text/plain", "*"), nameof(ChatOfferDecision.Chat) },
        { Offer("message/cpim application/im-iscomposing+xml", "text/plain message/imdn+xml"), nameof(ChatOfferDecision.Chat) },
        { Offer("text/plain", "*"), nameof(ChatOfferDecision.Chat) },
        { Offer("message/cpim text/plain", "*", "a=sendrecv"), nameof(ChatOfferDecision.Chat) },
        // OMA CPM Large Message Mode: sendonly, at media or session level.
        { Offer("message/cpim text/plain", "*", "a=sendonly"), nameof(ChatOfferDecision.OneWayDirection) },
        { Offer("message/cpim text/plain", "*", "a=inactive"), nameof(ChatOfferDecision.OneWayDirection) },
        // RFC 5547 file transfer.
        { Offer("message/cpim text/plain", "*", "a=file-selector:name:\"a.jpg\" type:image/jpeg size:10"), nameof(ChatOfferDecision.FileSelector) },
        // Appendix D.2: what the IM Server pushes.
        { Offer("message/sip message/sipfrag message/msrp multipart/mixed"), nameof(ChatOfferDecision.DeferredPushTypes) },
        { Offer("*"), nameof(ChatOfferDecision.AnyTypeOnly) },
        { Offer(string.Empty), nameof(ChatOfferDecision.AnyTypeOnly) },
        // This client's Large Message Mode offers (9): the one message's type.
        { Offer("text/plain"), nameof(ChatOfferDecision.SingleMessageType) },
        { Offer("message/cpim", "text/plain message/imdn+xml"), nameof(ChatOfferDecision.SingleMessageType) },
        { Offer("image/jpeg application/octet-stream"), nameof(ChatOfferDecision.NoConversationType) },
    };

    [Theory]
    [MemberData(nameof(Offers))]
    public void OffersAreToldApartByTheirSdp(string sdpText, string expected)
    {
        SdpSessionDescription sdp = SdpSessionDescription.Parse(sdpText);
        Assert.True(MsrpSdp.TryRead(sdp, out MsrpMediaDescription? media, out _));
        Assert.Equal(expected, ChatOfferClassifier.Classify(sdp, media).ToString());
    }

    [Fact]
    public void SessionLevelSendOnlyCountsUnlessTheMediaSaysSendRecv()
    {
        string sessionLevel = Offer("message/cpim text/plain", "*").Replace("t=0 0\r\n", "t=0 0\r\na=sendonly\r\n", StringComparison.Ordinal);
        SdpSessionDescription sdp = SdpSessionDescription.Parse(sessionLevel);
        Assert.True(MsrpSdp.TryRead(sdp, out MsrpMediaDescription? media, out _));
        Assert.Equal(ChatOfferDecision.OneWayDirection, ChatOfferClassifier.Classify(sdp, media));

        string overridden = sessionLevel.Replace("a=path:", "a=sendrecv\r\na=path:", StringComparison.Ordinal);
        sdp = SdpSessionDescription.Parse(overridden);
        Assert.True(MsrpSdp.TryRead(sdp, out media, out _));
        Assert.Equal(ChatOfferDecision.Chat, ChatOfferClassifier.Classify(sdp, media));
    }
}
