// SPDX-License-Identifier: MIT
namespace ImUeAgent.Modem.Tests.Profiles;

/// <summary>Finds hardware/modems in the checkout the tests run from.</summary>
internal static class ModemFolders
{
    public static string Root { get; } = FindRoot();

    public static IEnumerable<string> Names() =>
        Directory.EnumerateDirectories(Root).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal);

    public static IEnumerable<(string Modem, string File)> Transcripts() =>
        Names().SelectMany(modem =>
        {
            var dir = Path.Combine(Root, modem, "transcripts");
            return Directory.Exists(dir)
                ? Directory.EnumerateFiles(dir, "*.txt").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).Select(f => (modem, f))
                : Enumerable.Empty<(string, string)>();
        });

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ImUeAgent.sln")))
            {
                return Path.Combine(dir.FullName, "hardware", "modems");
            }
        }

        throw new InvalidOperationException("repository root (ImUeAgent.sln) not found above " + AppContext.BaseDirectory);
    }
}
