// SPDX-License-Identifier: MIT
using System.Reflection;

namespace ImUeAgent;

/// <summary>What the binary says about itself: product version and the OMA IM release tokens.</summary>
internal static class ProductInfo
{
    public const string ProductName = "imue-agent";

    /// <summary>OMA SIMPLE IM Appendix F: the release token at the start of User-Agent (client).</summary>
    public const string ImClientReleaseToken = "IM-client/OMA1.0";

    /// <summary>OMA SIMPLE IM Appendix F: the release token at the start of Server (server side, used by the testbed).</summary>
    public const string ImServerReleaseToken = "IM-serv/OMA1.0";

    /// <summary>Product version from the assembly (Directory.Build.props), without any source-revision suffix.</summary>
    public static string Version { get; } = ReadVersion();

    /// <summary>The value the agent puts in User-Agent: release token, then product token (RFC 3261 §20.41).</summary>
    public static string UserAgent => $"{ImClientReleaseToken} {ProductName}/{Version}";

    private static string ReadVersion()
    {
        var informational = typeof(ProductInfo).Assembly
            .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? informational : informational[..plus];
    }
}
