// SPDX-License-Identifier: MIT
using System.Text.RegularExpressions;
using ImUeAgent.EndToEnd.Tests.Support;

namespace ImUeAgent.EndToEnd.Tests.Packaging;

/// <summary>
/// The .deb as a device maker receives it: built by packaging/build-deb.sh from the published binary (amd64 here;
/// the arm64 one from build-arm64.sh when ./test.sh made it), inspected with dpkg-deb, unpacked into a scratch root
/// with `dpkg --root`, and its systemd unit checked with `systemd-analyze`.
/// </summary>
public sealed partial class DebianPackageTests : IAsyncLifetime
{
    private static readonly TimeSpan Slow = TimeSpan.FromMinutes(2);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("imue-deb-");
    private string _deb = "";
    private string _root = "";

    public async ValueTask InitializeAsync()
    {
        var (code, stdout, stderr) = await ChildProcess.RunAsync(
            Path.Combine(Binaries.RepoRoot, "packaging", "build-deb.sh"),
            ["amd64", Path.GetDirectoryName(Binaries.Agent)!, _dir.FullName], Slow);
        Assert.True(code == 0, $"build-deb.sh failed ({code}):\n{stderr}");
        _deb = stdout.Trim();
        _root = Path.Combine(_dir.FullName, "root");
        foreach (var sub in new[] { "var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers" })
        {
            Directory.CreateDirectory(Path.Combine(_root, sub));
        }

        File.WriteAllText(Path.Combine(_root, "var/lib/dpkg/status"), "");
    }

    public ValueTask DisposeAsync()
    {
        _dir.Delete(recursive: true);
        return ValueTask.CompletedTask;
    }

    private static string Version => VersionPattern().Match(
        File.ReadAllText(Path.Combine(Binaries.RepoRoot, "Directory.Build.props"))).Groups[1].Value;

    [Fact]
    public async Task Control_fields_name_package_version_and_architecture()
    {
        Assert.Equal($"imue-agent_{Version}_amd64.deb", Path.GetFileName(_deb));
        var fields = await RunAsync("dpkg-deb", "-f", _deb, "Package", "Version", "Architecture", "Depends");
        Assert.Equal($"Package: imue-agent\nVersion: {Version}\nArchitecture: amd64\nDepends: libc6 (>= 2.34)", fields.Trim());
    }

    [Fact]
    public async Task Contents_have_the_expected_files_and_modes()
    {
        await AssertContentsAsync(_deb);
    }

    [Fact]
    public async Task Arm64_package_from_build_arm64_sh_has_the_same_layout_and_an_aarch64_binary()
    {
        var deb = Path.Combine(Binaries.RepoRoot, "dist", $"imue-agent_{Version}_arm64.deb");
        Assert.SkipUnless(File.Exists(deb) || Environment.GetEnvironmentVariable("IMUE_REQUIRE_ARM64") == "1",
            "no arm64 package: run `bash build-arm64.sh` (./test.sh does)");
        Assert.True(File.Exists(deb), $"{deb} missing although IMUE_REQUIRE_ARM64=1");
        Assert.Equal("arm64", (await RunAsync("dpkg-deb", "-f", deb, "Architecture")).Trim());
        await AssertContentsAsync(deb);

        var extracted = Path.Combine(_dir.FullName, "arm64");
        await RunAsync("dpkg-deb", "-x", deb, extracted);
        var header = await RunAsync("readelf", "-h", Path.Combine(extracted, "usr/lib/imue-agent/imue-agent"));
        Assert.Matches(@"Machine:\s+AArch64", header);
    }

