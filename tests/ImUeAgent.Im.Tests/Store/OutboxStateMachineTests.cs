// SPDX-License-Identifier: MIT
using ImUeAgent.Im.Store;

namespace ImUeAgent.Im.Tests.Store;

public sealed class OutboxStateMachineTests
{
    private const OutboxTransitionKind A = OutboxTransitionKind.Applied;
    private const OutboxTransitionKind I = OutboxTransitionKind.Ignored;
    private const OutboxTransitionKind X = OutboxTransitionKind.Invalid;

    // OutboxTrigger and OutboxTransitionKind are internal: theory rows carry them as int.

    /// <summary>The whole table: every (state, trigger) pair, so a change to any cell fails here.</summary>
    public static TheoryData<OutboxState, int, int, OutboxState> Table
    {
        get
        {
            var data = new TheoryData<OutboxState, int, int, OutboxState>();
            void Row(OutboxTrigger trigger, params (OutboxTransitionKind Kind, OutboxState Next)[] byState)
            {
                for (int s = 0; s < byState.Length; s++)
                {
                    data.Add((OutboxState)s, (int)trigger, (int)byState[s].Kind, byState[s].Next);
                }
            }

            const OutboxState Q = OutboxState.Queued, S = OutboxState.Sending, T = OutboxState.Sent,
                D = OutboxState.Delivered, P = OutboxState.Displayed, F = OutboxState.Failed;
            //                                  Queued   Sending   Sent     Delivered Displayed Failed
            Row(OutboxTrigger.Claim,               (A, S), (X, S), (X, T), (X, D), (X, P), (X, F));
            Row(OutboxTrigger.Sent,                (X, Q), (A, T), (I, T), (I, D), (I, P), (I, F));
            Row(OutboxTrigger.RetryScheduled,      (X, Q), (A, Q), (X, T), (I, D), (I, P), (I, F));
            Row(OutboxTrigger.Failed,              (A, F), (A, F), (X, T), (I, D), (I, P), (I, F));
            Row(OutboxTrigger.RecoveredAfterCrash, (X, Q), (A, Q), (X, T), (X, D), (X, P), (X, F));
            Row(OutboxTrigger.Delivered,           (A, D), (A, D), (A, D), (I, D), (I, P), (I, F));
            Row(OutboxTrigger.Displayed,           (A, P), (A, P), (A, P), (A, P), (I, P), (I, F));
            Row(OutboxTrigger.NegativeDelivery,    (A, F), (A, F), (A, F), (I, D), (I, P), (I, F));
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Table))]
    public void Transition_table(OutboxState state, int trigger, int kind, OutboxState next)
    {
        Assert.Equal(((OutboxTransitionKind)kind, next), OutboxStateMachine.Apply(state, (OutboxTrigger)trigger));
    }

    [Fact]
    public void Table_covers_every_state_and_trigger()
    {
        Assert.Equal(Enum.GetValues<OutboxState>().Length * Enum.GetValues<OutboxTrigger>().Length, Table.Count);
    }
}
