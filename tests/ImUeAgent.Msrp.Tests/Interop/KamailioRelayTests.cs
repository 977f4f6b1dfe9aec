// SPDX-License-Identifier: MIT
using System.Net;
using ImUeAgent.Msrp.Framing;
using ImUeAgent.Msrp.Relay;
using ImUeAgent.Msrp.Sessions;
using ImUeAgent.Msrp.Tests.Sessions;
using ImUeAgent.Msrp.Transport;

namespace ImUeAgent.Msrp.Tests.Interop;

/// <summary>
/// Two of our endpoints talk through a real RFC 4976 relay (Kamailio's msrp module): each AUTHs with digest to get a
/// Use-Path, the sender's To-Path is its relay hop, the receiver's relay hop, then the receiver.
/// </summary>
[Collection(nameof(KamailioRelayTests))]
[CollectionDefinition(nameof(KamailioRelayTests), DisableParallelization = true)]
public sealed class KamailioRelayTests(ITestOutputHelper output)
{
    private const string User = "alice";
    private const string Password = "relay-secret";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static MsrpEndpoint NewEndpoint() =>
        new(new MsrpEndpointOptions { Host = "127.0.0.1" }, MsrpTcpTransport.CreateConnector());

    private static async Task<MsrpRelayGrant> AuthAsync(MsrpEndpoint endpoint, MsrpSession session, MsrpUri relay, string password)
    {
        var connection = await endpoint.GetOrOpenConnectionAsync(relay, Ct);
        return await MsrpRelayClient.AuthenticateAsync(connection, relay, session.LocalUri, new MsrpRelayCredentials(User, password), Bound, Ct);
    }

    [Fact]
    public async Task Chunked_message_goes_through_kamailio_relay_after_digest_auth()
    {
        await using var relay = await KamailioMsrpRelay.StartAsync(User, Password, Ct);
        try
        {
            await using var alice = NewEndpoint();
            await using var bob = NewEndpoint();
            var aliceHandler = new RecordingHandler();
            var bobHandler = new RecordingHandler();
            var options = new MsrpSessionOptions { ChunkSize = 1000, SendBindingSend = false };
            var a = alice.CreateSession(aliceHandler, options);
            var b = bob.CreateSession(bobHandler, options);

            var aliceGrant = await AuthAsync(alice, a, relay.Uri, Password);
            var bobGrant = await AuthAsync(bob, b, relay.Uri, Password);
            output.WriteLine($"alice Use-Path {MsrpUri.FormatPath(aliceGrant.UsePath)}; bob Use-Path {MsrpUri.FormatPath(bobGrant.UsePath)}");
            Assert.Equal(relay.Port, Assert.Single(aliceGrant.UsePath).Port);
            Assert.NotEqual(aliceGrant.UsePath[0].SessionId, bobGrant.UsePath[0].SessionId);

            // Bob's connection to the relay is where the relay will deliver (msrp_cmap_lookup by his Use-Path session).
            b.SetRelayPath(bobGrant.UsePath);
            b.SetRemotePath([.. aliceGrant.UsePath, a.LocalUri]);
            b.Bind(bob.Connections.Single());
            a.SetRelayPath(aliceGrant.UsePath);
            a.SetRemotePath(b.AdvertisedPath);
            await a.ConnectAsync(Ct);
            Assert.Same(alice.Connections.Single(), a.Connection); // AUTH connection reused (RFC 4975 §5.4)

            var body = new byte[10_500];
            new Random(11).NextBytes(body);
            var result = await a.SendMessageAsync("application/octet-stream", body, cancellationToken: Ct).WaitAsync(Bound, Ct);
            Assert.True(result.IsSuccess, result.ToString());
            Assert.Equal(11, result.Chunks);
            Assert.Equal(body.Length, result.BytesSent);

            var received = await bobHandler.FirstReceived.Task.WaitAsync(Bound, Ct);
            Assert.Equal(result.MessageId, received.MessageId);
            Assert.Equal(body, bobHandler.BodyOf(received.MessageId));
            // From-Path at Bob: the relay hops, then Alice's own URI last (RFC 4976 §7.2).
            Assert.EndsWith(a.LocalUri.ToString(), received.FromPath, StringComparison.Ordinal);
            Assert.Contains($"127.0.0.1:{relay.Port}", received.FromPath, StringComparison.Ordinal);

            // And back the other way, one chunk.
            var reply = await b.SendMessageAsync("text/plain", "got it"u8.ToArray(), cancellationToken: Ct).WaitAsync(Bound, Ct);
            Assert.True(reply.IsSuccess, reply.ToString());
            var back = await aliceHandler.FirstReceived.Task.WaitAsync(Bound, Ct);
            Assert.Equal("got it"u8.ToArray(), aliceHandler.BodyOf(back.MessageId));
        }
        finally
        {
            output.WriteLine(relay.Log);
        }
    }

    [Fact]
    public async Task Wrong_password_is_refused_by_kamailio()
    {
        await using var relay = await KamailioMsrpRelay.StartAsync(User, Password, Ct);
        await using var endpoint = NewEndpoint();
        var session = endpoint.CreateSession(new RecordingHandler());
        var error = await Assert.ThrowsAsync<MsrpSessionException>(() => AuthAsync(endpoint, session, relay.Uri, "wrong"));
        Assert.Equal(MsrpStatusCodes.Unauthorized, error.StatusCode);
    }
}
