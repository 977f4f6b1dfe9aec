// SPDX-License-Identifier: MIT
using ImUeAgent.Modem.Power;

namespace ImUeAgent.Modem.Tests.Power;

public sealed class BoardDescriptionTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("imue-board-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static string BoardsDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ImUeAgent.sln")))
            {
                return Path.Combine(dir.FullName, "hardware", "boards");
            }
        }

        throw new InvalidOperationException("repository root not found");
    }

    public static TheoryData<string> ShippedBoards()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(BoardsDirectory(), "*.json").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ShippedBoards))]
    public void Shipped_board_files_load_and_name_themselves_after_the_file(string file)
    {
        var board = BoardDescription.Load(Path.Combine(BoardsDirectory(), file));
        Assert.Equal(Path.GetFileNameWithoutExtension(file), board.Name);
        Assert.NotEmpty(board.Description);
        Assert.NotNull(board.ModemProfile);
    }

    [Fact]
    public void Ships_the_pinephone_and_raspberry_pi_hats()
    {
        var names = Directory.EnumerateFiles(BoardsDirectory(), "*.json").Select(Path.GetFileNameWithoutExtension).ToList();
        Assert.Contains("pine64-pinephone", names);
        Assert.Contains("raspberrypi-quectel-ec25-hat", names);
        Assert.Contains("raspberrypi-simcom-sim7600-hat", names);
    }

    [Theory]
    [InlineData("""{ "name": "x", "pwrkey": { "chip": 0, "line": 1 }, "colour": 1 }""", "'colour' could not be mapped")]
    [InlineData("""{ "name": "x" }""", "missing required properties including: 'pwrkey'")]
    [InlineData("""{ "name": "x", "pwrkey": { "chip": 0, "line": -1 } }""", "pwrkey.line: must be 0 or more")]
    [InlineData("""{ "name": "x", "pwrkey": { "chip": 0, "line": 3 }, "reset": { "chip": 0, "line": 3 } }""", "lines: two functions share one GPIO line")]
    [InlineData("""{ "name": "x", "pwrkey": { "chip": 0, "line": 3 }, "timing": { "pwrkeyOnMilliseconds": 0 } }""", "timing.pwrkeyOnMilliseconds: must be 1..10000")]
    [InlineData("""{ "name": "x", "pwrkey": { "chip": 0, "line": 3 }""", "")]
    public void Bad_board_files_are_rejected_naming_the_file(string json, string expected)
    {
        var path = Path.Combine(_dir.FullName, "bad.json");
        File.WriteAllText(path, json);
        var error = Assert.Throws<BoardDescriptionException>(() => BoardDescription.Load(path));
        Assert.StartsWith(path + ": ", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
