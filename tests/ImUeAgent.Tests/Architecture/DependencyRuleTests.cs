// SPDX-License-Identifier: MIT
using System.Xml.Linq;

namespace ImUeAgent.Tests.Architecture;

/// <summary>
/// DESIGN.md's dependency rule, checked on every csproj: Uicc, Sip, Msrp ← Modem, Ims ← Im ← ImUeAgent; the
/// testbed never sees Modem, Ims or Im; only the executables take hosting and configuration packages.
/// </summary>
public sealed class DependencyRuleTests
{
    /// <summary>Layer of each product project: a project may reference only projects of a lower layer.</summary>
    private static readonly Dictionary<string, int> Layers = new(StringComparer.Ordinal)
    {
        ["ImUeAgent.Uicc"] = 0,
        ["ImUeAgent.Sip"] = 0,
        ["ImUeAgent.Msrp"] = 0,
        ["ImUeAgent.Modem"] = 1,
        ["ImUeAgent.Ims"] = 1,
        ["ImUeAgent.Im"] = 2,
        ["ImUeAgent"] = 3,
    };

    /// <summary>The testbed is the other side: it may share the codecs that external vectors check, nothing else.</summary>
    private static readonly HashSet<string> TestbedMayUse = ["ImUeAgent.Uicc", "ImUeAgent.Sip", "ImUeAgent.Msrp"];

    private static readonly string[] ExecutableOnlyPackagePrefixes =
        ["Microsoft.Extensions.Hosting", "Microsoft.Extensions.Configuration", "System.CommandLine"];

    public static TheoryData<string> Projects()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "src"), "*.csproj", SearchOption.AllDirectories)
                     .Concat(Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "tests"), "*.csproj", SearchOption.AllDirectories))
                     .Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(RepoPaths.Root, path));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Projects))]
    public void Project_references_follow_the_rule(string relativePath)
    {
        var violations = Violations(Path.Combine(RepoPaths.Root, relativePath));
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    [Fact]
    public void Every_product_project_has_a_layer()
    {
        foreach (var path in Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "src"), "*.csproj", SearchOption.AllDirectories))
        {
            var name = Path.GetFileNameWithoutExtension(path);
            Assert.True(Layers.ContainsKey(name) || name == "ImUeAgent.Testbed", $"{name} has no place in the dependency rule");
        }
    }

    [Fact]
    public void The_checker_catches_a_sideways_reference_and_names_it()
    {
        var dir = Directory.CreateTempSubdirectory("imue-deprule-");
        try
        {
            var project = Path.Combine(dir.FullName, "src", "ImUeAgent.Sip", "ImUeAgent.Sip.csproj");
            Directory.CreateDirectory(Path.GetDirectoryName(project)!);
            File.WriteAllText(project, """
                <Project Sdk="Microsoft.NET.Sdk">
                  <ItemGroup>
                    <ProjectReference Include="../ImUeAgent.Msrp/ImUeAgent.Msrp.csproj" />
                    <PackageReference Include="Microsoft.Extensions.Hosting" />
                  </ItemGroup>
                </Project>
                """);
            var violations = Violations(project);
            Assert.Equal(2, violations.Count);
            Assert.Contains("ImUeAgent.Sip -> ImUeAgent.Msrp", violations[0], StringComparison.Ordinal);
            Assert.Contains("ImUeAgent.Sip -> package Microsoft.Extensions.Hosting", violations[1], StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_checker_catches_the_testbed_using_the_agent_side()
    {
        var violations = ReferenceViolations("ImUeAgent.Testbed", ["ImUeAgent.Sip", "ImUeAgent.Ims"]);
        Assert.Equal(["ImUeAgent.Testbed -> ImUeAgent.Ims: the testbed is an independent implementation; it may use only ImUeAgent.Msrp, ImUeAgent.Sip, ImUeAgent.Uicc"], violations);
    }

    private static List<string> Violations(string projectPath)
    {
        var name = Path.GetFileNameWithoutExtension(projectPath);
        var document = XDocument.Load(projectPath);
        var references = document.Descendants("ProjectReference")
            .Select(e => Path.GetFileNameWithoutExtension(e.Attribute("Include")!.Value.Replace('\\', '/')))
            .ToList();
        var violations = ReferenceViolations(name, references);
        var isExecutable = name is "ImUeAgent" or "ImUeAgent.Testbed" || name.EndsWith(".Tests", StringComparison.Ordinal)
            || name == "ImUeAgent.Benchmarks";
        if (!isExecutable)
        {
            foreach (var package in document.Descendants("PackageReference").Select(e => e.Attribute("Include")!.Value))
            {
                if (ExecutableOnlyPackagePrefixes.Any(p => package.StartsWith(p, StringComparison.Ordinal)))
                {
                    violations.Add($"{name} -> package {package}: only the executables take hosting, configuration and command-line packages; libraries take plain settings records");
                }
            }
        }

        return violations;
    }

    private static List<string> ReferenceViolations(string name, IEnumerable<string> references)
    {
        var violations = new List<string>();
        foreach (var reference in references)
        {
            if (name == "ImUeAgent.Testbed")
            {
                if (!TestbedMayUse.Contains(reference))
                {
                    violations.Add($"{name} -> {reference}: the testbed is an independent implementation; it may use only {string.Join(", ", TestbedMayUse.Order(StringComparer.Ordinal))}");
                }
            }
            else if (name.EndsWith(".Tests", StringComparison.Ordinal) || name == "ImUeAgent.Benchmarks")
            {
                // Test projects may reference what they test and anything below it, and test-support projects.
                var tested = name.EndsWith(".Tests", StringComparison.Ordinal) ? name[..^".Tests".Length] : "ImUeAgent";
                if (Layers.TryGetValue(tested, out var testedLayer) && Layers.TryGetValue(reference, out var refLayer)
                    && refLayer > testedLayer)
                {
                    violations.Add($"{name} -> {reference}: a test project may reference its project and lower layers only");
                }
            }
            else if (Layers.TryGetValue(name, out var layer))
            {
                if (!Layers.TryGetValue(reference, out var referenceLayer))
                {
                    violations.Add($"{name} -> {reference}: not a product library (product code never references tests or the testbed)");
                }
                else if (referenceLayer >= layer)
                {
                    violations.Add($"{name} -> {reference}: references point one way (Uicc, Sip, Msrp <- Modem, Ims <- Im <- ImUeAgent); layer {layer} may not use layer {referenceLayer}");
                }
            }
        }

        return violations;
    }
}
