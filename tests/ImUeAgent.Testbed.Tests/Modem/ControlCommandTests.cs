// SPDX-License-Identifier: MIT
using ImUeAgent.Testbed.Modem;

namespace ImUeAgent.Testbed.Tests.Modem;

public sealed class ControlCommandTests
{
    [Theory]
    [InlineData("slow 2000", nameof(ControlVerb.Slow), 2000)]
    [InlineData("drop next", nameof(ControlVerb.Drop), 1)]
    [InlineData("DROP 3", nameof(ControlVerb.Drop), 3)]
    [InlineData("garbage 64", nameof(ControlVerb.Garbage), 64)]
    [InlineData("reset", nameof(ControlVerb.Reset), null)]
    [InlineData("vanish 3000", nameof(ControlVerb.Vanish), 3000)]
    [InlineData("deny-attach 15", nameof(ControlVerb.DenyAttach), 15)]
    [InlineData("attach", nameof(ControlVerb.AllowAttach), null)]
    [InlineData("detach", nameof(ControlVerb.Detach), null)]
    [InlineData(" detach 500 ", nameof(ControlVerb.Detach), 500)]
    [InlineData("pdn-drop", nameof(ControlVerb.PdnDrop), null)]
    [InlineData("pdn-drop 2", nameof(ControlVerb.PdnDrop), 2)]
    [InlineData("status", nameof(ControlVerb.Status), null)]
    public void Commands_parse(string line, string verb, int? number)
    {
        Assert.Equal(ControlError.None, ControlCommand.TryParse(line, out var command));
        Assert.Equal(Enum.Parse<ControlVerb>(verb), command.Verb);
        Assert.Equal(number, command.Number);
    }

    [Theory]
    [InlineData("", nameof(ControlError.Empty))]
    [InlineData("fly", nameof(ControlError.UnknownCommand))]
    [InlineData("slow", nameof(ControlError.MissingArgument))]
    [InlineData("slow -1", nameof(ControlError.BadNumber))]
    [InlineData("slow 99999999999", nameof(ControlError.BadNumber))]
    [InlineData("garbage 0", nameof(ControlError.BadNumber))]
    [InlineData("deny-attach 256", nameof(ControlError.BadNumber))]
    [InlineData("reset now", nameof(ControlError.ExtraArgument))]
    [InlineData("urc", nameof(ControlError.MissingArgument))]
    public void Bad_lines_say_why(string line, string reason)
    {
        var expected = Enum.Parse<ControlError>(reason);
        Assert.Equal(expected, ControlCommand.TryParse(line, out _));
        Assert.NotEqual("ok", ControlCommand.Describe(expected));
    }

    [Fact]
    public void Urc_keeps_its_text()
    {
        Assert.Equal(ControlError.None, ControlCommand.TryParse("urc +CEREG: 5", out var command));
        Assert.Equal("+CEREG: 5", command.Text);
    }

    [Fact]
    public void Quirk_names_round_trip_and_unknown_ones_are_named()
    {
        Assert.True(ModemQuirkNames.TryParse("get-response, ccho-bare", out var quirks, out _));
        Assert.Equal(ModemQuirks.GetResponse61 | ModemQuirks.CchoBareNumber, quirks);
        Assert.Equal("ccho-bare,get-response", ModemQuirkNames.Format(quirks));
        Assert.False(ModemQuirkNames.TryParse("ccho-bare,nope", out _, out var unknown));
        Assert.Equal("nope", unknown);
    }
}
