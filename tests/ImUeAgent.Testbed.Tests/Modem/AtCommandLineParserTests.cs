// SPDX-License-Identifier: MIT
using ImUeAgent.Testbed.Modem;

namespace ImUeAgent.Testbed.Tests.Modem;

public sealed class AtCommandLineParserTests
{
    [Theory]
    [InlineData("AT", true, "")]
    [InlineData("at+cgmi", true, "+cgmi")]
    [InlineData("xxAT+CGMI", true, "+CGMI")]
    [InlineData("hello", false, "")]
    [InlineData("", false, "")]
    [InlineData("A", false, "")]
    public void Prefix_is_found_and_what_precedes_it_is_ignored(string line, bool found, string body)
    {
        Assert.Equal(found, AtCommandLineParser.TryStripPrefix(line, out var actual));
        Assert.Equal(body, actual);
    }

    [Fact]
    public void Extended_command_kinds_are_told_apart()
    {
        var parsed = AtCommandLineParser.Parse("+CEREG=2;+CEREG?;+CEREG=?;+CGMI");
        Assert.True(parsed.IsValid);
        Assert.Equal(
            [AtCommandKind.Set, AtCommandKind.Read, AtCommandKind.Test, AtCommandKind.Action],
            parsed.Commands.Select(c => c.Kind).ToArray());
        Assert.All(parsed.Commands, c => Assert.StartsWith("+C", c.Name, StringComparison.Ordinal));
    }

    [Fact]
    public void Arguments_keep_strings_verbatim_and_mark_omitted_ones()
    {
        var parsed = AtCommandLineParser.Parse("+cgdcont=1,\"IPV4V6\",\"ims;x,y\",,0 ,  1");
        var command = Assert.Single(parsed.Commands);
        Assert.Equal("+CGDCONT", command.Name);
        Assert.Equal(6, command.Arguments.Count);
        Assert.Equal("ims;x,y", command.Arguments[2].Text);
        Assert.True(command.Arguments[2].Quoted);
        Assert.True(command.Arguments[3].IsOmitted);
        Assert.True(command.Arguments[4].TryGetInteger(0, 3, out var four));
        Assert.Equal(0, four);
        Assert.True(command.Arguments[5].TryGetInteger(0, 1, out var five));
        Assert.Equal(1, five);
    }

    [Fact]
    public void Basic_commands_chain_without_separators()
    {
        var parsed = AtCommandLineParser.Parse("E0V1&FQ0S3?S0=2I");
        Assert.True(parsed.IsValid);
        Assert.Equal(["E", "V", "&F", "Q", "S3", "S0", "I"], parsed.Commands.Select(c => c.Name).ToArray());
        Assert.Equal(0, parsed.Commands[0].Value);
        Assert.Equal(1, parsed.Commands[1].Value);
        Assert.Equal(AtCommandKind.Read, parsed.Commands[4].Kind);
        Assert.Equal(2, parsed.Commands[5].Value);
    }

    [Theory]
    [InlineData("+CGDCONT=1,\"ims", nameof(AtSyntaxError.UnterminatedString))]
    [InlineData("+", nameof(AtSyntaxError.MissingCommandName))]
    [InlineData("+CMEE?x", nameof(AtSyntaxError.UnexpectedCharacter))]
    [InlineData("+CMEE=1\"x\"", nameof(AtSyntaxError.UnexpectedCharacter))]
    [InlineData("\u0001", nameof(AtSyntaxError.UnexpectedCharacter))]
    [InlineData("+X=1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1", nameof(AtSyntaxError.TooManyArguments))]
    public void Malformed_lines_name_the_reason(string body, string reason)
    {
        var expected = Enum.Parse<AtSyntaxError>(reason);
        var parsed = AtCommandLineParser.Parse(body);
        Assert.False(parsed.IsValid);
        Assert.Equal(expected, parsed.Error);
    }

    [Theory]
    [InlineData("5", 0, 9, true)]
    [InlineData("10", 0, 9, false)]
    [InlineData("-1", 0, 9, false)]
    [InlineData("99999999999", 0, int.MaxValue, false)]
    [InlineData("1a", 0, 9, false)]
    public void Integer_arguments_are_range_checked(string text, int min, int max, bool ok)
    {
        Assert.Equal(ok, new AtArgument(text, false).TryGetInteger(min, max, out _));
    }
}
