// SPDX-License-Identifier: MIT
namespace ImUeAgent.EndToEnd.Tests.Support;

/// <summary>
/// baresip (Debian 1.0.0), a real SIP user agent, as the other end of pager-mode MESSAGE tests. It runs with a scratch
/// config directory (<c>-f DIR</c>): one account registered through an outbound proxy, SIP on 127.0.0.1 with a port of
/// its own choosing (<c>sip_listen 127.0.0.1:0</c>), and one contact, the peer its messages go to. It is driven
/// through its stdio UI on standard input (menu's <c>/message TEXT</c> sends a MESSAGE to the current contact), and
/// prints what it receives through that UI, on standard error, as <c>FROM-URI: "TEXT"</c>. Disposing stops exactly its pid.
/// </summary>
/// <remarks>
/// stdio complains "could not setup terminal" without a tty but still reads commands and prints; standard input must
/// stay open (an EOF makes baresip 1.0.0 spin), which <see cref="ChildProcess"/> ensures until dispose.
/// </remarks>
internal sealed class Baresip : IAsyncDisposable
{
    private const string ModuleDirectory = "/usr/lib/baresip/modules";

    private readonly DirectoryInfo _directory;

    private Baresip(ChildProcess process, DirectoryInfo directory, string aor, string peer)
    {
        Process = process;
        _directory = directory;
        Aor = aor;
        Peer = peer;
    }

    public ChildProcess Process { get; }

    /// <summary>The registered address of record, e.g. sip:bob@example.test.</summary>
    public string Aor { get; }

    /// <summary>Where <see cref="SendMessageAsync"/> sends.</summary>
    public string Peer { get; }

    /// <summary>
    /// Starts baresip registering <paramref name="aor"/> with <paramref name="password"/> through
    /// <paramref name="outboundProxy"/> and waits for the registrar's 200.
    /// </summary>
    public static async Task<Baresip> StartAsync(string aor, string password, string outboundProxy, string peer, TimeSpan timeout)
    {
        var baresip = await EnsureInstalledAsync();
        var directory = Directory.CreateTempSubdirectory("imue-baresip-");
        // Modules: stdio (UI: commands in, output out), contact (the peer as "current contact" and the /message
        // command), menu (the commands, and printing of received messages), account (the accounts file). No audio,
        // video, ctrl or presence modules: nothing but SIP registration and MESSAGE.
        await File.WriteAllTextAsync(Path.Combine(directory.FullName, "config"), $"""
            poll_method		epoll
            sip_listen		127.0.0.1:0
            sip_trans_def		udp
            module_path		{ModuleDirectory}
            module			stdio.so
            module_app		account.so
            module_app		contact.so
            module_app		menu.so

            """);
        await File.WriteAllTextAsync(Path.Combine(directory.FullName, "accounts"),
            $"<{aor}>;auth_pass={password};outbound=\"{outboundProxy}\";regint=3600;answermode=manual\n");
        await File.WriteAllTextAsync(Path.Combine(directory.FullName, "contacts"), $"\"Peer\" <{peer}>\n");

        var process = ChildProcess.Start(baresip, ["-4", "-f", directory.FullName]);
        var ua = new Baresip(process, directory, aor, peer);
        try
        {
            // "bob@example.test: {0/UDP/v4} 200 OK (kamailio …) [1 binding]": the account's REGISTER succeeded.
            await process.WaitForStdoutAsync($"{aor["sip:".Length..]}: {{0/UDP/v4}} 200 OK", timeout);
            return ua;
        }
        catch
        {
            await ua.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sends a MESSAGE with <paramref name="text"/> (text/plain, one line) to <see cref="Peer"/>.</summary>
    public Task SendMessageAsync(string text)
    {
        if (text.Contains('\n', StringComparison.Ordinal) || text.Contains('\r', StringComparison.Ordinal))
        {
            throw new ArgumentException("baresip's stdio UI takes one line", nameof(text));
        }

        return Process.WriteLineAsync("/message " + text);
    }

    /// <summary>Completes when baresip has printed a MESSAGE from <paramref name="from"/> with exactly this text.</summary>
    public Task WaitForMessageAsync(string from, string text, TimeSpan timeout) =>
        Process.WaitForStderrAsync(ReceivedLine(from, text), timeout);

    /// <summary>How many times a MESSAGE from <paramref name="from"/> with this text was printed.</summary>
    public int CountReceived(string from, string text) =>
        Process.StandardError.Split('\n').Count(l => l.Contains(ReceivedLine(from, text), StringComparison.Ordinal));

    // menu's message handler prints "\r<peer URI>: \"<body>\"" through the UI, which stdio writes to stderr.
    private static string ReceivedLine(string from, string text) => $"{from}: \"{text}\"";

    private static Task<string> EnsureInstalledAsync() =>
        DebianTools.EnsureAsync("baresip", () => File.Exists(Path.Combine(ModuleDirectory, "stdio.so")), "baresip");

    public async ValueTask DisposeAsync()
    {
        // Stop exactly the process we started, by its pid: baresip un-registers and quits on SIGTERM.
        await Process.TerminateAsync(TimeSpan.FromSeconds(10));

        await Process.DisposeAsync();
        _directory.Delete(recursive: true);
    }
}
