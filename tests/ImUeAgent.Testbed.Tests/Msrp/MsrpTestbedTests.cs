// SPDX-License-Identifier: MIT
using System.Net;
using System.Threading.Channels;
using ImUeAgent.Msrp;
using ImUeAgent.Msrp.Sessions;
using ImUeAgent.Testbed.Msrp;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImUeAgent.Testbed.Tests.Msrp;

/// <summary>The lines an endpoint announces; each prefix is awaited in order of its own lines (bounded).</summary>
internal sealed class AnnouncedLines
{
    private readonly Channel<bool> _signal = Channel.CreateUnbounded<bool>();
    private readonly Dictionary<string, int> _taken = new(StringComparer.Ordinal);

    public List<string> All { get; } = [];

    public void Announce(string line)
    {
        lock (All)
        {
            All.Add(line);
        }

        _signal.Writer.TryWrite(true);
    }

    public async Task<string[]> NextAsync(string prefix)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bound.CancelAfter(TimeSpan.FromSeconds(20));
        while (true)
        {
            lock (All)
            {
                int skip = _taken.GetValueOrDefault(prefix);
                var match = All.Where(l => l == prefix || l.StartsWith(prefix + " ", StringComparison.Ordinal)).Skip(skip).FirstOrDefault();
                if (match is not null)
                {
                    _taken[prefix] = skip + 1;
                    return match.Split(' ');
                }
            }

            await _signal.Reader.ReadAsync(bound.Token);
        }
    }
}

