// SPDX-License-Identifier: MIT
using ImUeAgent.Uicc.Soft;

namespace ImUeAgent.Uicc.Tests.Soft;

public sealed class SequenceNumberStateTests
{
    [Fact]
    public void Without_ind_the_rule_is_sqn_greater_than_sqn_ms()
    {
        var state = new SequenceNumberState(0, 1000, []);
        Assert.Equal(SqnVerdict.NotFresh, state.Check(0));
        Assert.Equal(SqnVerdict.Fresh, state.Check(1));
        state.Accept(7);
        Assert.Equal(SqnVerdict.NotFresh, state.Check(7));
        Assert.Equal(SqnVerdict.NotFresh, state.Check(6));
        Assert.Equal(SqnVerdict.Fresh, state.Check(8));
        Assert.Equal(SqnVerdict.Fresh, state.Check(1007));
        Assert.Equal(SqnVerdict.BeyondWindow, state.Check(1008));
        Assert.Equal(7UL, state.HighestAccepted);
    }

    [Fact]
    public void Ind_slots_are_independent_and_the_window_uses_the_highest_seq()
    {
        var state = new SequenceNumberState(2, 3, [(5UL << 2) | 1]);
        Assert.Equal(SqnVerdict.Fresh, state.Check((1UL << 2) | 0));
        Assert.Equal(SqnVerdict.NotFresh, state.Check((5UL << 2) | 1));
        Assert.Equal(SqnVerdict.Fresh, state.Check((6UL << 2) | 1));
        Assert.Equal(SqnVerdict.Fresh, state.Check((8UL << 2) | 2));
        Assert.Equal(SqnVerdict.BeyondWindow, state.Check((9UL << 2) | 2));
        Assert.Equal([(5UL << 2) | 1, (8UL << 2) | 2], state.SnapshotWith((8UL << 2) | 2));
    }

    [Fact]
    public void State_written_with_another_ind_length_keeps_the_highest_per_slot()
    {
        var state = new SequenceNumberState(1, 100, [4, 6, 5]);
        Assert.Equal(6UL, state.HighestAccepted);
        Assert.Equal(SqnVerdict.NotFresh, state.Check(6));
        Assert.Equal(SqnVerdict.NotFresh, state.Check(5));
        Assert.Equal(SqnVerdict.Fresh, state.Check(9));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SequenceNumberState(11, 1, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SequenceNumberState(0, 0, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SequenceNumberState(0, 1, [1UL << 48]));
    }
}
