// SPDX-License-Identifier: MIT
using System.Threading.Channels;
using ImUeAgent.Sip.Transport;

namespace ImUeAgent.Sip.Tests.Transport;

/// <summary>Collects what a transport delivers; waits are bounded.</summary>
internal sealed class InboundCollector
{
    private readonly Channel<ReceivedSipMessage> _messages = Channel.CreateUnbounded<ReceivedSipMessage>();

    public InboundCollector() => Inbound = new SipInbound(m => _messages.Writer.TryWrite(m));

    public SipInbound Inbound { get; }

    public async Task<ReceivedSipMessage> NextAsync() =>
        await _messages.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

    public bool TryNext(out ReceivedSipMessage? message) => _messages.Reader.TryRead(out message);
}
