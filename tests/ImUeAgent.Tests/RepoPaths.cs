// SPDX-License-Identifier: MIT
namespace ImUeAgent.Tests;

/// <summary>Locates the repository from the test's output directory (the folder that holds ImUeAgent.sln).</summary>
internal static class RepoPaths
{
    public static string Root { get; } = Find();

    private static string Find()
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
