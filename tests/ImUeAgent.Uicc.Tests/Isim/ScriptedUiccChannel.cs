// SPDX-License-Identifier: MIT
namespace ImUeAgent.Uicc.Tests.Isim;

/// <summary>
/// A scripted <see cref="IUiccChannel"/>: each expected call (open with an AID, APDU on a session, APDU on the
/// basic channel) in order, with its canned answer. Closes are not scripted but recorded, so tests can assert that
/// every opened session was closed exactly once, whatever happened.
/// </summary>
internal sealed class ScriptedUiccChannel : IUiccChannel
{
    private readonly Queue<Step> _steps = new();

    public List<int> OpenedSessions { get; } = [];

    public List<int> ClosedSessions { get; } = [];

    public List<string> Sent { get; } = [];

    public ScriptedUiccChannel ExpectOpen(string aidHex, int session)
    {
        _steps.Enqueue(new Step(StepKind.Open, session, aidHex, null, null));
        return this;
    }

    public ScriptedUiccChannel Expect(int session, string apduHex, string responseHex)
    {
        _steps.Enqueue(new Step(StepKind.Transmit, session, apduHex, responseHex, null));
        return this;
    }

    public ScriptedUiccChannel ExpectBasic(string apduHex, string responseHex)
    {
        _steps.Enqueue(new Step(StepKind.Basic, null, apduHex, responseHex, null));
        return this;
    }

    /// <summary>The call matches, then <paramref name="action"/> runs instead of answering (throw, cancel…).</summary>
    public ScriptedUiccChannel ExpectThen(int session, string apduHex, Func<ReadOnlyMemory<byte>> action)
    {
        _steps.Enqueue(new Step(StepKind.Transmit, session, apduHex, null, action));
        return this;
    }

    public void AssertComplete() =>
        Assert.True(_steps.Count == 0, $"{_steps.Count} scripted step(s) not reached, next: {(_steps.Count > 0 ? _steps.Peek() : null)}");

    public ValueTask<int> OpenLogicalChannelAsync(ReadOnlyMemory<byte> aid, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var step = Next(StepKind.Open, null, Convert.ToHexString(aid.Span));
        OpenedSessions.Add(step.Session!.Value);
        return ValueTask.FromResult(step.Session.Value);
    }

    public ValueTask<ReadOnlyMemory<byte>> TransmitAsync(int session, ReadOnlyMemory<byte> commandApdu,
        CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Assert.True(OpenedSessions.Contains(session) && !ClosedSessions.Contains(session), $"session {session} is not open");
        return Answer(Next(StepKind.Transmit, session, Convert.ToHexString(commandApdu.Span)));
    }

    public ValueTask<ReadOnlyMemory<byte>> TransmitBasicAsync(ReadOnlyMemory<byte> commandApdu,
        CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Answer(Next(StepKind.Basic, null, Convert.ToHexString(commandApdu.Span)));
    }

    public ValueTask CloseLogicalChannelAsync(int session, CancellationToken cancellationToken)
    {
        ClosedSessions.Add(session);
        return ValueTask.CompletedTask;
    }

    private Step Next(StepKind kind, int? session, string data)
    {
        Sent.Add($"{kind} {session} {data}");
        Assert.True(_steps.Count > 0, $"unexpected {kind} on session {session}: {data} (script finished)");
        var step = _steps.Dequeue();
        var expected = step.Data.Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant();
        Assert.True(step.Kind == kind && (kind == StepKind.Open || step.Session == session) && expected == data,
            $"expected {step}, got {kind} on session {session}: {data}");
        return step;
    }

    private static ValueTask<ReadOnlyMemory<byte>> Answer(Step step) =>
        step.Action is not null
            ? ValueTask.FromResult(step.Action())
            : ValueTask.FromResult<ReadOnlyMemory<byte>>(Hex.Bytes(step.Response!));

    private enum StepKind
    {
        Open,
        Transmit,
        Basic,
    }

    private sealed record Step(StepKind Kind, int? Session, string Data, string? Response, Func<ReadOnlyMemory<byte>>? Action);
}