    private static async Task AssertContentsAsync(string deb)
    {
        var listing = await RunAsync("dpkg-deb", "-c", deb);
        var entries = listing.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToDictionary(f => f[5].TrimStart('.'), f => (Mode: f[0], Owner: f[1], Link: f.Length > 7 ? f[7] : null));

        void Has(string path, string mode)
        {
            Assert.True(entries.TryGetValue(path, out var entry), $"{path} missing from {deb}:\n{listing}");
            Assert.True(entry.Mode == mode, $"{path}: mode {entry.Mode}, expected {mode}");
            Assert.Equal("root/root", entry.Owner);
        }

        Has("/usr/lib/imue-agent/imue-agent", "-rwxr-xr-x");
        Has("/usr/bin/imue-agent", "lrwxrwxrwx");
        Assert.Equal("../lib/imue-agent/imue-agent", entries["/usr/bin/imue-agent"].Link);
        Has("/usr/lib/systemd/system/imue-agent.service", "-rw-r--r--");
        Has("/usr/lib/sysusers.d/imue-agent.conf", "-rw-r--r--");
        Has("/usr/lib/tmpfiles.d/imue-agent.conf", "-rw-r--r--");
        Has("/usr/lib/udev/rules.d/70-imue-agent-modem.rules", "-rw-r--r--");
        Has("/etc/imue-agent/agent.json", "-rw-r--r--");
        Has("/usr/share/doc/imue-agent/copyright", "-rw-r--r--");
        Has("/", "drwxr-xr-x");
        foreach (var (path, entry) in entries)
        {
            Assert.False(path.EndsWith(".dbg", StringComparison.Ordinal), $"debug symbols shipped: {path}");
            if (entry.Mode[0] != 'l')
            {
                Assert.DoesNotContain('w', entry.Mode[4..]); // nothing group/world-writable
            }
        }

        var info = await RunAsync("dpkg-deb", "-I", deb);
        Assert.Matches(@"\*\s+postinst", info);
        Assert.Matches(@"\*\s+prerm", info);
        Assert.Matches(@"\*\s+postrm", info);
        Assert.Equal("/etc/imue-agent/agent.json", (await RunAsync("dpkg-deb", "-I", deb, "conffiles")).Trim());
    }

