// SPDX-License-Identifier: MIT
using System.Text.Json;
using ImUeAgent.EndToEnd.Tests.Support;

namespace ImUeAgent.EndToEnd.Tests.Cli;

/// <summary>`imue-agent milenage` on the published binary against the TS 35.208 test sets in ../shared/data.</summary>
public sealed class MilenageCommandTests
{
    public static TheoryData<int, bool> Sets() => new() { { 1, false }, { 1, true }, { 2, false }, { 2, true } };

    private static JsonElement Set(int number)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Binaries.SharedDirectory, "data", "milenage-ts35208.json")));
        return document.RootElement.GetProperty("sets").EnumerateArray().Single(s => s.GetProperty("set").GetInt32() == number).Clone();
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public async Task Json_output_matches_every_function_of_the_test_set(int number, bool fromOpc)
    {
        var set = Set(number);
        string Field(string name) => set.GetProperty(name).GetString()!;
        var (code, stdout, stderr) = await ChildProcess.RunAsync(Binaries.Agent,
        [
            "milenage", "--k", Field("k"), fromOpc ? "--opc" : "--op", Field(fromOpc ? "opc" : "op"),
            "--rand", Field("rand"), "--sqn", Field("sqn"), "--amf", Field("amf"), "--json",
        ]);
        Assert.True(code == 0, stderr);
        using var output = JsonDocument.Parse(stdout);
        var keys = output.RootElement.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(["opc", "f1", "f1star", "f2", "f3", "f4", "f5", "f5star", "autn"], keys);
        foreach (var key in keys.Where(k => k != "autn"))
        {
            Assert.Equal(Field(key), output.RootElement.GetProperty(key).GetString());
        }

        if (number == 1)
        {
            using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Binaries.SharedDirectory, "data", "milenage-ts35208.json")));
            var autn = document.RootElement.GetProperty("derived_from_set_1").GetProperty("autn").GetString();
            Assert.Equal(autn, output.RootElement.GetProperty("autn").GetString());
        }
    }

    [Fact]
    public async Task Text_output_has_one_aligned_line_per_function()
    {
        var set = Set(1);
        var (code, stdout, _) = await ChildProcess.RunAsync(Binaries.Agent,
        [
            "milenage", "--k", set.GetProperty("k").GetString()!, "--opc", set.GetProperty("opc").GetString()!,
            "--rand", set.GetProperty("rand").GetString()!, "--sqn", set.GetProperty("sqn").GetString()!,
            "--amf", set.GetProperty("amf").GetString()!,
        ]);
        Assert.Equal(0, code);
        var lines = stdout.Split('\n');
        Assert.Equal(9, lines.Length);
        Assert.Equal("f2      " + set.GetProperty("f2").GetString(), lines[3]);
    }

    [Theory]
    [InlineData(new[] { "--k", "465b", "--opc", "cd63cb71954a9f4e48a5994e37a02baf" }, "--k: expected 32 hex digits (16 bytes), got 4")]
    [InlineData(new[] { "--k", "465b5ce8b199b49faa5f0a2ee238a6bc", "--opc", "cd63cb71954a9f4e48a5994e37a02bzz" }, "--opc: 'cd63cb71954a9f4e48a5994e37a02bzz' is not hexadecimal")]
    [InlineData(new[] { "--k", "465b5ce8b199b49faa5f0a2ee238a6bc" }, "give exactly one of --op and --opc")]
    [InlineData(new[] { "--k", "465b5ce8b199b49faa5f0a2ee238a6bc", "--op", "cdc202d5123e20f62b6d676ac72cb318", "--opc", "cd63cb71954a9f4e48a5994e37a02baf" }, "give exactly one of --op and --opc")]
    public async Task Bad_arguments_exit_2_naming_the_option(string[] keys, string expected)
    {
        string[] common = ["--rand", "23553cbe9637a89d218ae64dae47bf35", "--sqn", "ff9bb4d0b607", "--amf", "b9b9"];
        var (code, stdout, stderr) = await ChildProcess.RunAsync(Binaries.Agent, ["milenage", .. keys, .. common]);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
    }
}
