// SPDX-License-Identifier: MIT
using System.Buffers;
using ImUeAgent.Msrp.Framing;

namespace ImUeAgent.Msrp.Sessions;

/// <summary>Per-session settings (plain record: no configuration binding in libraries).</summary>
public sealed record MsrpSessionOptions
{
    /// <summary>Largest chunk body this side sends.</summary>
    public int ChunkSize { get; init; } = 64 * 1024;

    /// <summary>
    /// RFC 4975 §7.1.1: chunks over 2048 octets must be interruptible. Such chunks are sent with an open Byte-Range end
    /// ('*') and cut short with '+' when another message, a response or a REPORT is waiting for the connection.
    /// </summary>
    public int InterruptibleThreshold { get; init; } = 2048;

    /// <summary>Granularity at which a long chunk checks whether it must yield.</summary>
    public int WritePieceSize { get; init; } = 16 * 1024;

    /// <summary>Largest message accepted; bigger ones are answered 413 and the session stays up.</summary>
    public long MaxMessageSize { get; init; } = 64L * 1024 * 1024;

    /// <summary>RFC 4975 §7.1.1: a sender that sees no response within 30 s treats the transaction as failed (408).</summary>
    public TimeSpan TransactionTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Media types accepted (a=accept-types); "*" accepts all; "type/*" a whole type. Others get 415.</summary>
    public IReadOnlyList<string> AcceptTypes { get; init; } = ["*"];

    /// <summary>Send a bodiless SEND right after connecting so the passive side can bind the session (RFC 4975 §5.4).</summary>
    public bool SendBindingSend { get; init; } = true;

    /// <summary>
    /// A message being received whose chunks stop coming for this long is given up: its sink is aborted
    /// (<see cref="MsrpIncompleteReason.TimedOut"/>), a failure REPORT with 408 goes back when its Failure-Report
    /// allows (RFC 4975 §7.1.2), and later chunks of it are answered 413. Zero or infinite disables it.
    /// </summary>
    public TimeSpan IncomingMessageTimeout { get; init; } = TimeSpan.FromSeconds(120);
}

/// <summary>Per-message send settings.</summary>
public sealed record MsrpSendOptions
{
    public MsrpFailureReport FailureReport { get; init; } = MsrpFailureReport.Yes;

    public bool SuccessReport { get; init; }

    /// <summary>Message-ID to use (an ident); a random one when null.</summary>
    public string? MessageId { get; init; }
}

/// <summary>How a send ended.</summary>
public enum MsrpSendOutcome
{
    /// <summary>All chunks were accepted (or, with Failure-Report no/partial, written without a failure response).</summary>
    Delivered,
    /// <summary>The receiver answered a chunk with an error status.</summary>
    Rejected,
    /// <summary>No response within the transaction timeout (RFC 4975 §7.1.1: 408).</summary>
    TimedOut,
    /// <summary>The connection closed before the message was through.</summary>
    ConnectionLost,
    /// <summary>The caller cancelled; the chunk in progress ended with '#'.</summary>
    Cancelled,
    /// <summary>
    /// A REPORT with an error Status arrived for the message while it was being sent (RFC 4975 §7.1.2); the status
    /// code is the REPORT's (408 when the receiver gave up waiting for the rest).
    /// </summary>
    FailureReported,
}

/// <summary>The result of <see cref="MsrpSession.SendMessageAsync(string, ReadOnlyMemory{byte}, MsrpSendOptions?, CancellationToken)"/>.</summary>
public readonly record struct MsrpSendResult(MsrpSendOutcome Outcome, int StatusCode, string MessageId, long BytesSent, int Chunks)
{
    public bool IsSuccess => Outcome == MsrpSendOutcome.Delivered;
}

/// <summary>A REPORT received for a message this side sent (RFC 4975 §7.1.2).</summary>
public sealed record MsrpReport(string MessageId, ByteRange? ByteRange, int StatusCode, string Comment)
{
    /// <summary>A success report (2xx); anything else is a failure report for the message (RFC 4975 §7.1.2).</summary>
    public bool IsSuccess => MsrpStatusCodes.IsSuccess(StatusCode);
}

