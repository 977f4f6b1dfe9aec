// SPDX-License-Identifier: MIT
using ImUeAgent.Im.Client.Large;
using ImUeAgent.Msrp.Sdp;

namespace ImUeAgent.Im.Tests.Client.Large;

public sealed class MsrpDirectionTests
{
    private const string Offer =
        "v=0\r\no=- 0 0 IN IP4 10.0.0.9\r\ns=-\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\n" +
        "m=message 7654 TCP/MSRP *\r\na=accept-types:message/cpim\r\na=setup:active\r\na=path:msrp://10.0.0.9:7654/jshA7we;tcp\r\n";

    [Fact]
    public void DirectionGoesOnTheMsrpMediaBeforeThePathAndReplacesAnyEarlierOne()
    {
        string sendOnly = MsrpDirection.With(Offer, MsrpDirection.SendOnly);
        Assert.Equal(Offer.Replace("a=path:", "a=sendonly\r\na=path:", StringComparison.Ordinal), sendOnly);

        string inactive = MsrpDirection.With(sendOnly, MsrpDirection.Inactive);
        Assert.Equal(Offer.Replace("a=path:", "a=inactive\r\na=path:", StringComparison.Ordinal), inactive);
        Assert.Equal(MsrpDirection.Inactive, MsrpDirection.Of(SdpSessionDescription.Parse(inactive)));
    }

    [Fact]
    public void MediaDirectionWinsOverTheSessionLevelOneAndNoneMeansUnsaid()
    {
        Assert.Null(MsrpDirection.Of(SdpSessionDescription.Parse(Offer)));
        string sessionLevel = Offer.Replace("t=0 0\r\n", "t=0 0\r\na=sendonly\r\n", StringComparison.Ordinal);
        Assert.Equal(MsrpDirection.SendOnly, MsrpDirection.Of(SdpSessionDescription.Parse(sessionLevel)));
        string overridden = sessionLevel.Replace("a=path:", "a=sendrecv\r\na=path:", StringComparison.Ordinal);
        Assert.Equal(MsrpDirection.SendRecv, MsrpDirection.Of(SdpSessionDescription.Parse(overridden)));
    }

    [Theory]
    [InlineData("sendonly", "recvonly")]
    [InlineData("recvonly", "sendonly")]
    [InlineData("inactive", "inactive")]
    [InlineData("sendrecv", null)]
    [InlineData(null, null)]
    public void AnswerMirrorsAOneWayOfferPerRfc3264(string? offered, string? answer) => Assert.Equal(answer, MsrpDirection.AnswerTo(offered));

    [Fact]
    public void OnlyDirectionAttributesAndMsrpBodiesAreAccepted()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MsrpDirection.With(Offer, "a=sendonly"));
        Assert.Throws<ArgumentException>(() => MsrpDirection.With(Offer.Replace("TCP/MSRP", "RTP/AVP", StringComparison.Ordinal), MsrpDirection.SendOnly));
    }
}
