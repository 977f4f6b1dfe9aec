// SPDX-License-Identifier: MIT
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImUeAgent.Modem.Power;

/// <summary>One GPIO line: the gpiochip number, the line offset on it, and whether "asserted" is electrically low.</summary>
public sealed record GpioLine(int Chip, int Line, bool ActiveLow = false)
{
    public override string ToString() => $"gpiochip{Chip} line {Line}{(ActiveLow ? " (active low)" : "")}";
}

/// <summary>
/// Power-sequence timing of the module on this board (settable properties: System.Text.Json source generation would
/// overwrite the defaults of init-only ones that a file leaves out), from the module's hardware design guide (the board file
/// cites it). Milliseconds.
/// </summary>
public sealed record PowerTiming
{
    /// <summary>How long PWRKEY is held asserted to switch the module on (EG25-G: at least 500 ms).</summary>
    public int PwrkeyOnMilliseconds { get; set; } = 600;

    /// <summary>How long PWRKEY is held asserted to switch the module off (EG25-G: at least 650 ms; SIM7600: 2.5 s).</summary>
    public int PwrkeyOffMilliseconds { get; set; } = 800;

    /// <summary>How long RESET_N is held asserted.</summary>
    public int ResetMilliseconds { get; set; } = 300;

    /// <summary>How long to wait for STATUS to follow a power change before calling the sequence failed.</summary>
    public int StatusTimeoutMilliseconds { get; set; } = 15000;

    /// <summary>Quiet time after power-off (or after the power rail drops) before the module may be switched on again.</summary>
    public int OffSettleMilliseconds { get; set; } = 2000;

    /// <summary>STATUS is sampled this often while waiting (the line has no edge interrupt on every board).</summary>
    public int StatusPollMilliseconds { get; set; } = 100;
}

/// <summary>
/// How the host board wires the modem's power lines (hardware/boards/&lt;name&gt;.json). PWRKEY is required;
/// power enable, RESET and STATUS are optional because not every board routes them.
/// </summary>
public sealed record BoardDescription
{
    public required string Name { get; set; }

    public string Description { get; set; } = "";

    /// <summary>The modem profile name (hardware/modems/&lt;vendor&gt;-&lt;model&gt;) fitted on this board.</summary>
    public string? ModemProfile { get; set; }

    /// <summary>A supply switch (load switch or regulator enable) that must be asserted before PWRKEY works.</summary>
    public GpioLine? PowerEnable { get; set; }

    public required GpioLine Pwrkey { get; set; }

    public GpioLine? Reset { get; set; }

    /// <summary>Asserted while the module runs.</summary>
    public GpioLine? Status { get; set; }

    public PowerTiming Timing { get; set; } = new();

    /// <summary>Reads and checks a board file; every problem is a <see cref="BoardDescriptionException"/> naming file and field.</summary>
    public static BoardDescription Load(string path)
    {
        BoardDescription? board;
        try
        {
            using var stream = File.OpenRead(path);
            board = JsonSerializer.Deserialize(stream, BoardJsonContext.Default.BoardDescription);
        }
        catch (JsonException ex)
        {
            throw new BoardDescriptionException($"{path}: {ex.Message}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new BoardDescriptionException($"{path}: cannot read board description: {ex.Message}");
        }

        if (board is null)
        {
            throw new BoardDescriptionException($"{path}: empty board description");
        }

        board.Validate(path);
        return board;
    }

    internal void Validate(string source)
    {
        void Check(bool ok, string field, string problem)
        {
            if (!ok)
            {
                throw new BoardDescriptionException($"{source}: {field}: {problem}");
            }
        }

        foreach (var (field, line) in new[] { ("powerEnable", PowerEnable), ("pwrkey", Pwrkey), ("reset", Reset), ("status", Status) })
        {
            if (line is not null)
            {
                Check(line.Chip >= 0, field + ".chip", "must be 0 or more");
                Check(line.Line >= 0, field + ".line", "must be 0 or more");
            }
        }

        Check(Timing.PwrkeyOnMilliseconds is > 0 and <= 10000, "timing.pwrkeyOnMilliseconds", "must be 1..10000");
        Check(Timing.PwrkeyOffMilliseconds is > 0 and <= 10000, "timing.pwrkeyOffMilliseconds", "must be 1..10000");
        Check(Timing.ResetMilliseconds is > 0 and <= 10000, "timing.resetMilliseconds", "must be 1..10000");
        Check(Timing.StatusTimeoutMilliseconds is >= 1000 and <= 120000, "timing.statusTimeoutMilliseconds", "must be 1000..120000");
        Check(Timing.OffSettleMilliseconds is >= 0 and <= 60000, "timing.offSettleMilliseconds", "must be 0..60000");
        Check(Timing.StatusPollMilliseconds is >= 10 and <= 5000, "timing.statusPollMilliseconds", "must be 10..5000");
        var lines = new[] { PowerEnable, Pwrkey, Reset, Status }.Where(l => l is not null).Select(l => (l!.Chip, l.Line)).ToList();
        Check(lines.Distinct().Count() == lines.Count, "lines", "two functions share one GPIO line");
    }
}

/// <summary>A board description that cannot be used.</summary>
public sealed class BoardDescriptionException(string message) : Exception(message);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(BoardDescription))]
internal sealed partial class BoardJsonContext : JsonSerializerContext;