/// <summary>Why a received message did not complete.</summary>
public enum MsrpIncompleteReason
{
    /// <summary>The sender ended a chunk with '#'.</summary>
    Aborted,
    /// <summary>The connection closed mid-message (possibly mid-chunk).</summary>
    ConnectionLost,
    /// <summary>The message grew beyond the size limit (413 sent).</summary>
    TooLarge,
    /// <summary>The sink failed to take the data.</summary>
    SinkFailed,
    /// <summary>The session was closed locally.</summary>
    SessionClosed,
    /// <summary>No chunk of the message arrived for <see cref="MsrpSessionOptions.IncomingMessageTimeout"/>.</summary>
    TimedOut,
}

/// <summary>
/// Where a received message's bytes go, incrementally and with offsets, so a large message never sits in memory.
/// Chunks can arrive out of order or overlap: a write at an offset may repeat bytes already written there.
/// </summary>
public interface IMsrpMessageSink
{
    /// <summary>Body bytes for zero-based <paramref name="offset"/>. The data is only valid during the call.</summary>
    ValueTask WriteAsync(long offset, ReadOnlySequence<byte> data, CancellationToken cancellationToken);

    /// <summary>
    /// All <paramref name="length"/> bytes are in. Returns the status for the final transaction response: 200 once
    /// the message is stored (DESIGN: a received message is on disk before it is acknowledged), or an error code.
    /// </summary>
    ValueTask<int> CompleteAsync(long length, CancellationToken cancellationToken);

    /// <summary>The message will not complete; discard what was written.</summary>
    ValueTask AbortAsync(MsrpIncompleteReason reason, CancellationToken cancellationToken);
}

/// <summary>What the application decides when the first chunk of a new message arrives.</summary>
public readonly struct MsrpReceiveDecision
{
    private MsrpReceiveDecision(IMsrpMessageSink? sink, int status)
    {
        Sink = sink;
        StatusCode = status;
    }

    public IMsrpMessageSink? Sink { get; }

    public int StatusCode { get; }

    public static MsrpReceiveDecision Accept(IMsrpMessageSink sink) => new(sink ?? throw new ArgumentNullException(nameof(sink)), MsrpStatusCodes.Ok);

    /// <summary>Refuse with 403, 413, 415 or another error status; later chunks of this message get the same answer.</summary>
    public static MsrpReceiveDecision Reject(int statusCode) =>
        statusCode is >= 400 and <= 999 ? new(null, statusCode) : throw new ArgumentOutOfRangeException(nameof(statusCode));
}

/// <summary>Application callbacks of a session. Called on the connection's read loop: keep them short.</summary>
public interface IMsrpSessionHandler
{
    /// <summary>First chunk of a new message: supply a sink or reject.</summary>
    MsrpReceiveDecision OnMessageStarted(MsrpSession session, MsrpIncomingMessage message);

    /// <summary>The sink completed with 200 and the response went out.</summary>
    void OnMessageReceived(MsrpSession session, MsrpIncomingMessage message)
    {
    }

    /// <summary>A message will not complete (aborted, connection lost, too large).</summary>
    void OnMessageIncomplete(MsrpSession session, MsrpIncomingMessage message, MsrpIncompleteReason reason)
    {
    }

    /// <summary>
    /// A REPORT arrived (never answered, RFC 4975 §7.1.2). A failure report (<see cref="MsrpReport.IsSuccess"/> false)
    /// for a message still being sent also ends that send with <see cref="MsrpSendOutcome.FailureReported"/>.
    /// </summary>
    void OnReport(MsrpSession session, MsrpReport report)
    {
    }

    /// <summary>The session's connection closed.</summary>
    void OnClosed(MsrpSession session)
    {
    }
}

/// <summary>A message being received: identity, type, size so far. Its bytes went to the sink.</summary>
public sealed class MsrpIncomingMessage
{
    private const int StateIdle = 0;
    private const int StateInSink = 1;
    private const int StateAbortRequested = 2;
    private const int StateFinished = 3;

    private readonly RangeSet _received = new();
    private long _lastActivity;
    private int _state;

    internal MsrpIncomingMessage(string messageId, string contentType, long? totalLength, IReadOnlyList<KeyValuePair<string, string>> headers, bool successReport, string fromPath)
    {
        MessageId = messageId;
        ContentType = contentType;
        TotalLength = totalLength;
        Headers = headers;
        SuccessReport = successReport;
        FromPath = fromPath;
    }

    public string MessageId { get; }

    /// <summary>Content-Type of the first chunk seen (empty if none).</summary>
    public string ContentType { get; }

