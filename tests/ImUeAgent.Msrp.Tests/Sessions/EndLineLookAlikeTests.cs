// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Msrp.Sessions;

namespace ImUeAgent.Msrp.Tests.Sessions;

/// <summary>The sender's check that a chunk body does not contain its own end-line (RFC 4975 §5.1).</summary>
public sealed class EndLineLookAlikeTests
{
    private static readonly byte[] Tid = Encoding.ASCII.GetBytes("Ab3dE6gH9jK");

    [Theory]
    [InlineData("no dashes at all", -1)]
    [InlineData("-------\r\n-------\r\n", -1)] // rulers
    [InlineData("x-------Ab3dE6gH9jX$", -1)] // another transaction id
    [InlineData("x-------Ab3dE6gH9j", -1)] // cut short: the prefix check at the piece end deals with it
    [InlineData("x------Ab3dE6gH9jK$", -1)] // six dashes
    [InlineData("x-------Ab3dE6gH9jK$", 1)]
    [InlineData("--------Ab3dE6gH9jK", 1)] // eight dashes: the last seven and the id
    [InlineData("-------Ab3dE6gH9jK then -------Ab3dE6gH9jK", 0)] // the first one
    public void Finds_dashes_followed_by_this_transaction_id(string data, int expected) =>
        Assert.Equal(expected, MsrpConnection.FindEndLineLookAlike(Encoding.ASCII.GetBytes(data), Tid));

    [Fact]
    public void Finds_it_in_a_large_text_body()
    {
        var body = new StringBuilder();
        for (int i = 0; i < 5000; i++)
        {
            body.Append(i % 10 == 0 ? "-------" : "some text of a line").Append("\r\n");
        }

        int at = body.Length;
        body.Append("-------Ab3dE6gH9jK$\r\n tail");
        Assert.Equal(at, MsrpConnection.FindEndLineLookAlike(Encoding.ASCII.GetBytes(body.ToString()), Tid));
    }
}
