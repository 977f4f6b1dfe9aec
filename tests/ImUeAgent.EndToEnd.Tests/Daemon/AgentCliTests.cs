// SPDX-License-Identifier: MIT
using ImUeAgent.EndToEnd.Tests.Support;

namespace ImUeAgent.EndToEnd.Tests.Daemon;

/// <summary>The published `imue-agent` binary's command line: version, help, exit codes, configuration errors.</summary>
public sealed class AgentCliTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("imue-cli-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task Version_prints_product_and_im_release()
    {
        var (code, stdout, _) = await ChildProcess.RunAsync(Binaries.Agent, ["--version"]);
        Assert.Equal(0, code);
        var lines = stdout.Split('\n');
        Assert.Matches(@"^imue-agent \d+\.\d+\.\d+$", lines[0]);
        Assert.Equal("IM release: IM-client/OMA1.0", lines[1]);
        Assert.Matches(@"^User-Agent: IM-client/OMA1\.0 imue-agent/\d+\.\d+\.\d+$", lines[2]);
    }

    [Fact]
    public async Task Help_documents_commands_and_exit_codes()
    {
        var (code, stdout, _) = await ChildProcess.RunAsync(Binaries.Agent, ["--help"]);
        Assert.Equal(0, code);
        Assert.Contains("Exit codes: 0 success; 1 failure at run time; 2 usage or configuration error", stdout, StringComparison.Ordinal);
        Assert.Contains("run", stdout, StringComparison.Ordinal);

        var (runCode, runHelp, _) = await ChildProcess.RunAsync(Binaries.Agent, ["run", "--help"]);
        Assert.Equal(0, runCode);
        Assert.Contains("--config <FILE>", runHelp, StringComparison.Ordinal);
        Assert.Contains("--log-level <LEVEL>", runHelp, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "frobnicate" }, "Unrecognized command or argument 'frobnicate'")]
    [InlineData(new[] { "run", "--log-level", "Loud" }, "Loud")]
    [InlineData(new[] { "run", "--config" }, "Required argument missing for option: '--config'")]
    public async Task Usage_errors_exit_2_with_a_message(string[] args, string expected)
    {
        var (code, _, stderr) = await ChildProcess.RunAsync(Binaries.Agent, args);
        Assert.Equal(2, code);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string> BadConfigs => new()
    {
        { "missing", "", "{0}: configuration file not found" },
        { "malformed", "{\n \"Daemon\": { \"LogLevel\": }\n}", "{0}:2:26: malformed JSON: " },
        { "unknown key", "{\n \"Daemon\": {\n  \"Colour\": \"blue\" } }", "{0}:3: Daemon.Colour: unknown key; known keys in Daemon: StateDirectory, LogLevel, ShutdownTimeoutSeconds" },
        { "wrong type", "{ \"Daemon\": {\n \"ShutdownTimeoutSeconds\": true } }", "{0}:2: Daemon.ShutdownTimeoutSeconds: 'true' is not a whole number" },
        { "out of range", "{ \"Daemon\": {\n \"ShutdownTimeoutSeconds\": 600 } }", "{0}:2: Daemon.ShutdownTimeoutSeconds: must be between 1 and 30 (got '600')" },
        { "state directory absent", "{ \"Daemon\": { \"StateDirectory\": \"/nonexistent/imue\" } }", "{0}: Daemon.StateDirectory: '/nonexistent/imue' does not exist" },
    };

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public async Task Bad_configuration_stops_startup_with_one_message_and_exit_2(string name, string content, string expected)
    {
        var path = Path.Combine(_dir.FullName, name.Replace(' ', '-') + ".json");
        if (content.Length > 0)
        {
            File.WriteAllText(path, content);
        }

        var (code, stdout, stderr) = await ChildProcess.RunAsync(Binaries.Agent, ["run", "--config", path]);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("imue-agent: " + string.Format(System.Globalization.CultureInfo.InvariantCulture, expected, path), line, StringComparison.Ordinal);
    }
}