public sealed class MsrpTestbedTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("imue-msrp-testbed-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static MsrpTestbedSettings Settings(MsrpTestbedSettings.Raw raw)
    {
        Assert.True(MsrpTestbedSettings.TryCreate(raw, () => "generated1", out var settings, out var error), error);
        return settings!;
    }

    private static Task<MsrpTestbedEndpoint> StartAsync(MsrpTestbedSettings settings, AnnouncedLines lines) =>
        MsrpTestbedEndpoint.StartAsync(settings, lines.Announce, NullLogger.Instance, TimeProvider.System, Ct);

    [Fact]
    public async Task File_is_sent_in_chunks_and_saved_with_a_received_line()
    {
        var bobLines = new AnnouncedLines();
        await using var bob = await StartAsync(Settings(new() { SessionId = "bob", SaveDirectory = Path.Combine(_directory, "in") }), bobLines);
        string[] msrp = await bobLines.NextAsync("msrp");
        Assert.Matches(@"^msrp://127\.0\.0\.1:[1-9][0-9]*/bob;tcp$", msrp[1]);

        var content = new byte[25_000];
        new Random(5).NextBytes(content);
        string source = Path.Combine(_directory, "out.bin");
        await File.WriteAllBytesAsync(source, content, Ct);
        var aliceLines = new AnnouncedLines();
        var aliceSettings = Settings(new() { ToPath = msrp[1], SendFile = source, ContentType = "image/png", ChunkSize = 4000, SuccessReport = true });
        await using var alice = await StartAsync(aliceSettings, aliceLines);
        var result = await alice.ConnectAndSendAsync(aliceSettings.ToPath!, aliceSettings.Payload, Ct);

        Assert.NotNull(result);
        Assert.True(result.Value.IsSuccess, result.ToString());
        Assert.Equal(7, result.Value.Chunks);
        string[] sent = await aliceLines.NextAsync("sent");
        Assert.Equal([result.Value.MessageId, "25000", "7", "200"], sent[1..]);
        string[] received = await bobLines.NextAsync("received");
        Assert.Equal(result.Value.MessageId, received[1]);
        Assert.Equal("25000", received[2]);
        Assert.Equal("image/png", received[3]);
        Assert.Equal(content, await File.ReadAllBytesAsync(received[4], Ct));
        string[] report = await aliceLines.NextAsync("report");
        Assert.Equal([result.Value.MessageId, "200", "1-25000/25000"], report[1..]);
    }

    [Fact]
    public async Task Reject_code_answers_the_sender_with_that_status()
    {
        var bobLines = new AnnouncedLines();
        await using var bob = await StartAsync(Settings(new() { RejectCode = 415 }), bobLines);
        string uri = (await bobLines.NextAsync("msrp"))[1];
        Assert.EndsWith("/generated1;tcp", uri, StringComparison.Ordinal);

        var aliceLines = new AnnouncedLines();
        var aliceSettings = Settings(new() { ToPath = uri, SendText = "hello", ChunkSize = 2 });
        await using var alice = await StartAsync(aliceSettings, aliceLines);
        var result = await alice.ConnectAndSendAsync(aliceSettings.ToPath!, aliceSettings.Payload, Ct);

        Assert.Equal(MsrpSendOutcome.Rejected, result!.Value.Outcome);
        Assert.Equal(415, result.Value.StatusCode);
        Assert.Equal(["send-failed", result.Value.MessageId, "Rejected", "415"], await aliceLines.NextAsync("send-failed"));
        Assert.Equal(["rejected", result.Value.MessageId, "415"], await bobLines.NextAsync("rejected"));
    }

    [Fact]
    public async Task Without_save_dir_messages_are_counted_and_announced_with_no_file()
    {
        var bobLines = new AnnouncedLines();
        await using var bob = await StartAsync(Settings(new() { SessionId = "counting" }), bobLines);
        string uri = (await bobLines.NextAsync("msrp"))[1];
        var aliceSettings = Settings(new() { ToPath = uri, SendText = "grüße", ContentType = "text/plain; charset=utf-8" });
        await using var alice = await StartAsync(aliceSettings, new AnnouncedLines());
        var result = await alice.ConnectAndSendAsync(aliceSettings.ToPath!, aliceSettings.Payload, Ct);

        Assert.True(result!.Value.IsSuccess);
        Assert.Equal(["received", result.Value.MessageId, "7", "text/plain;charset=utf-8", "-"], await bobLines.NextAsync("received"));
        Assert.Empty(Directory.GetFiles(_directory));
    }

    [Fact]
    public async Task Unreachable_relay_fails_the_run_with_exit_code_1()
    {
        // A port that was free a moment ago: connection refused.
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var lines = new AnnouncedLines();
        var settings = Settings(new() { Relay = $"msrp://127.0.0.1:{port};tcp", RelayUser = "u", RelayPassword = "p" });
        int code = await MsrpCommand.RunAsync(settings, lines.Announce, NullLogger.Instance, TimeProvider.System, Ct);
        Assert.Equal(1, code);
        Assert.DoesNotContain("ready", lines.All);
    }

    private static readonly Dictionary<string, (MsrpTestbedSettings.Raw Raw, string Expected)> BadOptionCases = new()
    {
        ["listen-garbage"] = (new() { Listen = "nowhere" }, "--listen"),
        ["listen-no-port"] = (new() { Listen = "127.0.0.1" }, "--listen"),
        ["session-id-space"] = (new() { SessionId = "bad id" }, "--session-id"),
        ["to-path-http"] = (new() { ToPath = "http://example.com/x" }, "--to-path"),
        ["to-path-no-session"] = (new() { ToPath = "msrp://127.0.0.1:1;tcp" }, "--to-path"),
        ["text-without-peer"] = (new() { SendText = "x" }, "need --to-path"),
        ["file-and-text"] = (new() { ToPath = "msrp://127.0.0.1:1/s;tcp", SendText = "x", SendFile = "/etc/hostname" }, "exclude each other"),
        ["file-missing"] = (new() { ToPath = "msrp://127.0.0.1:1/s;tcp", SendFile = "/nonexistent/file" }, "--send-file"),
        ["type-no-slash"] = (new() { ToPath = "msrp://127.0.0.1:1/s;tcp", SendText = "x", ContentType = "text" }, "--content-type"),
        ["chunk-zero"] = (new() { ChunkSize = 0 }, "--chunk-size"),
        ["reject-success"] = (new() { RejectCode = 200 }, "--reject-code"),
        ["user-without-password"] = (new() { Relay = "msrp://127.0.0.1:2;tcp", RelayUser = "u" }, "go together"),
        ["password-without-relay"] = (new() { RelayPassword = "secret" }, "need --relay"),
        ["relay-not-msrp"] = (new() { Relay = "sip:relay" }, "--relay"),
    };

    public static TheoryData<string> BadOptions => new(BadOptionCases.Keys);

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Bad_options_are_named_in_the_error(string name)
    {
        var (raw, expected) = BadOptionCases[name];
        Assert.False(MsrpTestbedSettings.TryCreate(raw, () => "x", out var settings, out var error));
        Assert.Null(settings);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_and_relay_password_stays_out_of_text()
    {
        var settings = Settings(new() { Relay = "msrp://127.0.0.1:2;tcp", RelayUser = "alice", RelayPassword = "s3cr3t" });
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 0), settings.Listen);
        Assert.Equal("generated1", settings.SessionId);
        Assert.Equal(MsrpTestbedSettings.DefaultChunkSize, settings.ChunkSize);
        Assert.DoesNotContain("s3cr3t", settings.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", settings.Relay!.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", new MsrpTestbedSettings.Raw { RelayPassword = "s3cr3t" }.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("msg-Abc123", "msg-Abc123")]
    [InlineData("../../etc/passwd", "______etc_passwd")]
    [InlineData("a/b", "a_b")]
    [InlineData("", "message")]
    public void Message_id_becomes_a_safe_file_name(string messageId, string expected) =>
        Assert.Equal(expected, MsrpTestbedEndpoint.FileNameFor(messageId));
}
