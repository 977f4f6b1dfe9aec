// SPDX-License-Identifier: MIT
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Xml;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Testbed.Im;

/// <summary>Why an XCAP (HTTP/1.1) request head was refused (STYLE.md §4).</summary>
internal enum XcapRequestError
{
    None,
    Incomplete,
    HeadTooLarge,
    BadRequestLine,
    NotHttp11,
}

/// <summary>The request line of an HTTP/1.1 request head (RFC 9112 §3), parsed by a pure function.</summary>
internal readonly record struct XcapRequestHead(string Method, string Target)
{
    public const int MaxHeadBytes = 8 * 1024;

    public static XcapRequestError TryParse(ReadOnlySpan<byte> input, out XcapRequestHead head, out int consumed)
    {
        head = default;
        consumed = 0;
        var end = input.IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            return input.Length >= MaxHeadBytes ? XcapRequestError.HeadTooLarge : XcapRequestError.Incomplete;
        }

        if (end + 4 > MaxHeadBytes)
        {
            return XcapRequestError.HeadTooLarge;
        }

        var lineEnd = input.IndexOf("\r\n"u8);
        var line = input[..lineEnd];
        var first = line.IndexOf((byte)' ');
        var last = line.LastIndexOf((byte)' ');
        if (first <= 0 || last <= first + 1)
        {
            return XcapRequestError.BadRequestLine;
        }

        foreach (var b in line)
        {
            if (b < 0x21 && b != (byte)' ' || b == 0x7f)
            {
                return XcapRequestError.BadRequestLine;
            }
        }

        if (!line[(last + 1)..].SequenceEqual("HTTP/1.1"u8) && !line[(last + 1)..].SequenceEqual("HTTP/1.0"u8))
        {
            return XcapRequestError.NotHttp11;
        }

        head = new XcapRequestHead(Encoding.ASCII.GetString(line[..first]), Encoding.ASCII.GetString(line[(first + 1)..last]));
        consumed = end + 4;
        return XcapRequestError.None;
    }
}

/// <summary>
/// A minimal XCAP server (RFC 4825) on loopback for the deferred-message metadata of 12.1.2: GET of
/// <c>/services/org.openmobilealliance.deferred-list/users/{XUI}/deferred-list</c> answers the user's document
/// (application/vnd.oma.im.deferred-list+xml). One request per connection (Connection: close); read-only.
/// </summary>
internal sealed class XcapServer : IAsyncDisposable
{
    public const string Auid = "org.openmobilealliance.deferred-list";

    public const string DocumentName = "deferred-list";

    public const string MediaType = "application/vnd.oma.im.deferred-list+xml";

    private readonly Socket _socket;
    private readonly Func<string, byte[]?> _document;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Task, byte> _connections = new();
    private Task _accept = Task.CompletedTask;

