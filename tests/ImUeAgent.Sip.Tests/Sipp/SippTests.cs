// SPDX-License-Identifier: MIT
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ImUeAgent.Sip.Auth;
using ImUeAgent.Sip.Dialogs;
using ImUeAgent.Sip.Message;
using ImUeAgent.Sip.Tests.Message;
using ImUeAgent.Sip.Transport;
using ImUeAgent.Sip.Ua;

namespace ImUeAgent.Sip.Tests.Sipp;

/// <summary>The stack against a real peer: SIPp (Debian sip-tester) on loopback, as UAS for our UAC and as UAC for
/// our UAS, over UDP and TCP. Scenarios live beside this file.</summary>
public sealed class SippTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string ScenarioPath(string name) => Path.Combine(TestData.RepoRoot, "tests", "ImUeAgent.Sip.Tests", "Sipp", name);

    [Theory]
    [InlineData(SipTransportKind.Udp)]
    [InlineData(SipTransportKind.Tcp)]
    public async Task OurUacRegistersWithDigestSendsMessageAndCallsSipp(SipTransportKind transport)
    {
        int sippPort = FreePort();
        await using SippProcess sipp = await SippProcess.StartAsync(ScenarioPath("uas-register-message-invite.xml"), sippPort, transport, remote: null);
        await using SipUserAgent ua = SipUserAgent.Create(IPAddress.Loopback, new SipUserAgentSettings { PreferredTransport = transport });
        ua.Authenticator = new SipAuthenticator([new DigestPasswordCredentials("alice", "secret")]);
        ua.OutboundProxy = new SipTransportAddress(transport, new IPEndPoint(IPAddress.Loopback, sippPort));
        ua.Start();

        // SIPp keys its calls by Call-ID, so this conversation keeps one.
        string callId = SipUserAgent.NewTag() + "@127.0.0.1";
        string fromTag = SipUserAgent.NewTag();
        SipUri aor = SipUri.Parse("sip:alice@sipp.test");
        SipMessageBuilder Start(SipMethod method, SipUri uri, uint cseq, NameAddress to) => SipMessageBuilder.Request(method, uri)
            .From(new NameAddress(aor, null, new SipParameter("tag", fromTag)))
            .To(to)
            .CallId(callId)
            .CSeq(cseq, method)
            .Contact(new ContactValue(new NameAddress(ua.ContactUri("alice"))));

        SipResponse registered = await ua.SendAsync(
            Start(SipMethod.Register, SipUri.Parse("sip:sipp.test"), 1, new NameAddress(aor)).Add(SipHeaderId.Expires, "600").BuildRequest(),
            cancellationToken: Ct).WaitAsync(Bound, Ct);
        Assert.Equal(200, registered.StatusCode);
        Assert.Single(registered.Headers.ServiceRoute);

        SipUri bob = SipUri.Parse($"sip:bob@127.0.0.1:{sippPort}");
        SipResponse delivered = await ua.SendAsync(
            Start(SipMethod.Message, bob, 3, new NameAddress(bob)).Body(new MediaType("text", "plain"), Encoding.UTF8.GetBytes("hello sipp")).BuildRequest(),
            cancellationToken: Ct).WaitAsync(Bound, Ct);
        Assert.Equal(200, delivered.StatusCode);

        var provisional = new List<int>();
        SipInviteResult call = await ua.InviteAsync(Start(SipMethod.Invite, bob, 4, new NameAddress(bob)).BuildRequest(), r => provisional.Add(r.StatusCode), cancellationToken: Ct)
            .WaitAsync(Bound, Ct);
        Assert.Equal(200, call.Response.StatusCode);
        Assert.Contains(180, provisional);
        SipDialog dialog = Assert.IsType<SipDialog>(call.Dialog);

        SipResponse bye = await ua.ByeAsync(dialog, Ct).WaitAsync(Bound, Ct);
        Assert.Equal(200, bye.StatusCode);
        Assert.Equal(0, await sipp.WaitForExitAsync(Bound));
    }

    [Theory]
    [InlineData(SipTransportKind.Udp)]
    [InlineData(SipTransportKind.Tcp)]
    public async Task SippUacSendsMessageAndCallsOurUas(SipTransportKind transport)
    {
        await using SipUserAgent ua = SipUserAgent.Create(IPAddress.Loopback, new SipUserAgentSettings { PreferredTransport = transport });
        var messages = new List<string>();
        ua.SetHandler(SipMethod.Message, (tx, _) =>
        {
            messages.Add(Encoding.UTF8.GetString(tx.Request.Body.Span));
            Assert.Equal(IPAddress.Loopback, tx.Source.EndPoint.Address);
            Assert.Equal(transport, tx.Source.Transport);
            tx.Respond(SipMessageBuilder.ResponseTo(tx.Request, 200, toTag: SipUserAgent.NewTag()).BuildResponse());
            return ValueTask.CompletedTask;
        });
        ua.SetHandler(SipMethod.Invite, (tx, _) =>
        {
            string tag = SipUserAgent.NewTag();
            ua.Dialogs.Add(SipDialog.CreateUas(tx.Request, tag));
            tx.Respond(SipMessageBuilder.ResponseTo(tx.Request, 180, toTag: tag).BuildResponse());
            tx.Respond(SipMessageBuilder.ResponseTo(tx.Request, 200, toTag: tag).Contact(new ContactValue(new NameAddress(ua.ContactUri("ue", transport)))).BuildResponse());
            return ValueTask.CompletedTask;
        });
        ua.Start();
        int ourPort = ua.Transports.Find(transport)!.LocalEndPoint.Port;

        await using SippProcess sipp = await SippProcess.StartAsync(ScenarioPath("uac-message-invite.xml"), FreePort(), transport, remote: new IPEndPoint(IPAddress.Loopback, ourPort));
        Assert.Equal(0, await sipp.WaitForExitAsync(Bound));
        Assert.Equal(["hello from sipp"], messages.Select(m => m.TrimEnd()));
        Assert.Equal(0, ua.Dialogs.Count);   // the BYE ended the dialog
    }

    /// <summary>A port free for both UDP and TCP on loopback, found by binding port 0.</summary>
    private static int FreePort()
    {
        for (int attempt = 0; attempt < 20; attempt++)
        {
            using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            int port = ((IPEndPoint)udp.LocalEndPoint!).Port;
            using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                tcp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
                // Taken for TCP: try another.
            }
        }

        throw new InvalidOperationException("No free loopback port");
    }

    /// <summary>One sipp run, killed by its pid when disposed if still running.</summary>
    private sealed class SippProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        private SippProcess(Process process) => _process = process;

        public static async Task<SippProcess> StartAsync(string scenario, int port, SipTransportKind transport, IPEndPoint? remote)
        {
            string sipp = await EnsureSippAsync();
            var psi = new ProcessStartInfo(sipp)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = false,
                UseShellExecute = false,
                WorkingDirectory = Path.GetTempPath(),
            };
            if (remote is not null)
            {
                psi.ArgumentList.Add(remote.ToString());
            }

            foreach (string a in new[] { "-sf", scenario, "-i", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "-m", "1", "-t", transport == SipTransportKind.Udp ? "u1" : "t1", "-nostdin", "-timeout", "25s", "-timeout_error", "-max_recv_loops", "1000" })
            {
                psi.ArgumentList.Add(a);
            }

            var process = new Process { StartInfo = psi };
            var run = new SippProcess(process);
            process.OutputDataReceived += (_, e) => run.OnLine(e.Data);
            process.ErrorDataReceived += (_, e) => run.OnLine(e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                await run.WaitUntilBoundAsync(port, transport);
            }
            catch
            {
                await run.DisposeAsync();
                throw;
            }

            return run;
        }

        /// <summary>Waits until sipp's socket shows in /proc/net (read-only: probing by binding would race with it),
        /// or sipp exits.</summary>
        private async Task WaitUntilBoundAsync(int port, SipTransportKind transport)
        {
            string table = transport == SipTransportKind.Udp ? "/proc/net/udp" : "/proc/net/tcp";
            string portHex = ":" + port.ToString("X4", System.Globalization.CultureInfo.InvariantCulture);
            DateTime deadline = DateTime.UtcNow.AddSeconds(15);
            while (true)
            {
                foreach (string line in await File.ReadAllLinesAsync(table, TestContext.Current.CancellationToken))
                {
                    string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    // local_address is field 1; TCP sockets must be listening (st 0A).
                    if (f.Length > 3 && f[1].EndsWith(portHex, StringComparison.Ordinal) && (transport == SipTransportKind.Udp || f[3] == "0A"))
                    {
                        return;
                    }
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException("sipp did not bind port " + port + ": " + Output);
                }

                try
                {
                    // Wait on sipp itself: an early exit (bad scenario) ends the wait at once.
                    await _process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromMilliseconds(50), TestContext.Current.CancellationToken);
                    throw new InvalidOperationException("sipp exited early (" + _process.ExitCode + "): " + Output);
                }
                catch (TimeoutException)
                {
                    // Still starting.
                }
            }
        }

        public async Task<int> WaitForExitAsync(TimeSpan bound)
        {
            try
            {
                await _process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(bound, TestContext.Current.CancellationToken);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException("sipp did not finish: " + Output);
            }

            if (_process.ExitCode != 0)
            {
                TestContext.Current.SendDiagnosticMessage("sipp output: " + Output);
            }

            return _process.ExitCode;
        }

        private string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        private void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_output)
            {
                if (_output.Length < 64 * 1024)
                {
                    _output.AppendLine(line);
                }
            }
        }

        public ValueTask DisposeAsync()
        {
            try
            {
                if (!_process.HasExited)
                {
                    // Stop exactly the process we started, by its pid.
                    Process.GetProcessById(_process.Id).Kill();
                    _process.WaitForExit(5000);
                }
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or System.ComponentModel.Win32Exception)
            {
                // Already gone.
            }

            _process.Dispose();
            return ValueTask.CompletedTask;
        }

        private static async Task<string> EnsureSippAsync()
        {
            if (Which("sipp") is { } found)
            {
                return found;
            }

            string script = Path.Combine(TestData.RepoRoot, "scripts", "ensure-packages.sh");
            using var install = Process.Start(new ProcessStartInfo(script, "sip-tester") { UseShellExecute = false })!;
            await install.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromMinutes(5), TestContext.Current.CancellationToken);
            return Which("sipp") ?? throw new InvalidOperationException("sipp is not installed and scripts/ensure-packages.sh sip-tester did not install it");
        }

        private static string? Which(string name)
        {
            foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':'))
            {
                string candidate = Path.Combine(dir, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            return null;
        }
    }
}
