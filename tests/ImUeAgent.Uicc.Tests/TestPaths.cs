// SPDX-License-Identifier: MIT
namespace ImUeAgent.Uicc.Tests;

/// <summary>Locates the repository (the folder holding ImUeAgent.sln) and the shared test vectors beside it.</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>../shared/data relative to the repository root.</summary>
    public static string SharedData => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "data"));

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
