// SPDX-License-Identifier: MIT
using System.Net;
using System.Text;
using ImUeAgent.Im.Settings;
using Microsoft.Extensions.Time.Testing;

namespace ImUeAgent.Im.Tests.Settings;

public sealed class DeferredListClientTests : IAsyncDisposable
{
    private const string Xui = "sip:alice@ims.test";
    private const string MediaType = "application/vnd.oma.im.deferred-list+xml";

    private readonly CannedHttpServer _server = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    private DeferredListClient Client(int maxBodyBytes = DeferredListDocument.DefaultMaxBytes, IPAddress? local = null) =>
        new(new DeferredListClientSettings { XcapRoot = _server.Root, MaxBodyBytes = maxBodyBytes, LocalAddress = local, Timeout = TimeSpan.FromSeconds(20) }, _time);

    private static byte[] Document => Encoding.UTF8.GetBytes(DeferredListDocumentTests.TestbedDocument);

    private static async Task<DeferredListException> FailAsync(DeferredListClient client)
    {
        return await Assert.ThrowsAsync<DeferredListException>(() => client.GetAsync(Xui, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task GetsTheUsersDocumentAndParsesIt()
    {
        _server.Responses.Enqueue(CannedHttpServer.Response(200, "OK", MediaType, Document, "ETag: \"0123456789abcdef\"\r\n"));
        using DeferredListClient client = Client();
        DeferredList list = await client.GetAsync(Xui, TestContext.Current.CancellationToken);
        Assert.Equal(2, list.Messages.Count);
        Assert.Equal("sip:5f0c2a9e41d7b38c6a1e9d02@im.ims.test", list.Messages[0].HistoryReference);
        Assert.Equal(DeferredMessageMode.LargeMessage, list.Messages[1].Mode);

        string head = await _server.NextRequestAsync();
        string[] lines = head.Split("\r\n");
        // RFC 4825 §6: root / AUID / users / XUI (one percent-encoded segment) / document.
        Assert.Equal("GET /services/org.openmobilealliance.deferred-list/users/sip%3Aalice%40ims.test/deferred-list HTTP/1.1", lines[0]);
        Assert.Contains(lines, l => l.Equals("Accept: " + MediaType, StringComparison.OrdinalIgnoreCase));
        Assert.Contains("X-3GPP-Intended-Identity: \"sip:alice@ims.test\"", lines);
        Assert.Contains("User-Agent: IM-client/OMA1.0 imue-agent/0.1.0", lines);
        Assert.Contains(lines, l => l.StartsWith("Host: 127.0.0.1:", StringComparison.Ordinal));
    }

    [Fact]
    public void TheDocumentUriEncodesTheXuiAsOneSegment()
    {
        using var client = new DeferredListClient(new DeferredListClientSettings { XcapRoot = new Uri("http://xcap.ims.test:8080/services/") });
        Assert.Equal("http://xcap.ims.test:8080/services/org.openmobilealliance.deferred-list/users/tel%3A%2B15550100/deferred-list",
            client.DocumentUri("tel:+15550100").AbsoluteUri);
    }

    [Fact]
    public async Task ContentTypeParametersAndCaseAreAccepted()
    {
        _server.Responses.Enqueue(CannedHttpServer.Response(200, "OK", "Application/VND.oma.im.deferred-list+xml; charset=utf-8", Document));
        using DeferredListClient client = Client(local: IPAddress.Loopback);
        Assert.Equal(2, (await client.GetAsync(Xui, TestContext.Current.CancellationToken)).Messages.Count);
    }

    [Theory]
    [InlineData(404, "Not Found")]
    [InlineData(403, "Forbidden")]
    [InlineData(500, "Internal Server Error")]
    [InlineData(301, "Moved Permanently")]
    public async Task StatusOtherThan200IsHttpStatus(int status, string reason)
    {
        _server.Responses.Enqueue(CannedHttpServer.Response(status, reason, "text/plain", "no\n"u8.ToArray(),
            status == 301 ? "Location: http://127.0.0.1:1/elsewhere\r\n" : null));
        using DeferredListClient client = Client();
        DeferredListException e = await FailAsync(client);
        Assert.Equal(DeferredListError.HttpStatus, e.Reason);
        Assert.Equal(status, e.StatusCode);
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("application/xml")]
    [InlineData("text/plain")]
    [InlineData(null)]
    public async Task WrongContentTypeIsRefused(string? contentType)
    {
        _server.Responses.Enqueue(CannedHttpServer.Response(200, "OK", contentType, Document));
        using DeferredListClient client = Client();
        DeferredListException e = await FailAsync(client);
        Assert.Equal(DeferredListError.WrongContentType, e.Reason);
    }

    [Fact]
    public async Task MalformedDocumentSaysWhere()
    {
        _server.Responses.Enqueue(CannedHttpServer.Response(200, "OK", MediaType, "<history-list xmlns=\"urn:oma:xml:im:history-list\">\n<history>\n</history-list>"u8.ToArray()));
        using DeferredListClient client = Client();
        DeferredListException e = await FailAsync(client);
        Assert.Equal(DeferredListError.MalformedXml, e.Reason);
        Assert.Equal(3, e.Line);
        Assert.Contains("line 3", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongRootIsRefused()
    {
        _server.Responses.Enqueue(CannedHttpServer.Response(200, "OK", MediaType, "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"/>"u8.ToArray()));
        using DeferredListClient client = Client();
        Assert.Equal(DeferredListError.UnexpectedRootElement, (await FailAsync(client)).Reason);
    }

    [Fact]
    public async Task EmptyBodyIsRefused()
    {
        _server.Responses.Enqueue(CannedHttpServer.Response(200, "OK", MediaType, []));
        using DeferredListClient client = Client();
        Assert.Equal(DeferredListError.EmptyBody, (await FailAsync(client)).Reason);
    }

    [Fact]
    public async Task BodyOverTheCapIsRefusedByContentLength()
    {
        _server.Responses.Enqueue(CannedHttpServer.Response(200, "OK", MediaType, Document));
        using DeferredListClient client = Client(maxBodyBytes: Document.Length - 1);
        DeferredListException e = await FailAsync(client);
        Assert.Equal(DeferredListError.BodyTooLarge, e.Reason);
    }

    [Fact]
    public async Task BodyOverTheCapIsRefusedWhileReadingWithoutContentLength()
    {
        // Close-delimited body (RFC 9112 §6.3 rule 8): no Content-Length to check up front.
        byte[] head = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: " + MediaType + "\r\nConnection: close\r\n\r\n");
        byte[] body = new byte[100_000];
        body.AsSpan().Fill((byte)' ');
        _server.Responses.Enqueue([.. head, .. body]);
        using DeferredListClient client = Client(maxBodyBytes: 50_000);
        Assert.Equal(DeferredListError.BodyTooLarge, (await FailAsync(client)).Reason);
    }

    [Fact]
    public async Task ConnectionClosedEarlyIsConnectionFailed()
    {
        _server.Responses.Enqueue(CannedHttpServer.Response(200, "OK", MediaType, Document.AsSpan(0, 40).ToArray(), contentLength: Document.Length));
        using DeferredListClient client = Client();
        Assert.Equal(DeferredListError.ConnectionFailed, (await FailAsync(client)).Reason);
    }

    [Fact]
    public async Task GarbageInsteadOfHttpIsConnectionFailed()
    {
        _server.Responses.Enqueue("SIP/2.0 200 OK\r\n\r\n"u8.ToArray());
        using DeferredListClient client = Client();
        Assert.Equal(DeferredListError.ConnectionFailed, (await FailAsync(client)).Reason);
    }

    [Fact]
    public async Task RefusedConnectionIsConnectionFailed()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var client = new DeferredListClient(new DeferredListClientSettings { XcapRoot = new Uri("http://127.0.0.1:" + port + "/services") }, _time);
        Assert.Equal(DeferredListError.ConnectionFailed, (await FailAsync(client)).Reason);
    }

    [Fact]
    public async Task NoAnswerTimesOutOnTheTimeProvider()
    {
        _server.Responses.Enqueue(null);
        using DeferredListClient client = Client();
        Task<DeferredList> get = client.GetAsync(Xui, TestContext.Current.CancellationToken);
        await _server.NextRequestAsync();
        _time.Advance(TimeSpan.FromSeconds(19));
        await Task.Yield();
        Assert.False(get.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(1));
        DeferredListException e = await Assert.ThrowsAsync<DeferredListException>(() => get.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        Assert.Equal(DeferredListError.Timeout, e.Reason);
    }

    [Fact]
    public async Task CallerCancellationIsNotATimeout()
    {
        _server.Responses.Enqueue(null);
        using DeferredListClient client = Client();
        using var cts = new CancellationTokenSource();
        Task<DeferredList> get = client.GetAsync(Xui, cts.Token);
        await _server.NextRequestAsync();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => get.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("")]
    [InlineData("alice@ims.test")]
    [InlineData("sip:alice@ims.test\r\nX: y")]
    public async Task BadXuiIsRefusedBeforeAnyRequest(string xui)
    {
        using DeferredListClient client = Client();
        DeferredListException e = await Assert.ThrowsAsync<DeferredListException>(() => client.GetAsync(xui, TestContext.Current.CancellationToken));
        Assert.Equal(DeferredListError.InvalidXui, e.Reason);
    }

    [Fact]
    public void BadSettingsAreRefused()
    {
        Assert.Throws<ArgumentException>(() => new DeferredListClient(new DeferredListClientSettings { XcapRoot = new Uri("ftp://x/services") }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeferredListClient(new DeferredListClientSettings { XcapRoot = _server.Root, MaxBodyBytes = 0 }));
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
