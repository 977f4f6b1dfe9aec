// SPDX-License-Identifier: MIT
namespace ImUeAgent.EndToEnd.Tests.Support;

/// <summary>Real peers from Debian packages (Kamailio, baresip): found on PATH, or installed through
/// scripts/ensure-packages.sh when a bare `dotnet test` runs on a fresh machine (./test.sh installs them first).</summary>
internal static class DebianTools
{
    /// <summary>The binary's path once <paramref name="ready"/> holds, installing <paramref name="packages"/> if needed.</summary>
    public static async Task<string> EnsureAsync(string binary, Func<bool> ready, params string[] packages)
    {
        if (Which(binary) is { } found && ready())
        {
            return found;
        }

        var script = Path.Combine(Binaries.RepoRoot, "scripts", "ensure-packages.sh");
        var (code, _, stderr) = await ChildProcess.RunAsync(script, packages, TimeSpan.FromMinutes(5));
        return code == 0 && Which(binary) is { } installed && ready()
            ? installed
            : throw new InvalidOperationException($"{binary} is not installed and scripts/ensure-packages.sh {string.Join(' ', packages)} failed ({code}): {stderr}");
    }

    /// <summary>The file <paramref name="name"/> on PATH (and /usr/sbin), or null.</summary>
    public static string? Which(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':').Append("/usr/sbin"))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
