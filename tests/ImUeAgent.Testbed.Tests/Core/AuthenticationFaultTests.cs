// SPDX-License-Identifier: MIT
using ImUeAgent.Testbed.Core;

namespace ImUeAgent.Testbed.Tests.Core;

/// <summary>The `desync` and `mac-failure` control commands against the running core over loopback UDP.</summary>
public sealed class AuthenticationFaultTests
{
    /// <summary>Sends a fault line; the dispatch of HSS faults lives in ImsCore.ApplyControlAsync.</summary>
    private static async Task ArmAsync(CoreFixture core, string line) =>
        Assert.StartsWith("OK next ", await FaultAsync(core, line), StringComparison.Ordinal);

    private static Task<string> FaultAsync(CoreFixture core, string line) => core.ControlAsync(line);

    [Fact]
    public async Task Desync_gives_a_stale_challenge_then_AUTS_resynchronises_and_the_UE_registers()
    {
        await using var core = CoreFixture.Start();
        await using var ue = await TestUe.ConnectAsync(core.Udp, tcp: false);
        await ue.RegisterAsync();
        await ArmAsync(core, "desync " + CoreFixture.Impi);

        // A fresh registration (new Call-ID, nonce="") is challenged with the provisioned SQN 0: MAC-A right, SQN old.
        ue.CallId = Guid.NewGuid().ToString("N");
        var stale = await ue.SendAndReceiveAsync(ue.Register(ue.InitialAuthorization()));
        Assert.Equal(401, stale.StatusCode);
        var nonce = stale.Headers.WwwAuthenticate[0].Nonce!;
        var aka = ue.Aka(nonce);
        Assert.True(aka.MacValid);
        Assert.Equal(0UL, aka.Sqn);

        // The card's SQN_MS is the first vector it took: (1 << 5) | 1.
        const ulong sqnMs = (1UL << 5) | 1;
        var resync = $"Digest username=\"{ue.Impi}\", realm=\"{CoreFixture.Domain}\", uri=\"sip:{CoreFixture.Domain}\", nonce=\"{nonce}\", response=\"\", auts=\"{ue.Auts(nonce, sqnMs)}\"";
        var fresh = await ue.SendAndReceiveAsync(ue.Register(resync));
        Assert.Equal(401, fresh.StatusCode);
        aka = ue.Aka(fresh.Headers.WwwAuthenticate[0].Nonce!);
        Assert.True(aka.MacValid);
        Assert.Equal((2UL << 5) | 2, aka.Sqn);
        Assert.Equal(200, (await ue.SendAndReceiveAsync(ue.Register(ue.Answer(fresh)))).StatusCode);
        // The message log shows the re-synchronisation REGISTER, and no fault is left armed.
        Assert.Contains(core.Log.Lines, l => l.Contains("\"in\"", StringComparison.Ordinal) && l.Contains("auts=", StringComparison.Ordinal));
        Assert.EndsWith(" faults=0", await core.ControlAsync("status"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mac_failure_spoils_the_next_challenge_only_and_the_UE_report_gets_403()
    {
        await using var core = CoreFixture.Start();
        await using var ue = await TestUe.ConnectAsync(core.Udp, tcp: false);
        await ArmAsync(core, "mac-failure " + CoreFixture.Impi + " 1");
        Assert.EndsWith(" faults=1", await core.ControlAsync("status"), StringComparison.Ordinal);

        var spoilt = await ue.SendAndReceiveAsync(ue.Register(ue.InitialAuthorization()));
        Assert.Equal(401, spoilt.StatusCode);
        var nonce = spoilt.Headers.WwwAuthenticate[0].Nonce!;
        Assert.False(ue.Aka(nonce).MacValid);

        // RFC 3310 §3.3 / TS 24.229 §5.1.1.5.3: the UE answers with an empty response and no auts.
        var report = $"Digest username=\"{ue.Impi}\", realm=\"{CoreFixture.Domain}\", uri=\"sip:{CoreFixture.Domain}\", nonce=\"{nonce}\", response=\"\"";
        Assert.Equal(403, (await ue.SendAndReceiveAsync(ue.Register(report))).StatusCode);

        // The count is used up: the next registration has a MAC-A that verifies.
        ue.CallId = Guid.NewGuid().ToString("N");
        await ue.RegisterAsync();
    }

    [Theory]
    [InlineData("desync nobody@ims.example", "ERROR unknown private identity")]
    [InlineData("mac-failure 001010123456789", "ERROR argument is not a private identity (user@realm)")]
    [InlineData("desync " + CoreFixture.Impi + " 5000", "ERROR argument is not a number in range")]
    public async Task Bad_fault_lines_get_an_error_naming_the_problem(string line, string answer)
    {
        await using var core = CoreFixture.Start();
        Assert.Equal(answer, await FaultAsync(core, line));
    }
}
