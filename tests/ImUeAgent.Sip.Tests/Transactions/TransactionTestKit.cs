// SPDX-License-Identifier: MIT
using System.Net;
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Transactions;
using ImUeAgent.Sip.Transport;
using Microsoft.Extensions.Time.Testing;

namespace ImUeAgent.Sip.Tests.Transactions;

/// <summary>A transaction layer on a fake clock with a sender that records what was sent and when.</summary>
internal sealed class TransactionTestKit : ISipSender, IDisposable
{
    public static readonly SipTransportAddress Udp = new(SipTransportKind.Udp, new IPEndPoint(IPAddress.Parse("192.0.2.10"), 5060));
    public static readonly SipTransportAddress Tcp = new(SipTransportKind.Tcp, new IPEndPoint(IPAddress.Parse("192.0.2.10"), 5060));
    private static readonly IPEndPoint Local = new(IPAddress.Parse("192.0.2.1"), 5060);

    private readonly DateTimeOffset _start;

    public TransactionTestKit(SipTimerSettings? timers = null)
    {
        Time = new FakeTimeProvider();
        _start = Time.GetUtcNow();
        Layer = new SipTransactionLayer(this, Time, timers);
    }

    public FakeTimeProvider Time { get; }

    public SipTransactionLayer Layer { get; }

    public List<(long Ms, SipMessage Message, SipTransportAddress To)> Sent { get; } = [];

    public Exception? FailSendsWith { get; set; }

    public long Now => (long)(Time.GetUtcNow() - _start).TotalMilliseconds;

    public ValueTask SendAsync(SipMessage message, SipTransportAddress destination, CancellationToken cancellationToken)
    {
        if (FailSendsWith is { } e)
        {
            return ValueTask.FromException(e);
        }

        Sent.Add((Now, message, destination));
        return ValueTask.CompletedTask;
    }

    /// <summary>Advances the clock in 10 ms steps up to <paramref name="untilMs"/> from the start.</summary>
    public void RunUntil(long untilMs)
    {
        while (Now < untilMs)
        {
            Time.Advance(TimeSpan.FromMilliseconds(Math.Min(10, untilMs - Now)));
        }
    }

    public void Receive(SipMessage message, SipTransportAddress from) =>
        Layer.OnMessageReceived(new ReceivedSipMessage(message, from, Local));

    public long[] SendTimes(Func<SipMessage, bool> which) => [.. Sent.Where(s => which(s.Message)).Select(s => s.Ms)];

    public static bool IsRequest(SipMessage m, SipMethod method) => m is SipRequest r && r.Method == method;

    public static bool IsStatus(SipMessage m, int status) => m is SipResponse r && r.StatusCode == status;

    public void Dispose() => Layer.Dispose();
}
