// SPDX-License-Identifier: MIT
namespace ImUeAgent.Msrp.Tests;

public sealed class MsrpUriTests
{
    [Theory]
    [InlineData("msrp://atlanta.example.com:7654/jshA7weztas;tcp", false, "atlanta.example.com", 7654, "jshA7weztas")]
    [InlineData("msrps://bob@relay.example.net:2855/a/b+c=;tcp;foo=bar", true, "relay.example.net", 2855, "a/b+c=")]
    [InlineData("msrps://relay.example.net;tcp", true, "relay.example.net", 0, null)]
    [InlineData("MSRP://[2001:db8::1]:9000/s1;TCP", false, "2001:db8::1", 9000, "s1")]
    public void Parses(string text, bool secure, string host, int port, string? sessionId)
    {
        var uri = MsrpUri.Parse(text);
        Assert.Equal(secure, uri.IsSecure);
        Assert.Equal(host, uri.Host);
        Assert.Equal(port, uri.Port);
        Assert.Equal(sessionId, uri.SessionId);
        Assert.Equal(uri, MsrpUri.Parse(uri.ToString()));
    }

    [Theory]
    [InlineData("sip://a:1/x;tcp", MsrpUriError.BadScheme)]
    [InlineData("msrp://a:1/x", MsrpUriError.MissingTransport)]
    [InlineData("msrp://a:99999/x;tcp", MsrpUriError.BadPort)]
    [InlineData("msrp://a:/x;tcp", MsrpUriError.BadPort)]
    [InlineData("msrp://a:1/x y;tcp", MsrpUriError.BadSessionId)]
    [InlineData("msrp:///x;tcp", MsrpUriError.MissingAuthority)]
    [InlineData("msrp://[::1/x;tcp", MsrpUriError.BadHost)]
    public void Rejects(string text, MsrpUriError expected)
    {
        Assert.False(MsrpUri.TryParse(text, out _, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void Comparison_follows_rfc4975_6_1()
    {
        var a = MsrpUri.Parse("msrp://Atlanta.Example.com:7654/jshA7weztas;tcp");
        Assert.Equal(a, MsrpUri.Parse("msrp://atlanta.example.com:7654/jshA7weztas;TCP;x=y"));
        Assert.NotEqual(a, MsrpUri.Parse("msrp://atlanta.example.com:7654/jsha7weztas;tcp")); // session-id is case-sensitive
        Assert.NotEqual(a, MsrpUri.Parse("msrps://atlanta.example.com:7654/jshA7weztas;tcp"));
        Assert.Equal(MsrpUri.Parse("msrp://h/s;tcp"), MsrpUri.Parse("msrp://h:2855/s;tcp"));
    }

    [Fact]
    public void Paths_split_on_whitespace()
    {
        Assert.True(MsrpUri.TryParsePath("msrps://r1.example:1;tcp  msrp://b.example:2/s;tcp", out var path, out _));
        Assert.Equal(2, path.Count);
        Assert.False(MsrpUri.TryParsePath("   ", out _, out var error));
        Assert.Equal(MsrpUriError.EmptyPath, error);
    }
}