    private XcapServer(Socket socket, Func<string, byte[]?> document, ILogger logger)
    {
        _socket = socket;
        _document = document;
        _logger = logger;
        EndPoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>The XCAP root URI (RFC 4825 §6).</summary>
    public string Root => "http://" + (EndPoint.AddressFamily == AddressFamily.InterNetworkV6 ? "[" + EndPoint.Address + "]" : EndPoint.Address.ToString())
        + ":" + EndPoint.Port.ToString(CultureInfo.InvariantCulture) + "/services";

    public string DeferredListUrl(string impu) => Root + "/" + Auid + "/users/" + Uri.EscapeDataString(impu) + "/" + DocumentName;

    /// <summary>Listens; <paramref name="document"/> gives a user's document (null: no such user → 404).</summary>
    public static XcapServer Start(IPEndPoint listen, Func<string, byte[]?> document, ILogger logger)
    {
        var socket = new Socket(listen.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(listen);
            socket.Listen(16);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var server = new XcapServer(socket, document, logger);
        server._accept = server.AcceptLoopAsync();
        return server;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _socket.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }

                continue;
            }

            var task = ServeAsync(client);
            _connections[task] = 0;
            _ = task.ContinueWith(t => _connections.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using var connection = client;
        var remote = client.RemoteEndPoint?.ToString() ?? "?";
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            var buffer = new byte[XcapRequestHead.MaxHeadBytes];
            var length = 0;
            XcapRequestError error;
            XcapRequestHead head;
            while (true)
            {
                error = XcapRequestHead.TryParse(buffer.AsSpan(0, length), out head, out _);
                if (error != XcapRequestError.Incomplete)
                {
                    break;
                }

                var read = await client.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }

                length += read;
            }

            var (status, reason, contentType, body) = Answer(error, head);
            if (status != 200)
            {
                _logger.XcapRefused(remote, status.ToString(CultureInfo.InvariantCulture) + " " + (error != XcapRequestError.None ? error.ToString() : head.Method + " " + head.Target));
            }

            var etag = body.Length > 0 ? "\r\nETag: \"" + Convert.ToHexStringLower(SHA256.HashData(body)[..8]) + "\"" : string.Empty;
            var response = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
                $"HTTP/1.1 {status} {reason}\r\nContent-Type: {contentType}\r\nContent-Length: {body.Length}{etag}\r\nConnection: close\r\n\r\n"));
            await client.SendAsync(response, SocketFlags.None, timeout.Token).ConfigureAwait(false);
            if (head.Method != "HEAD")
            {
                await client.SendAsync(body, SocketFlags.None, timeout.Token).ConfigureAwait(false);
            }

            client.Shutdown(SocketShutdown.Both);
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The peer left or the server stops.
        }
    }

    private (int Status, string Reason, string ContentType, byte[] Body) Answer(XcapRequestError error, XcapRequestHead head)
    {
        const string text = "text/plain";
        if (error != XcapRequestError.None)
        {
            return error == XcapRequestError.HeadTooLarge ? (431, "Request Header Fields Too Large", text, "request head too large\n"u8.ToArray())
                : (400, "Bad Request", text, Encoding.ASCII.GetBytes(error + "\n"));
        }

        if (head.Method is not ("GET" or "HEAD"))
        {
            return (405, "Method Not Allowed", text, "only GET: the deferred list is read-only here\n"u8.ToArray());
        }

        var prefix = "/services/" + Auid + "/users/";
        var suffix = "/" + DocumentName;
        var path = head.Target.Split('?')[0];
        if (!path.StartsWith(prefix, StringComparison.Ordinal) || !path.EndsWith(suffix, StringComparison.Ordinal) || path.Length <= prefix.Length + suffix.Length)
        {
            return (404, "Not Found", text, "no such document\n"u8.ToArray());
        }

        var xui = Uri.UnescapeDataString(path[prefix.Length..^suffix.Length]);
        return _document(xui) is { } document ? (200, "OK", MediaType, document) : (404, "Not Found", text, "no such user\n"u8.ToArray());
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        await _accept.ConfigureAwait(false);
        await Task.WhenAll(_connections.Keys).ConfigureAwait(false);
        _stop.Dispose();
    }
}

/// <summary>
/// The deferred-message metadata document (12.1.2 / 12.2.2.8) in the OMA IM history-list schema
/// (urn:oma:xml:im:history-list, the namespace the deferred-list AUID uses): one &lt;history&gt; per stored message with
/// its history-reference (the 12.2.2.3 Message-ID), size, expiry, subject, date and a &lt;pager&gt; block with from, to
/// and auth-id (the asserted identity, absent for anonymous senders).
/// </summary>
internal static class DeferredListDocument
{
    public const string Namespace = "urn:oma:xml:im:history-list";

    public static byte[] Build(IReadOnlyList<DeferredMessage> messages)
    {
        using var output = new MemoryStream();
        using (var xml = XmlWriter.Create(output, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true }))
        {
            xml.WriteStartDocument();
            xml.WriteStartElement("history-list", Namespace);
            foreach (var message in messages)
            {
                xml.WriteStartElement("history", Namespace);
                xml.WriteAttributeString("mode", message.Mode == DeferredMode.Pager ? "pager" : "large-message");
                xml.WriteElementString("history-reference", Namespace, message.Id);
                xml.WriteElementString("size", Namespace, message.Size.ToString(CultureInfo.InvariantCulture));
                xml.WriteElementString("expiry", Namespace, message.ExpiresAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
                if (message.Subject is { } subject)
                {
                    xml.WriteElementString("subject", Namespace, subject);
                }

                xml.WriteElementString("date", Namespace, message.ReceivedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
                xml.WriteStartElement("pager", Namespace);
                xml.WriteElementString("time-stamp", Namespace, message.ReceivedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
                xml.WriteElementString("from", Namespace, message.From);
                xml.WriteElementString("to", Namespace, message.To);
                if (message.AssertedIdentity is { } identity)
                {
                    xml.WriteElementString("auth-id", Namespace, identity);
                }

                xml.WriteEndElement();
                xml.WriteElementString("content-type", Namespace, message.ContentType);
                xml.WriteEndElement();
            }

            xml.WriteEndElement();
            xml.WriteEndDocument();
        }

        return output.ToArray();
    }
}
