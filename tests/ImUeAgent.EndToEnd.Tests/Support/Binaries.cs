// SPDX-License-Identifier: MIT
namespace ImUeAgent.EndToEnd.Tests.Support;

/// <summary>Where the published binaries and the repository are. ./test.sh publishes before it runs the tests.</summary>
internal static class Binaries
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The x64 AOT `imue-agent`; IMUE_AGENT_BIN overrides (e.g. to run the suite against another build).</summary>
    public static string Agent => Require(
        Environment.GetEnvironmentVariable("IMUE_AGENT_BIN")
        ?? Path.Combine(RepoRoot, "artifacts", "publish", "linux-x64", "imue-agent"));

    /// <summary>`imue-testbed` (framework-dependent publish); IMUE_TESTBED_BIN overrides.</summary>
    public static string Testbed => Require(
        Environment.GetEnvironmentVariable("IMUE_TESTBED_BIN")
        ?? Path.Combine(RepoRoot, "artifacts", "publish", "testbed", "imue-testbed"));

    public static string SharedDirectory => Path.Combine(RepoRoot, "..", "shared");

    private static string Require(string path) => File.Exists(path)
        ? path
        : throw new FileNotFoundException(
            $"{path} does not exist: publish it first (./test.sh publishes imue-agent to artifacts/publish/linux-x64 and imue-testbed to artifacts/publish/testbed)");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ImUeAgent.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"ImUeAgent.sln not found above {AppContext.BaseDirectory}");
    }
}
