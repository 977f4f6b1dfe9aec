// SPDX-License-Identifier: MIT
using ImUeAgent.Msrp.Relay;
using ImUeAgent.Msrp.Sessions;
using ImUeAgent.Msrp.Tests.Sessions;

namespace ImUeAgent.Msrp.Tests.Relay;

public sealed class MsrpRelayClientTests
{
    [Fact]
    public void Digest_matches_the_rfc2617_example()
    {
        var challenge = DigestChallenge.Parse("Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
        Assert.NotNull(challenge);
        var answer = DigestChallenge.Answer(challenge, new MsrpRelayCredentials("Mufasa", "Circle Of Life"), "/dir/index.html", "0a4f113b", "GET");
        Assert.Contains("response=\"6629fae49393a05397450978507c4ef1\"", answer, StringComparison.Ordinal);
        Assert.Contains("qop=auth, nc=00000001, cnonce=\"0a4f113b\"", answer, StringComparison.Ordinal);
        Assert.Contains("opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"", answer, StringComparison.Ordinal);
    }

    [Fact]
    public void Credentials_do_not_leak_through_ToString()
    {
        Assert.DoesNotContain("s3cret", new MsrpRelayCredentials("alice", "s3cret").ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Basic realm=\"x\"")]
    [InlineData("Digest nonce=\"n\"")]
    [InlineData("Digest realm=\"r\", nonce=\"n\", algorithm=SHA-256")]
    [InlineData("Digest realm=\"r, nonce=\"n\"")]
    public void Unusable_challenges_are_refused(string header) => Assert.Null(DigestChallenge.Parse(header));

    [Fact]
    public async Task Auth_answers_the_challenge_and_returns_use_path()
    {
        var (near, far) = DuplexPipe.CreatePair();
        await using var endpoint = new MsrpEndpoint(new MsrpEndpointOptions { Host = "client.example", Port = 4000 }, (_, _) => ValueTask.FromResult(near));
        var session = endpoint.CreateSession(new RecordingHandler());
        var relayUri = MsrpUri.Parse("msrps://relay.example.net:2855;tcp");
        var connection = await endpoint.GetOrOpenConnectionAsync(relayUri, TestContext.Current.CancellationToken);
        var relay = new ScriptedPeer(far);
        var auth = MsrpRelayClient.AuthenticateAsync(connection, relayUri, session.LocalUri, new MsrpRelayCredentials("alice", "secret"), TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        var first = await relay.ReadFrameAsync();
        Assert.Equal("AUTH", first.Method);
        Assert.Equal("msrps://relay.example.net:2855;tcp", first.ToPath);
        Assert.Equal(session.LocalUri.ToString(), first.FromPath);
        await relay.SendAsync($"MSRP {first.TransactionId} 401 Unauthorized\r\nTo-Path: {first.FromPath}\r\nFrom-Path: {first.ToPath}\r\n" +
                              "WWW-Authenticate: Digest realm=\"relay.example.net\", nonce=\"abc123\", qop=\"auth\"\r\n" +
                              $"-------{first.TransactionId}$\r\n");
        var second = await relay.ReadFrameAsync();
        var authorization = second.LiveHead!.GetHeader("Authorization");
        Assert.NotNull(authorization);
        Assert.Contains("username=\"alice\"", authorization, StringComparison.Ordinal);
        Assert.Contains("uri=\"msrps://relay.example.net:2855;tcp\"", authorization, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", authorization, StringComparison.Ordinal);
        var cnonce = authorization.Split("cnonce=\"")[1].Split('"')[0];
        string ha1 = DigestChallenge.Md5Hex("alice:relay.example.net:secret");
        string ha2 = DigestChallenge.Md5Hex("AUTH:msrps://relay.example.net:2855;tcp");
        Assert.Contains($"response=\"{DigestChallenge.Md5Hex($"{ha1}:abc123:00000001:{cnonce}:auth:{ha2}")}\"", authorization, StringComparison.Ordinal);
        await relay.SendAsync($"MSRP {second.TransactionId} 200 OK\r\nTo-Path: {second.FromPath}\r\nFrom-Path: {second.ToPath}\r\n" +
                              "Use-Path: msrps://relay.example.net:2855/r8s7x;tcp\r\nExpires: 900\r\n" +
                              $"-------{second.TransactionId}$\r\n");
        var grant = await auth.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        Assert.Equal("r8s7x", Assert.Single(grant.UsePath).SessionId);
        Assert.Equal(TimeSpan.FromSeconds(900), grant.Expires);

        session.SetRelayPath(grant.UsePath);
        Assert.Equal([grant.UsePath[0], session.LocalUri], session.AdvertisedPath);
        session.SetRemotePath([MsrpUri.Parse("msrp://peer.example:9/peer1;tcp")]);
        Assert.Equal(grant.UsePath[0], session.FirstHop);
        await session.ConnectAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromMilliseconds(1), TestContext.Current.CancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        var bind = await relay.ReadFrameAsync();
        Assert.Equal("msrps://relay.example.net:2855/r8s7x;tcp msrp://peer.example:9/peer1;tcp", bind.ToPath);
        Assert.Same(connection, session.Connection); // the AUTH connection is reused for the session
    }

    [Fact]
    public async Task Refused_credentials_raise_with_the_status()
    {
        var (near, far) = DuplexPipe.CreatePair();
        await using var endpoint = new MsrpEndpoint(new MsrpEndpointOptions { Host = "client.example", Port = 4000 }, (_, _) => ValueTask.FromResult(near));
        var session = endpoint.CreateSession(new RecordingHandler());
        var relayUri = MsrpUri.Parse("msrps://relay.example.net:2855;tcp");
        var connection = await endpoint.GetOrOpenConnectionAsync(relayUri, TestContext.Current.CancellationToken);
        var relay = new ScriptedPeer(far);
        var auth = MsrpRelayClient.AuthenticateAsync(connection, relayUri, session.LocalUri, new MsrpRelayCredentials("alice", "secret"), TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        var first = await relay.ReadFrameAsync();
        await relay.SendAsync($"MSRP {first.TransactionId} 403 Forbidden\r\nTo-Path: {first.FromPath}\r\nFrom-Path: {first.ToPath}\r\n-------{first.TransactionId}$\r\n");
        var ex = await Assert.ThrowsAsync<MsrpSessionException>(() => auth);
        Assert.Equal(403, ex.StatusCode);
    }
}
