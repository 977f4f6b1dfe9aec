// SPDX-License-Identifier: MIT
using System.Text.Json;
using ImUeAgent.Uicc.Aka;
using ImUeAgent.Uicc.Apdu;

namespace ImUeAgent.Uicc.Tests.Aka;

public sealed class MilenageTests
{
    private static readonly Lazy<JsonDocument> Vectors = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.SharedData, "milenage-ts35208.json"))));

    public static TheoryData<int> SetNumbers()
    {
        var data = new TheoryData<int>();
        foreach (var set in Vectors.Value.RootElement.GetProperty("sets").EnumerateArray())
        {
            data.Add(set.GetProperty("set").GetInt32());
        }

        return data;
    }

    private static JsonElement Set(int number) =>
        Vectors.Value.RootElement.GetProperty("sets").EnumerateArray().Single(s => s.GetProperty("set").GetInt32() == number);

    private static byte[] Field(JsonElement set, string name) => Hex.Bytes(set.GetProperty(name).GetString()!);

    [Fact]
    public void The_vector_file_holds_sets()
    {
        Assert.NotEmpty(SetNumbers());
    }

    [Theory]
    [MemberData(nameof(SetNumbers))]
    public void Opc_is_derived_from_op(int number)
    {
        var set = Set(number);
        var opc = new byte[16];
        Milenage.ComputeOpc(Field(set, "k"), Field(set, "op"), opc);
        Assert.Equal(set.GetProperty("opc").GetString(), Hex.Lower(opc));
    }

    [Theory]
    [MemberData(nameof(SetNumbers))]
    public void Every_function_matches_ts_35_208(int number)
    {
        var set = Set(number);
        using var milenage = Milenage.FromOp(Field(set, "k"), Field(set, "op"));
        var output = milenage.ComputeAll(Field(set, "rand"), Field(set, "sqn"), Field(set, "amf"));
        var fields = output.ToHexFields().ToDictionary(kv => kv.Key, kv => kv.Value);
        foreach (var key in new[] { "opc", "f1", "f1star", "f2", "f3", "f4", "f5", "f5star" })
        {
            Assert.Equal(set.GetProperty(key).GetString(), fields[key]);
        }
    }

    [Theory]
    [MemberData(nameof(SetNumbers))]
    public void Single_functions_match_compute_all(int number)
    {
        var set = Set(number);
        using var milenage = new Milenage(Field(set, "k"), Field(set, "opc"));
        var rand = Field(set, "rand");
        var sqn = Field(set, "sqn");
        var amf = Field(set, "amf");
        Span<byte> mac = stackalloc byte[8];
        Span<byte> res = stackalloc byte[8];
        Span<byte> ck = stackalloc byte[16];
        Span<byte> ik = stackalloc byte[16];
        Span<byte> ak = stackalloc byte[6];
        milenage.F1(rand, sqn, amf, mac);
        Assert.Equal(set.GetProperty("f1").GetString(), Hex.Lower(mac));
        milenage.F1Star(rand, sqn, amf, mac);
        Assert.Equal(set.GetProperty("f1star").GetString(), Hex.Lower(mac));
        milenage.F2345(rand, res, ck, ik, ak);
        Assert.Equal(set.GetProperty("f2").GetString(), Hex.Lower(res));
        Assert.Equal(set.GetProperty("f3").GetString(), Hex.Lower(ck));
        Assert.Equal(set.GetProperty("f4").GetString(), Hex.Lower(ik));
        Assert.Equal(set.GetProperty("f5").GetString(), Hex.Lower(ak));
        milenage.F5(rand, ak);
        Assert.Equal(set.GetProperty("f5").GetString(), Hex.Lower(ak));
        milenage.F5Star(rand, ak);
        Assert.Equal(set.GetProperty("f5star").GetString(), Hex.Lower(ak));
    }

    [Fact]
    public void Autn_nonce_and_apdu_match_the_set_1_fixtures()
    {
        var set = Set(1);
        var derived = Vectors.Value.RootElement.GetProperty("derived_from_set_1");
        using var milenage = Milenage.FromOp(Field(set, "k"), Field(set, "op"));
        var rand = Field(set, "rand");
        var autn = new byte[16];
        milenage.ComputeAutn(rand, Field(set, "sqn"), Field(set, "amf"), autn);
        Assert.Equal(derived.GetProperty("autn").GetString(), Hex.Lower(autn));

        var output = milenage.ComputeAll(rand, Field(set, "sqn"), Field(set, "amf"));
        Assert.Equal(derived.GetProperty("autn").GetString(), Hex.Lower(output.Autn));

        Assert.Equal(derived.GetProperty("nonce_base64").GetString(), Convert.ToBase64String([.. rand, .. autn]));
        Assert.Equal(derived.GetProperty("authenticate_apdu").GetString(),
            Convert.ToHexString(CommandApdu.AuthenticateImsAka(rand, autn)));
    }

    [Theory]
    [MemberData(nameof(SetNumbers))]
    public void Auts_carries_sqn_ms_back_to_the_network(int number)
    {
        var set = Set(number);
        using var milenage = new Milenage(Field(set, "k"), Field(set, "opc"));
        var rand = Field(set, "rand");
        var sqnMs = Field(set, "sqn");
        var auts = new byte[14];
        milenage.ComputeAuts(rand, sqnMs, auts);

        // TS 33.102 §6.3.3: Conc(SQN_MS) = SQN_MS ⊕ f5*, MAC-S = f1*(SQN_MS, RAND, AMF 0000).
        var akStar = Field(set, "f5star");
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal((byte)(sqnMs[i] ^ akStar[i]), auts[i]);
        }

        var macS = new byte[8];
        milenage.F1Star(rand, sqnMs, [0, 0], macS);
        Assert.Equal(macS, auts[6..]);

        var recovered = new byte[6];
        Assert.True(milenage.TryRecoverSqnMs(rand, auts, recovered));
        Assert.Equal(sqnMs, recovered);

        auts[13] ^= 0x01;
        Assert.False(milenage.TryRecoverSqnMs(rand, auts, recovered));
        Assert.Equal(new byte[6], recovered);
    }

    [Fact]
    public void Sqn_round_trips_as_48_bit_number()
    {
        var sqn = new byte[6];
        Milenage.WriteSqn(0xff9bb4d0b607, sqn);
        Assert.Equal("ff9bb4d0b607", Hex.Lower(sqn));
        Assert.Equal(0xff9bb4d0b607UL, Milenage.ReadSqn(sqn));
        Assert.Throws<ArgumentOutOfRangeException>(() => Milenage.WriteSqn(1UL << 48, sqn));
    }

    [Fact]
    public void Wrong_lengths_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new Milenage(new byte[15], new byte[16]));
        using var milenage = new Milenage(new byte[16], new byte[16]);
        Assert.Throws<ArgumentException>(() => milenage.F5(new byte[15], new byte[6]));
        Assert.Throws<ArgumentException>(() => milenage.ComputeAll(new byte[16], new byte[5], new byte[2]));
    }

    [Fact]
    public void ToString_redacts()
    {
        using var milenage = new Milenage(Hex.Bytes("465b5ce8b199b49faa5f0a2ee238a6bc"), new byte[16]);
        var output = milenage.ComputeAll(new byte[16], new byte[6], new byte[2]);
        Assert.DoesNotContain("465b", milenage.ToString(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Hex.Lower(output.F3)[..8], output.ToString(), StringComparison.Ordinal);
    }
}
