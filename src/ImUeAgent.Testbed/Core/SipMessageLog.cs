// SPDX-License-Identifier: MIT
using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Testbed.Core;

/// <summary>
/// Every SIP message the core sees, in and out, as one JSON object per line, so tests and people can assert on
/// headers:
/// <code>{"time":"…Z","direction":"in"|"out"|"drop","transport":"udp"|"tcp","remote":"127.0.0.1:5062",
///  "startLine":"REGISTER sip:… SIP/2.0","headers":[["Via","SIP/2.0/UDP …"],…],"bodyLength":0}</code>
/// "drop" is a response withheld by the `drop next` fault; a message that failed to parse is logged with "error"
/// instead of headers. Header values are logged as they are on the wire: SIP carries no K, OPc, CK, IK or RES
/// (only digest hashes, nonces and AUTS), and the core writes nothing else here. Thread-safe.
/// </summary>
internal sealed class SipMessageLog : IDisposable
{
    private readonly Lock _gate = new();
    private readonly TextWriter _writer;
    private readonly TimeProvider _time;
    private readonly bool _ownsWriter;
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);

    public SipMessageLog(TextWriter writer, TimeProvider time, bool ownsWriter)
    {
        _writer = writer;
        _time = time;
        _ownsWriter = ownsWriter;
    }

    public static SipMessageLog ToFile(string path, TimeProvider time)
    {
        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        return new SipMessageLog(new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true }, time, ownsWriter: true);
    }

    public void Received(SipTransportKind transport, EndPoint remote, SipMessage message) => Write("in", transport, remote, message, null);

    public void Sent(SipTransportKind transport, EndPoint remote, SipMessage message) => Write("out", transport, remote, message, null);

    public void Dropped(SipTransportKind transport, EndPoint remote, SipMessage message) => Write("drop", transport, remote, message, null);

    public void Unparsable(SipTransportKind transport, EndPoint remote, SipParseError error, SipHeaderId header, int length) =>
        Write("in", transport, remote, null, (SipRejection.Describe(error, header == SipHeaderId.Unknown ? null : SipHeaderNames.GetName(header)), length));

    public void Dispose()
    {
        if (_ownsWriter)
        {
            lock (_gate)
            {
                _writer.Dispose();
            }
        }
    }

    private void Write(string direction, SipTransportKind transport, EndPoint remote, SipMessage? message, (string Text, int Length)? error)
    {
        lock (_gate)
        {
            _buffer.ResetWrittenCount();
            // Relaxed escaping keeps quotes and '+' readable in header values; the output is still valid JSON (no HTML here).
            using (var json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                json.WriteStartObject();
                json.WriteString("time", _time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
                json.WriteString("direction", direction);
                json.WriteString("transport", transport == SipTransportKind.Udp ? "udp" : "tcp");
                json.WriteString("remote", remote.ToString());
                if (message is null)
                {
                    json.WriteString("error", error!.Value.Text);
                    json.WriteNumber("length", error.Value.Length);
                }
                else
                {
                    json.WriteString("startLine", Encoding.UTF8.GetString(message.StartLine));
                    json.WriteStartArray("headers");
                    foreach (var header in message.Headers)
                    {
                        json.WriteStartArray();
                        json.WriteStringValue(header.Name);
                        json.WriteStringValue(header.Value);
                        json.WriteEndArray();
                    }

                    json.WriteEndArray();
                    json.WriteNumber("bodyLength", message.Body.Length);
                    // The whole message's size on the wire (as received, or as sent): the 1300-byte pager rule.
                    json.WriteNumber("length", message.Length);
                }

                json.WriteEndObject();
            }

            _writer.WriteLine(Encoding.UTF8.GetString(_buffer.WrittenSpan));
            _writer.Flush();
        }
    }
}
