// SPDX-License-Identifier: MIT
using ImUeAgent.Modem.At.Urc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImUeAgent.Modem.At;

/// <summary>An unsolicited result code as received, with the lines that followed it when the subscription asked.</summary>
public sealed class AtUrc
{
    internal AtUrc(string line, IReadOnlyList<string> trailingLines, DateTimeOffset receivedAt)
    {
        Line = line;
        TrailingLines = trailingLines;
        ReceivedAt = receivedAt;
    }

    public string Line { get; }

    /// <summary>Lines that belong to this URC (27.005 +CMT: the PDU on the next line).</summary>
    public IReadOnlyList<string> TrailingLines { get; }

    public DateTimeOffset ReceivedAt { get; }

    /// <summary>The name before ':' ("+CEREG"), or the whole line when it has none ("RING").</summary>
    public string Name
    {
        get
        {
            var length = AtValueReader.NameLength(Line);
            return length < 0 ? Line : Line[..length].TrimEnd(' ');
        }
    }

    /// <summary>The values after the name, through the same grammar as solicited answers.</summary>
    public AtValueReader GetValues() => AtValueReader.ForLine(Line, out _);

    public override string ToString() => Line;
}

/// <summary>
/// Routes URCs to subscribers by prefix. Handlers run on the channel's reader loop (STYLE.md §8: dispatched inside the
/// reader loop, never to the awaiting caller), so they must be quick and must not wait for an AT answer.
/// </summary>
public sealed class AtUrcRouter
{
    private readonly Lock _gate = new();
    private readonly ILogger _logger;
    private Subscription[] _subscriptions = [];
    private Subscription? _collecting;
    private List<string>? _collected;
    private string? _collectingLine;
    private DateTimeOffset _collectingSince;

    public AtUrcRouter(ILogger? logger = null)
    {
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Raised for URCs no subscription matched (after logging them).</summary>
    public event Action<AtUrc>? Unhandled;

    /// <summary>
    /// Calls <paramref name="handler"/> for every URC starting with <paramref name="prefix"/> (same rule as command
    /// prefixes: "+CEREG" matches "+CEREG: 1" but not "+CEREGX: 1"). With <paramref name="trailingLines"/> &gt; 0 the
    /// next lines are delivered with it (27.005 +CMT header + PDU). Dispose the result to unsubscribe.
    /// </summary>
    public IDisposable Subscribe(string prefix, Action<AtUrc> handler, int trailingLines = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentOutOfRangeException.ThrowIfNegative(trailingLines);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(trailingLines, 16);
        var subscription = new Subscription(this, prefix, handler, trailingLines);
        lock (_gate)
        {
            _subscriptions = [.. _subscriptions, subscription];
        }

        return subscription;
    }

    /// <summary>True when a subscription would take <paramref name="line"/>.</summary>
    public bool IsSubscribed(string line)
    {
        foreach (var subscription in Volatile.Read(ref _subscriptions))
        {
            if (AtCommand.LineHasPrefix(line, subscription.Prefix))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True while a URC waits for its trailing lines; the channel then gives the next line here first.</summary>
    internal bool IsCollecting => _collecting is not null;

    /// <summary>Takes a trailing line of the URC being collected; dispatches it when complete.</summary>
    internal void Collect(string line)
    {
        if (_collecting is not { } subscription || _collected is null || _collectingLine is null)
        {
            return;
        }

        _collected.Add(line);
        if (_collected.Count >= subscription.TrailingLines)
        {
            FlushCollecting();
        }
    }

    /// <summary>Delivers a URC still waiting for trailing lines with what it has (a final result interrupted it).</summary>
    internal void FlushCollecting()
    {
        if (_collecting is not { } subscription || _collectingLine is null)
        {
            return;
        }

        var urc = new AtUrc(_collectingLine, _collected ?? [], _collectingSince);
        _collecting = null;
        _collected = null;
        _collectingLine = null;
        Invoke(subscription, urc);
    }

    /// <summary>Dispatches one URC line on the caller's (the reader loop's) thread.</summary>
    internal void Dispatch(string line, DateTimeOffset receivedAt)
    {
        var matched = false;
        AtUrc? urc = null;
        foreach (var subscription in Volatile.Read(ref _subscriptions))
        {
            if (!AtCommand.LineHasPrefix(line, subscription.Prefix))
            {
                continue;
            }

            matched = true;
            if (subscription.TrailingLines > 0)
            {
                // The lines after it belong to this URC: the first such subscription decides.
                FlushCollecting();
                _collecting = subscription;
                _collected = new List<string>(subscription.TrailingLines);
                _collectingLine = line;
                _collectingSince = receivedAt;
                continue;
            }

            urc ??= new AtUrc(line, [], receivedAt);
            Invoke(subscription, urc);
        }

        if (!matched)
        {
            urc = new AtUrc(line, [], receivedAt);
            _logger.UrcUnhandled(urc.Name);
            try
            {
                Unhandled?.Invoke(urc);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                _logger.UrcHandlerFailed(urc.Name, exception);
            }
        }
    }

    /// <summary>Logs a URC that a typed parser could not read (what and where, no exception).</summary>
    internal void ReportMalformed(AtUrc urc, AtUrcParseError error) => _logger.UrcMalformed(urc.Name, error, urc.Line);

    private void Invoke(Subscription subscription, AtUrc urc)
    {
        try
        {
            subscription.Handler(urc);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // A faulty subscriber must not stop the reader loop (and with it every command).
            _logger.UrcHandlerFailed(urc.Name, exception);
        }
    }

    private void Remove(Subscription subscription)
    {
        lock (_gate)
        {
            _subscriptions = [.. _subscriptions.Where(s => !ReferenceEquals(s, subscription))];
        }
    }

    private sealed class Subscription(AtUrcRouter router, string prefix, Action<AtUrc> handler, int trailingLines) : IDisposable
    {
        public string Prefix { get; } = prefix;

        public Action<AtUrc> Handler { get; } = handler;

        public int TrailingLines { get; } = trailingLines;

        public void Dispose() => router.Remove(this);
    }
}
