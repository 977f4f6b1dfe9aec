// SPDX-License-Identifier: MIT
using ImUeAgent.Uicc.Aka;
using ImUeAgent.Uicc.Apdu;

namespace ImUeAgent.Uicc.Tests.Apdu;

public sealed class AuthenticateResponseTests
{
    // RES with a 0x00 byte in the middle: it must survive as bytes (doubango truncated such a RES as a C string).
    private const string Res = "a54200d5e3ba50bf";
    private const string Ck = "b40ba9a3c58b2a05bbf0d987b21bf8cb";
    private const string Ik = "f769bcd751044604127672711c6d3441";
    private const string Auts = "0102030405060708090a0b0c0d0e";

    private static readonly string Success = "db08" + Res + "10" + Ck + "10" + Ik;
    private static readonly string Sync = "dc0e" + Auts;

    [Fact]
    public void Success_keeps_res_as_raw_bytes()
    {
        Assert.Equal(AuthenticateResponseError.None, AuthenticateResponse.TryParse(Hex.Bytes(Success), out var result));
        var success = Assert.IsType<AkaResult.Success>(result);
        Assert.Equal(Res, Hex.Lower(success.Res));
        Assert.Equal(Ck, Hex.Lower(success.Ck));
        Assert.Equal(Ik, Hex.Lower(success.Ik));
        Assert.Equal(AkaOutcome.Success, success.Outcome);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(16)]
    public void Res_lengths_at_the_bounds_are_accepted(int length)
    {
        var data = $"db{length:x2}{new string('0', length * 2)}10{Ck}10{Ik}";
        Assert.Equal(AuthenticateResponseError.None, AuthenticateResponse.TryParse(Hex.Bytes(data), out var result));
        Assert.Equal(length, Assert.IsType<AkaResult.Success>(result).Res.Length);
    }

    [Fact]
    public void Synchronisation_failure_carries_auts()
    {
        Assert.Equal(AuthenticateResponseError.None, AuthenticateResponse.TryParse(Hex.Bytes(Sync), out var result));
        Assert.Equal(Auts, Hex.Lower(Assert.IsType<AkaResult.SynchronisationFailure>(result).Auts));
    }

    public static TheoryData<string> ValidResponses() => [Success, Sync];

    // oFono unit/test-simutil style: every truncated length of a valid response is rejected, never accepted or thrown.
    [Theory]
    [MemberData(nameof(ValidResponses))]
    public void Every_prefix_is_rejected(string valid)
    {
        var bytes = Hex.Bytes(valid);
        for (var length = 0; length < bytes.Length; length++)
        {
            var error = AuthenticateResponse.TryParse(bytes.AsSpan(0, length), out var result);
            Assert.True(error != AuthenticateResponseError.None, $"prefix of {length} bytes accepted");
            Assert.Null(result);
            Assert.Equal(length == 0 ? AuthenticateResponseError.Empty : AuthenticateResponseError.Truncated, error);
        }
    }

    [Theory]
    [InlineData("db03aabbcc10", AuthenticateResponseError.ResLengthOutOfRange)]
    [InlineData("db11", AuthenticateResponseError.ResLengthOutOfRange)]
    [InlineData("db00", AuthenticateResponseError.ResLengthOutOfRange)]
    [InlineData("db04aabbccdd0f", AuthenticateResponseError.CkLengthInvalid)]
    [InlineData("db04aabbccdd11", AuthenticateResponseError.CkLengthInvalid)]
    [InlineData("dc0d", AuthenticateResponseError.AutsLengthInvalid)]
    [InlineData("dc0f", AuthenticateResponseError.AutsLengthInvalid)]
    [InlineData("9a0e", AuthenticateResponseError.UnknownTag)]
    [InlineData("", AuthenticateResponseError.Empty)]
    public void Malformed_responses_say_why(string data, AuthenticateResponseError expected) =>
        Assert.Equal(expected, AuthenticateResponse.TryParse(Hex.Bytes(data), out _));

    [Fact]
    public void Ik_length_and_trailing_bytes_are_checked()
    {
        Assert.Equal(AuthenticateResponseError.IkLengthInvalid,
            AuthenticateResponse.TryParse(Hex.Bytes("db08" + Res + "10" + Ck + "08" + Ik[..16]), out _));
        Assert.Equal(AuthenticateResponseError.TrailingData, AuthenticateResponse.TryParse(Hex.Bytes(Success + "00"), out _));
        Assert.Equal(AuthenticateResponseError.TrailingData, AuthenticateResponse.TryParse(Hex.Bytes(Sync + "ff"), out _));
    }

    [Fact]
    public void Interpret_maps_status_words()
    {
        Assert.Same(AkaResult.MacFailure.Instance, AuthenticateResponse.Interpret(new ResponseApdu(default, 0x9862)));
        Assert.IsType<AkaResult.Success>(AuthenticateResponse.Interpret(new ResponseApdu(Hex.Bytes(Success), 0x9000)));
        Assert.IsType<AkaResult.SynchronisationFailure>(AuthenticateResponse.Interpret(new ResponseApdu(Hex.Bytes(Sync), 0x9000)));

        var unexpected = Assert.Throws<UiccException>(() => AuthenticateResponse.Interpret(new ResponseApdu(default, 0x6982)));
        Assert.Equal(UiccErrorReason.UnexpectedStatusWord, unexpected.Reason);
        Assert.Equal((ushort)0x6982, unexpected.StatusWord);
        Assert.Contains("69 82", unexpected.Message, StringComparison.Ordinal);

        var malformed = Assert.Throws<UiccException>(() =>
            AuthenticateResponse.Interpret(new ResponseApdu(Hex.Bytes(Success).AsMemory(0, 20), 0x9000)));
        Assert.Equal(UiccErrorReason.MalformedAuthenticateResponse, malformed.Reason);
        Assert.DoesNotContain(Res[..6], malformed.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Results_redact_secrets()
    {
        AuthenticateResponse.TryParse(Hex.Bytes(Success), out var success);
        AuthenticateResponse.TryParse(Hex.Bytes(Sync), out var sync);
        foreach (var text in new[] { success!.ToString()!, sync!.ToString()! })
        {
            Assert.DoesNotContain("a542", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("b40b", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("f769", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("0102", text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void Result_constructors_check_lengths()
    {
        Assert.Throws<ArgumentException>(() => new AkaResult.Success(new byte[3], new byte[16], new byte[16]));
        Assert.Throws<ArgumentException>(() => new AkaResult.Success(new byte[17], new byte[16], new byte[16]));
        Assert.Throws<ArgumentException>(() => new AkaResult.Success(new byte[8], new byte[15], new byte[16]));
        Assert.Throws<ArgumentException>(() => new AkaResult.Success(new byte[8], new byte[16], new byte[17]));
        Assert.Throws<ArgumentException>(() => new AkaResult.SynchronisationFailure(new byte[13]));
    }
}
