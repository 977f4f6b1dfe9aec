// SPDX-License-Identifier: MIT
using ImUeAgent.Msrp.Sdp;
using ImUeAgent.Msrp.Sessions;
using ImUeAgent.Msrp.Tests.Sessions;

namespace ImUeAgent.Msrp.Tests.Sdp;

public sealed class MsrpSdpTests
{
    private const string Offer =
        "v=0\r\n" +
        "o=alice 2890844526 2890844527 IN IP4 alice.example.com\r\n" +
        "s= \r\n" +
        "c=IN IP4 atlanta.example.com\r\n" +
        "t=0 0\r\n" +
        "m=message 7654 TCP/MSRP *\r\n" +
        "a=accept-types:message/cpim text/plain text/html\r\n" +
        "a=accept-wrapped-types:text/plain message/imdn+xml\r\n" +
        "a=path:msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n" +
        "a=setup:actpass\r\n" +
        "a=max-size:131072\r\n";

    [Fact]
    public void Reads_an_msrp_offer()
    {
        var media = MsrpSdp.Read(Offer);
        Assert.Equal("jshA7weztas", Assert.Single(media.Path).SessionId);
        Assert.Equal(["message/cpim", "text/plain", "text/html"], media.AcceptTypes);
        Assert.Contains("message/imdn+xml", media.AcceptWrappedTypes);
        Assert.Equal(MsrpSetup.ActPass, media.Setup);
        Assert.Equal(131072, media.MaxSize);
        Assert.False(media.Secure);
        Assert.Equal(7654, media.Port);
        Assert.Equal("atlanta.example.com", media.ConnectionAddress);
    }

    [Theory]
    [InlineData("", SdpError.MissingVersion)]
    [InlineData("v=1\r\n", SdpError.BadVersion)]
    [InlineData("o=x 1 1 IN IP4 h\r\nv=0\r\n", SdpError.MissingVersion)]
    [InlineData("v=0\r\ns=-\r\n", SdpError.MissingOrigin)]
    [InlineData("v=0\r\no=x 1 1 IN IP4 h\r\n", SdpError.MissingSessionName)]
    [InlineData("v=0\r\no=x 1 1 IN IP4 h\r\ns=-\r\nc=IN IP9 h\r\n", SdpError.BadConnection)]
    [InlineData("v=0\r\no=x 1 1 IN IP4 h\r\ns=-\r\nm=message 70000 TCP/MSRP *\r\n", SdpError.BadPort)]
    [InlineData("v=0\r\no=x 1 1 IN IP4 h\r\ns=-\r\nm=message\r\n", SdpError.BadMedia)]
    [InlineData("v=0\r\no=x 1 1 IN IP4 h\r\ns=-\r\nthis is not sdp\r\n", SdpError.BadLine)]
    public void Malformed_sdp_is_rejected_with_a_reason(string text, SdpError expected)
    {
        Assert.False(SdpSessionDescription.TryParse(text, out _, out var error, out int line));
        Assert.Equal(expected, error);
        Assert.True(line >= 0);
    }

    [Theory]
    [InlineData("a=setup:actpass\r\n", "a=setup:sometimes\r\n", SdpError.BadSetup)]
    [InlineData("a=path:msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n", "", SdpError.MissingPath)]
    [InlineData("a=path:msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n", "a=path:http://x/y\r\n", SdpError.BadPath)]
    [InlineData("a=max-size:131072\r\n", "a=max-size:big\r\n", SdpError.BadMaxSize)]
    [InlineData("m=message 7654 TCP/MSRP *\r\n", "m=audio 7654 RTP/AVP 0\r\n", SdpError.NoMsrpMedia)]
    [InlineData("c=IN IP4 atlanta.example.com\r\n", "", SdpError.MissingConnection)]
    public void Bad_msrp_media_is_rejected(string replace, string with, SdpError expected)
    {
        var sdp = SdpSessionDescription.Parse(Offer.Replace(replace, with, StringComparison.Ordinal));
        Assert.False(MsrpSdp.TryRead(sdp, out _, out var error));
        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData(MsrpSetup.ActPass, MsrpSetup.Active, MsrpConnectionRole.Active)]
    [InlineData(MsrpSetup.Active, MsrpSetup.Passive, MsrpConnectionRole.Passive)]
    [InlineData(MsrpSetup.Passive, MsrpSetup.Active, MsrpConnectionRole.Active)]
    [InlineData(null, MsrpSetup.Passive, MsrpConnectionRole.Passive)]
    public void Setup_negotiation_follows_rfc6135(MsrpSetup? offered, MsrpSetup answer, MsrpConnectionRole answererRole)
    {
        Assert.Equal(answererRole, MsrpSdp.AnswerRole(offered, out var setup));
        Assert.Equal(answer, setup);
        Assert.NotEqual(answererRole, MsrpSdp.OffererRole(setup));
    }

    [Fact]
    public async Task Offer_and_answer_round_trip_for_sessions()
    {
        await using var a = new MsrpEndpoint(new MsrpEndpointOptions { Host = "10.0.0.1", Port = 5000 });
        await using var b = new MsrpEndpoint(new MsrpEndpointOptions { Host = "10.0.0.2", Port = 6000, Secure = true });
        var sa = a.CreateSession(new RecordingHandler());
        var sb = b.CreateSession(new RecordingHandler());
        var offer = MsrpSdp.CreateOffer(sa, ["message/cpim"], ["text/plain", "message/imdn+xml"], 1_000_000);
        Assert.Contains("m=message 5000 TCP/MSRP *\r\n", offer, StringComparison.Ordinal);
        Assert.Contains("a=accept-wrapped-types:text/plain message/imdn+xml\r\n", offer, StringComparison.Ordinal);
        Assert.Contains("a=setup:actpass\r\n", offer, StringComparison.Ordinal);
        Assert.Contains($"a=path:{sa.LocalUri}\r\n", offer, StringComparison.Ordinal);
        var answer = MsrpSdp.CreateAnswer(sb, MsrpSdp.Read(offer), ["message/cpim"], null, null, out var role);
        Assert.Equal(MsrpConnectionRole.Active, role);
        Assert.Equal(sa.LocalUri, sb.RemotePath.Single());
        var read = MsrpSdp.Read(answer);
        Assert.True(read.Secure);
        Assert.Contains("m=message 6000 TCP/TLS/MSRP *", answer, StringComparison.Ordinal);
        Assert.Equal(MsrpConnectionRole.Passive, MsrpSdp.OffererRole(read.Setup));
        Assert.Equal(sb.LocalUri, read.Path.Single());
    }

    private const string Alphabet = "v=0aoscmt \r\n:IP4/*-";

    [Fact]
    public void Random_text_never_crashes_the_parser()
    {
        var rng = new Random(4566);
        for (int i = 0; i < 2000; i++)
        {
            var chars = new char[rng.Next(0, 400)];
            for (int j = 0; j < chars.Length; j++)
            {
                chars[j] = Alphabet[rng.Next(Alphabet.Length)];
            }

            if (SdpSessionDescription.TryParse(new string(chars), out var sdp, out _, out _))
            {
                MsrpSdp.TryRead(sdp, out _, out _);
            }
        }

        Assert.False(SdpSessionDescription.TryParse(new string('a', 20_000), out _, out var error, out _));
        Assert.Equal(SdpError.TooLarge, error);
    }
}