    /// <summary>Total from Byte-Range, or learnt from the last chunk; null while unknown.</summary>
    public long? TotalLength { get; internal set; }

    /// <summary>Distinct bytes received so far.</summary>
    public long BytesReceived => _received.Covered;

    /// <summary>Headers of the first chunk other than the MSRP transport ones (Content-ID, Content-Disposition, …).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    public bool SuccessReport { get; }

    /// <summary>From-Path of the first chunk (the way back for REPORTs).</summary>
    public string FromPath { get; }

    internal IMsrpMessageSink? Sink { get; set; }

    internal int RejectStatus { get; set; }

    /// <summary>Failure-Report of the latest chunk: whether a failure REPORT may go back (RFC 4975 §7.1.2).</summary>
    internal MsrpFailureReport FailureReport { get; set; } = MsrpFailureReport.Yes;

    /// <summary><see cref="TimeProvider.GetTimestamp"/> of the latest chunk or body bytes; drives the inactivity timeout.</summary>
    internal long LastActivity
    {
        get => Volatile.Read(ref _lastActivity);
        set => Volatile.Write(ref _lastActivity, value);
    }

    /// <summary>The message completed or was given up; nothing more goes to its sink.</summary>
    internal bool Finished => Volatile.Read(ref _state) == StateFinished;

    /// <summary>Why a finish requested while the read loop was inside the sink should abort the message.</summary>
    internal MsrpIncompleteReason PendingAbortReason { get; private set; }

    /// <summary>The read loop is about to call the sink; false when the message was finished (e.g. timed out).</summary>
    internal bool TryEnterSink() => Interlocked.CompareExchange(ref _state, StateInSink, StateIdle) == StateIdle;

    /// <summary>The sink call returned; false when a finish was requested meanwhile (see <see cref="PendingAbortReason"/>).</summary>
    internal bool ExitSink()
    {
        if (Interlocked.CompareExchange(ref _state, StateIdle, StateInSink) == StateInSink)
        {
            return true;
        }

        return Interlocked.CompareExchange(ref _state, StateFinished, StateAbortRequested) != StateAbortRequested;
    }

    /// <summary>The read loop (or the closed connection) finishes the message; false if it was finished already.</summary>
    internal bool TryFinish() => Interlocked.Exchange(ref _state, StateFinished) != StateFinished;

    /// <summary>The inactivity timeout takes the message only while no sink call is running.</summary>
    internal bool TryFinishIdle() => Interlocked.CompareExchange(ref _state, StateFinished, StateIdle) == StateIdle;

    /// <summary>
    /// From outside the read loop (session closed): finishes now when idle (true), or leaves the abort to the read
    /// loop when it is inside the sink (false; <see cref="ExitSink"/> reports it).
    /// </summary>
    internal bool RequestFinish(MsrpIncompleteReason reason)
    {
        while (true)
        {
            int state = Volatile.Read(ref _state);
            switch (state)
            {
                case StateIdle when Interlocked.CompareExchange(ref _state, StateFinished, StateIdle) == StateIdle:
                    return true;
                case StateInSink:
                    PendingAbortReason = reason;
                    if (Interlocked.CompareExchange(ref _state, StateAbortRequested, StateInSink) == StateInSink)
                    {
                        return false;
                    }

                    break;
                case StateAbortRequested:
                case StateFinished:
                    return false;
            }
        }
    }

    internal RangeSet Received => _received;
}

/// <summary>A set of disjoint [start, end) byte intervals; tracks out-of-order and overlapping chunks.</summary>
internal sealed class RangeSet
{
    private readonly List<(long Start, long End)> _ranges = [];

    public long Covered { get; private set; }

    public int Count => _ranges.Count;

    public void Add(long start, long end)
    {
        if (end <= start)
        {
            return;
        }

        int i = 0;
        while (i < _ranges.Count && _ranges[i].End < start)
        {
            i++;
        }

        long s = start;
        long e = end;
        while (i < _ranges.Count && _ranges[i].Start <= e)
        {
            s = Math.Min(s, _ranges[i].Start);
            e = Math.Max(e, _ranges[i].End);
            Covered -= _ranges[i].End - _ranges[i].Start;
            _ranges.RemoveAt(i);
        }

        _ranges.Insert(i, (s, e));
        Covered += e - s;
    }

    public bool CoversPrefix(long length) =>
        length == 0 || (_ranges.Count > 0 && _ranges[0].Start == 0 && _ranges[0].End >= length);
}
