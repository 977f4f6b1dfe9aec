// SPDX-License-Identifier: MIT
using ImUeAgent.Modem.At;

namespace ImUeAgent.Modem.Tests.At;

public sealed class AtValueReaderTests
{
    // Fields written as Kind:Raw.
    public static TheoryData<string, string[]> Lines => new()
    {
        { "1,\"abc\",(1-5),,x", ["Number:1", "QuotedString:abc", "List:1-5", "Empty:", "Token:x"] },
        { "2,1,,,", ["Number:2", "Number:1", "Empty:", "Empty:", "Empty:"] },
        { " 1 , \"a,b\" ", ["Number:1", "QuotedString:a,b"] },
        { "-95,7", ["Number:-95", "Number:7"] },
        { "ME PDN ACT 1", ["Token:ME PDN ACT 1"] },
        { "(2,\"Op\",\"O\",\"26201\",7),(1,\"X\",\"X\",\"26202\",2),,(0-4),(0-2)",
            ["List:2,\"Op\",\"O\",\"26201\",7", "List:1,\"X\",\"X\",\"26202\",2", "Empty:", "List:0-4", "List:0-2"] },
        { "\"a\\\"b\",\"c\\5Cd\"", ["QuotedString:a\\\"b", "QuotedString:c\\5Cd"] },
        { "\"\"", ["QuotedString:"] },
        { "1-5", ["Range:1-5"] },
        { "1A2B", ["Token:1A2B"] },
        { "", [] },
        { ",", ["Empty:", "Empty:"] },
        { "((1,2),(3))", ["List:(1,2),(3)"] },
    };

    [Theory]
    [MemberData(nameof(Lines))]
    public void Tokenizes(string text, string[] expected)
    {
        var reader = new AtValueReader(text);
        var fields = new List<string>();
        while (reader.TryRead(out var value))
        {
            fields.Add($"{value.Kind}:{value.Raw}");
        }

        Assert.Equal(AtValueError.None, reader.Error);
        Assert.Equal(expected, fields);
    }

    [Theory]
    [InlineData("1,\"abc", AtValueError.UnterminatedString, 2)]
    [InlineData("(1,2", AtValueError.UnbalancedParenthesis, 0)]
    [InlineData("1,2)", AtValueError.UnbalancedParenthesis, 2)]
    [InlineData("\"a\"b,1", AtValueError.TrailingCharacters, 3)]
    [InlineData("(1)x", AtValueError.TrailingCharacters, 3)]
    [InlineData("x\"y", AtValueError.TrailingCharacters, 0)]
    [InlineData("(((((((((1)))))))))", AtValueError.NestingTooDeep, 0)]
    [InlineData("(\"a)", AtValueError.UnterminatedString, 0)]
    public void RejectsMalformedText(string text, AtValueError error, int position)
    {
        var reader = new AtValueReader(text);
        while (reader.TryRead(out _))
        {
        }

        Assert.Equal(error, reader.Error);
        Assert.Equal(position, reader.ErrorPosition);
        Assert.False(reader.IsAtEnd);
    }

    [Theory]
    [InlineData("\"plain\"", "plain")]
    [InlineData("\"q\\22uote\"", "q\"uote")]
    [InlineData("\"back\\5Cslash\"", "back\\slash")]
    [InlineData("\"fw \\\"quote\\\"\"", "fw \"quote\"")]
    [InlineData("\"C:\\path\"", "C:\\path")]
    [InlineData("\"C:\\data\"", "C:\u00data")] // "\\da" is a V.250 hex escape
    [InlineData("\"trailing\\\\\"", "trailing\\")]
    public void UnescapesStrings(string text, string expected)
    {
        var reader = new AtValueReader(text);
        Assert.True(reader.TryRead(out var value));
        Assert.Equal(AtValueKind.QuotedString, value.Kind);
        Assert.Equal(expected, value.GetString());
    }

    [Fact]
    public void ReadsNumbersHexRangesAndLists()
    {
        var reader = new AtValueReader("42,\"00C3\",(0-2,5),3-7");
        Assert.True(reader.TryReadInt32(out var number));
        Assert.Equal(42, number);
        Assert.True(reader.TryRead(out var hex));
        Assert.True(hex.TryGetHex(out var lac));
        Assert.Equal(0xC3UL, lac);
        Assert.True(reader.TryRead(out var list));
        var items = list.Items;
        Assert.True(items.TryRead(out var range));
        Assert.True(range.TryGetRange(out var low, out var high));
        Assert.Equal((0L, 2L), (low, high));
        Assert.True(items.TryRead(out var single));
        Assert.True(single.TryGetRange(out low, out high));
        Assert.Equal((5L, 5L), (low, high));
        Assert.False(items.TryRead(out _));
        Assert.True(reader.TryRead(out var bare));
        Assert.Equal(AtValueKind.Range, bare.Kind);
        Assert.False(reader.TryRead(out _));
        Assert.True(reader.IsAtEnd);
    }

    [Theory]
    [InlineData("+CEREG: 1,\"00C3\"", "+CEREG", "1,\"00C3\"")]
    [InlineData("+CME ERROR: 10", "+CME ERROR", "10")]
    [InlineData("^SYSINFO:2,3", "^SYSINFO", "2,3")]
    [InlineData("RING", "", "RING")]
    [InlineData("351234567890123", "", "351234567890123")]
    [InlineData("\"12:00\"", "", "\"12:00\"")]
    public void SplitsNameAndValues(string line, string name, string values)
    {
        var reader = AtValueReader.ForLine(line, out var actualName);
        Assert.Equal(name, actualName.ToString());
        var fields = new List<string>();
        while (reader.TryRead(out var value))
        {
            fields.Add(value.Kind == AtValueKind.QuotedString ? $"\"{value.Raw}\"" : value.Raw.ToString());
        }

        Assert.Equal(values, string.Join(",", fields));
    }

    [Fact]
    public void NumberOverflowIsNotANumber()
    {
        var reader = new AtValueReader("99999999999999999999999");
        Assert.True(reader.TryRead(out var value));
        Assert.Equal(AtValueKind.Number, value.Kind);
        Assert.False(value.TryGetInt32(out _));
        Assert.False(value.TryGetInt64(out _));
    }
}