    [Fact]
    public async Task Installs_into_a_scratch_root_with_conffile_registered_and_a_working_binary()
    {
        await RunAsync("dpkg", "--root=" + _root, "--force-not-root", "--force-script-chrootless", "--unpack", _deb);

        var status = File.ReadAllText(Path.Combine(_root, "var/lib/dpkg/status"));
        Assert.Contains("Package: imue-agent", status, StringComparison.Ordinal);
        Assert.Contains("Status: install ok unpacked", status, StringComparison.Ordinal);
        Assert.Matches(@"Conffiles:\n /etc/imue-agent/agent\.json ", status);

        var binary = Path.Combine(_root, "usr/lib/imue-agent/imue-agent");
        Assert.Equal(
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead
            | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
            File.GetUnixFileMode(binary));

        // Through the /usr/bin link, as a shell would run it.
        var (code, stdout, _) = await ChildProcess.RunAsync(Path.Combine(_root, "usr/bin/imue-agent"), ["--version"]);
        Assert.Equal(0, code);
        Assert.StartsWith($"imue-agent {Version}\nIM release: IM-client/OMA1.0", stdout, StringComparison.Ordinal);

        // dpkg unpacks a new conffile beside its final name until configure (which runs the maintainer scripts and
        // is not done in a scratch root). The shipped configuration parses; it names /var/lib/imue-agent, which
        // this machine lacks.
        var config = Path.Combine(_root, "etc/imue-agent/agent.json.dpkg-new");
        Assert.True(File.Exists(config), $"{config} not unpacked");
        var (configCode, _, configError) = await ChildProcess.RunAsync(binary, ["run", "--config", config]);
        if (Directory.Exists("/var/lib/imue-agent"))
        {
            Assert.Fail("this test expects /var/lib/imue-agent to be absent on the build machine");
        }

        Assert.Equal(2, configCode);
        Assert.EndsWith("Daemon.StateDirectory: '/var/lib/imue-agent' does not exist", configError.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Maintainer_scripts_are_valid_posix_shell()
    {
        foreach (var script in new[] { "postinst", "prerm", "postrm" })
        {
            await RunAsync("sh", "-n", Path.Combine(Binaries.RepoRoot, "packaging", "deb", script));
        }
    }

    [Fact]
    public async Task Systemd_unit_verifies_clean_and_is_hardened()
    {
        await RunAsync("dpkg-deb", "-x", _deb, _root);
        var unit = File.ReadAllText(Path.Combine(_root, "usr/lib/systemd/system/imue-agent.service"));

        // systemd-analyze checks that ExecStart= exists: point it at the unpacked binary.
        var verifyDir = Directory.CreateDirectory(Path.Combine(_dir.FullName, "unit")).FullName;
        var unitPath = Path.Combine(verifyDir, "imue-agent.service");
        File.WriteAllText(unitPath, unit.Replace("ExecStart=/usr/bin/imue-agent", "ExecStart=" + Path.Combine(_root, "usr/bin/imue-agent"), StringComparison.Ordinal));
        var (code, stdout, stderr) = await ChildProcess.RunAsync("systemd-analyze", ["verify", "--man=no", unitPath], Slow);
        Assert.True(code == 0 && stderr.Length == 0 && stdout.Length == 0, $"systemd-analyze verify ({code}):\n{stdout}\n{stderr}");

        foreach (var line in new[]
                 {
                     "Type=notify", "Restart=on-failure", "RestartPreventExitStatus=2", "WatchdogSec=30", "User=imue",
                     "SupplementaryGroups=dialout", "StateDirectory=imue-agent", "RuntimeDirectory=imue-agent",
                     "ConfigurationDirectory=imue-agent", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
                     "PrivateTmp=yes", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK", "CapabilityBoundingSet=",
                     "ExecStart=/usr/bin/imue-agent run --config /etc/imue-agent/agent.json",
                 })
        {
            Assert.Contains(line, unit.Split('\n'));
        }

        // systemd's own exposure score (0 safest .. 10): keep the unit in the "OK" band.
        var (_, security, _) = await ChildProcess.RunAsync("systemd-analyze", ["security", "--offline=yes", unitPath], Slow);
        var score = ExposurePattern().Match(security);
        Assert.True(score.Success, security);
        Assert.True(double.Parse(score.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) <= 2.5, security);
    }

    [Fact]
    public void Sysusers_and_tmpfiles_declare_the_imue_user_and_its_directories()
    {
        var sysusers = File.ReadAllLines(Path.Combine(Binaries.RepoRoot, "packaging/sysusers.d/imue-agent.conf"));
        Assert.Contains(sysusers, l => Regex.IsMatch(l, @"^u\s+imue\s+-\s+"".+""\s+/var/lib/imue-agent"));
        Assert.Contains(sysusers, l => Regex.IsMatch(l, @"^m\s+imue\s+dialout$"));
        var tmpfiles = File.ReadAllLines(Path.Combine(Binaries.RepoRoot, "packaging/tmpfiles.d/imue-agent.conf"));
        Assert.Contains(tmpfiles, l => Regex.IsMatch(l, @"^d\s+/var/lib/imue-agent\s+0750\s+imue\s+imue\s+-$"));
        Assert.Contains(tmpfiles, l => Regex.IsMatch(l, @"^d\s+/run/imue-agent\s+0750\s+imue\s+imue\s+-$"));
    }

    private static async Task<string> RunAsync(string file, params string[] args)
    {
        var (code, stdout, stderr) = await ChildProcess.RunAsync(file, args, Slow);
        Assert.True(code == 0, $"{file} {string.Join(' ', args)} exited {code}:\n{stderr}");
        return stdout;
    }

    [GeneratedRegex(@"<Version>([^<]+)</Version>")]
    private static partial Regex VersionPattern();

    [GeneratedRegex(@"Overall exposure level for .*: (\d+\.\d+)")]
    private static partial Regex ExposurePattern();
}
