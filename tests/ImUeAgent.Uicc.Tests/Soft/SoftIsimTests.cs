// SPDX-License-Identifier: MIT
using System.Text.Json;
using ImUeAgent.Uicc.Aka;
using ImUeAgent.Uicc.Soft;

namespace ImUeAgent.Uicc.Tests.Soft;

public sealed class SoftIsimTests : IDisposable
{
    private const string K = "465b5ce8b199b49faa5f0a2ee238a6bc";
    private const string Op = "cdc202d5123e20f62b6d676ac72cb318";
    private const string Opc = "cd63cb71954a9f4e48a5994e37a02baf";
    private static readonly byte[] Amf = [0x80, 0x00];

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("imue-softisim-");
    private readonly ListLogger _logger = new();
    private int _randCounter;

    public void Dispose() => _directory.Delete(recursive: true);

    private string WriteKeyFile(string json, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        string name = "softisim.json")
    {
        var path = Path.Combine(_directory.FullName, name);
        File.WriteAllText(path, json);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    private static string KeyJson(string k = K, string? opc = Opc, string? op = null, string extra = "") =>
        "{ \"k\": \"" + k + "\"" +
        (opc is null ? string.Empty : ", \"opc\": \"" + opc + "\"") +
        (op is null ? string.Empty : ", \"op\": \"" + op + "\"") +
        ", \"amf\": \"8000\", \"impi\": \"user@ims.example.net\"" +
        ", \"impu\": [\"sip:user@ims.example.net\", \"tel:+15551234567\"], \"domain\": \"ims.example.net\"" +
        extra + " }";

    /// <summary>The network side (an HSS with Milenage) builds a challenge for <paramref name="sqn"/>.</summary>
    private (byte[] Rand, byte[] Autn, byte[] Xres, byte[] Ck, byte[] Ik) Challenge(Milenage network, ulong sqn)
    {
        var rand = new byte[16];
        rand[0] = 0x5A;
        rand[15] = (byte)++_randCounter;
        var sqnBytes = new byte[6];
        Milenage.WriteSqn(sqn, sqnBytes);
        var autn = new byte[16];
        network.ComputeAutn(rand, sqnBytes, Amf, autn);
        var xres = new byte[8];
        var ck = new byte[16];
        var ik = new byte[16];
        network.F2345(rand, xres, ck, ik, new byte[6]);
        return (rand, autn, xres, ck, ik);
    }

    private static Milenage Network(string k = K) => new(Hex.Bytes(k), Hex.Bytes(Opc));

    [Fact]
    public async Task Fresh_challenge_succeeds_and_replay_gets_auts_that_the_network_decodes()
    {
        var ct = TestContext.Current.CancellationToken;
        using var network = Network();
        using var isim = SoftIsim.Load(WriteKeyFile(KeyJson()), _logger);
        Assert.Equal("user@ims.example.net", isim.Identity.Impi);
        Assert.Equal(["sip:user@ims.example.net", "tel:+15551234567"], isim.Identity.Impus);
        Assert.Equal("ims.example.net", isim.Identity.HomeDomain);
        Assert.Equal(0UL, isim.HighestAcceptedSqn);

        var challenge = Challenge(network, 0x20);
        var success = Assert.IsType<AkaResult.Success>(await isim.AuthenticateAsync(challenge.Rand, challenge.Autn, ct));
        Assert.Equal(challenge.Xres, success.Res.ToArray());
        Assert.Equal(challenge.Ck, success.Ck.ToArray());
        Assert.Equal(challenge.Ik, success.Ik.ToArray());
        Assert.Equal(0x20UL, isim.HighestAcceptedSqn);

        // The same challenge again: a replay. AUTS carries SQN_MS = 0x20 back.
        var sync = Assert.IsType<AkaResult.SynchronisationFailure>(await isim.AuthenticateAsync(challenge.Rand, challenge.Autn, ct));
        var sqnMs = new byte[6];
        Assert.True(network.TryRecoverSqnMs(challenge.Rand, sync.Auts.Span, sqnMs));
        Assert.Equal(0x20UL, Milenage.ReadSqn(sqnMs));

        // An older SQN is refused too; the network's next SQN after resync is accepted.
        var older = Challenge(network, 0x1F);
        Assert.IsType<AkaResult.SynchronisationFailure>(await isim.AuthenticateAsync(older.Rand, older.Autn, ct));
        var next = Challenge(network, Milenage.ReadSqn(sqnMs) + 1);
        Assert.IsType<AkaResult.Success>(await isim.AuthenticateAsync(next.Rand, next.Autn, ct));

        // Nothing secret reached the log.
        foreach (var secret in new[] { K, Opc, Hex.Lower(success.Res), Hex.Lower(success.Ck), Hex.Lower(success.Ik) })
        {
            Assert.DoesNotContain(secret, _logger.All, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(secret, isim.ToString(), StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task Replay_is_refused_after_a_restart()
    {
        var ct = TestContext.Current.CancellationToken;
        using var network = Network();
        var keyFile = WriteKeyFile(KeyJson());
        var challenge = Challenge(network, 100);
        string statePath;
        using (var first = SoftIsim.Load(keyFile))
        {
            Assert.IsType<AkaResult.Success>(await first.AuthenticateAsync(challenge.Rand, challenge.Autn, ct));
            statePath = first.SqnStatePath;
        }

        Assert.Equal(Path.Combine(_directory.FullName, "softisim.sqn.json"), statePath);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(statePath));
        Assert.False(File.Exists(statePath + ".tmp"));

        using var restarted = SoftIsim.Load(keyFile);
        Assert.Equal(100UL, restarted.HighestAcceptedSqn);
        var sync = Assert.IsType<AkaResult.SynchronisationFailure>(await restarted.AuthenticateAsync(challenge.Rand, challenge.Autn, ct));
        var sqnMs = new byte[6];
        Assert.True(network.TryRecoverSqnMs(challenge.Rand, sync.Auts.Span, sqnMs));
        Assert.Equal(100UL, Milenage.ReadSqn(sqnMs));
    }

    [Fact]
    public async Task Wrong_k_is_a_mac_failure_and_changes_no_state()
    {
        var ct = TestContext.Current.CancellationToken;
        using var impostor = Network("000102030405060708090a0b0c0d0e0f");
        using var isim = SoftIsim.Load(WriteKeyFile(KeyJson()), _logger);
        var challenge = Challenge(impostor, 5);
        Assert.Same(AkaResult.MacFailure.Instance, await isim.AuthenticateAsync(challenge.Rand, challenge.Autn, ct));
        Assert.Equal(0UL, isim.HighestAcceptedSqn);
        Assert.False(File.Exists(isim.SqnStatePath));

        // A tampered AMF breaks MAC-A too.
        using var network = Network();
        var good = Challenge(network, 5);
        good.Autn[6] ^= 0x01;
        Assert.Same(AkaResult.MacFailure.Instance, await isim.AuthenticateAsync(good.Rand, good.Autn, ct));
    }

    [Theory]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, "0644")]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.GroupRead, "0440")]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherWrite, "0602")]
    public void Key_file_readable_by_others_is_refused(UnixFileMode mode, string octal)
    {
        var path = WriteKeyFile(KeyJson(), mode);
        var error = Assert.Throws<UiccException>(() => SoftIsim.Load(path));
        Assert.Equal(UiccErrorReason.KeyFileInsecure, error.Reason);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains(octal, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(K, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Owner_only_modes_are_accepted()
    {
        using var isim = SoftIsim.Load(WriteKeyFile(KeyJson(), UnixFileMode.UserRead));
        Assert.Equal(new byte[] { 0x80, 0x00 }, isim.Amf.ToArray());
    }

    [Fact]
    public async Task Op_is_turned_into_opc_and_matches_ts_35_208_set_1()
    {
        // Set 1 of TS 35.208 with its SQN far above 0: a window wide enough to accept the jump.
        var path = WriteKeyFile(KeyJson(opc: null, op: Op, extra: ", \"sqnDelta\": 281474976710655"));
        using var isim = SoftIsim.Load(path);
        var rand = Hex.Bytes("23553cbe9637a89d218ae64dae47bf35");
        var autn = Hex.Bytes("55f328b43577b9b94a9ffac354dfafb3");
        var success = Assert.IsType<AkaResult.Success>(await isim.AuthenticateAsync(rand, autn, TestContext.Current.CancellationToken));
        Assert.Equal("a54211d5e3ba50bf", Hex.Lower(success.Res));
        Assert.Equal("b40ba9a3c58b2a05bbf0d987b21bf8cb", Hex.Lower(success.Ck));
        Assert.Equal("f769bcd751044604127672711c6d3441", Hex.Lower(success.Ik));
        Assert.Equal(0xff9bb4d0b607UL, isim.HighestAcceptedSqn);
    }

    [Fact]
    public async Task Sqn_beyond_the_window_is_resynchronised()
    {
        var ct = TestContext.Current.CancellationToken;
        using var network = Network();
        using var isim = SoftIsim.Load(WriteKeyFile(KeyJson(extra: ", \"sqnDelta\": 10")));
        var far = Challenge(network, 11);
        var sync = Assert.IsType<AkaResult.SynchronisationFailure>(await isim.AuthenticateAsync(far.Rand, far.Autn, ct));
        var sqnMs = new byte[6];
        Assert.True(network.TryRecoverSqnMs(far.Rand, sync.Auts.Span, sqnMs));
        Assert.Equal(0UL, Milenage.ReadSqn(sqnMs));

        var near = Challenge(network, 10);
        Assert.IsType<AkaResult.Success>(await isim.AuthenticateAsync(near.Rand, near.Autn, ct));
        var step = Challenge(network, 20);
        Assert.IsType<AkaResult.Success>(await isim.AuthenticateAsync(step.Rand, step.Autn, ct));
    }

    [Fact]
    public async Task Ind_slots_accept_vectors_out_of_order()
    {
        var ct = TestContext.Current.CancellationToken;
        using var network = Network();
        using var isim = SoftIsim.Load(WriteKeyFile(KeyJson(extra: ", \"indBits\": 5")));

        // SQN = SEQ ‖ IND (5 bits). SEQ 2 with IND 3 first, then SEQ 1 with IND 4: another slot, still fresh.
        var later = Challenge(network, (2UL << 5) | 3);
        var earlier = Challenge(network, (1UL << 5) | 4);
        Assert.IsType<AkaResult.Success>(await isim.AuthenticateAsync(later.Rand, later.Autn, ct));
        Assert.IsType<AkaResult.Success>(await isim.AuthenticateAsync(earlier.Rand, earlier.Autn, ct));

        // SEQ 1 in slot 3 is behind SEQ 2 there: refused, with SQN_MS the highest anywhere.
        var stale = Challenge(network, (1UL << 5) | 3);
        var sync = Assert.IsType<AkaResult.SynchronisationFailure>(await isim.AuthenticateAsync(stale.Rand, stale.Autn, ct));
        var sqnMs = new byte[6];
        Assert.True(network.TryRecoverSqnMs(stale.Rand, sync.Auts.Span, sqnMs));
        Assert.Equal((2UL << 5) | 3, Milenage.ReadSqn(sqnMs));
    }

    [Theory]
    [InlineData("{ \"k\": \"465b\" }", "'k' must be 32 hex digits")]
    [InlineData("{ \"opc\": \"" + Opc + "\" }", "'k' is missing")]
    [InlineData("{ \"k\": \"" + K + "\" }", "exactly one of 'opc' and 'op'")]
    [InlineData("{ \"k\": \"" + K + "\", \"opc\": \"" + Opc + "\", \"op\": \"" + Op + "\" }", "exactly one of 'opc' and 'op'")]
    [InlineData("{ \"k\": \"" + K + "\", \"opc\": \"zz63cb71954a9f4e48a5994e37a02baf\" }", "'opc' must be 32 hex digits")]
    [InlineData("{ \"k\": \"" + K + "\", \"opc\": \"" + Opc + "\", \"impu\": [\"sip:a@b\"], \"domain\": \"b\" }", "'impi' is missing")]
    [InlineData("{ \"k\": \"" + K + "\", \"opc\": \"" + Opc + "\", \"impi\": \"a@b\", \"impu\": [], \"domain\": \"b\" }", "'impu'")]
    [InlineData("{ \"k\": \"" + K + "\", \"opc\": \"" + Opc + "\", \"impi\": \"a@b\", \"impu\": [\"sip:a@b\"] }", "'domain'")]
    [InlineData("{ \"k\": \"" + K + "\", \"kk\": 1 }", "JSON error at $")]
    [InlineData("{ \"k\": \"465b5ce8b199b49faa5f0a2ee238a6b", "JSON error")]
    [InlineData("null", "no JSON object")]
    public void Invalid_key_files_name_the_problem_but_not_the_value(string json, string expected)
    {
        var error = Assert.Throws<UiccException>(() => SoftIsim.Load(WriteKeyFile(json)));
        Assert.Equal(UiccErrorReason.KeyFileInvalid, error.Reason);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("465b5ce8", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Opc[..8], error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Null(error.InnerException);
    }

    [Fact]
    public void Missing_key_file_and_damaged_state_are_errors()
    {
        var missing = Assert.Throws<UiccException>(() => SoftIsim.Load(Path.Combine(_directory.FullName, "absent.json")));
        Assert.Equal(UiccErrorReason.KeyFileUnreadable, missing.Reason);

        var path = WriteKeyFile(KeyJson(extra: ", \"sqnFile\": \"state/sqn.json\""));
        Directory.CreateDirectory(Path.Combine(_directory.FullName, "state"));
        var statePath = Path.Combine(_directory.FullName, "state", "sqn.json");
        foreach (var damaged in new[] { "{", "{}", "{ \"sqnMs\": [\"12\"] }", "{ \"sqnMs\": [\"zzzzzzzzzzzz\"] }" })
        {
            File.WriteAllText(statePath, damaged);
            var error = Assert.Throws<UiccException>(() => SoftIsim.Load(path));
            Assert.Equal(UiccErrorReason.SqnStateInvalid, error.Reason);
            Assert.Contains(statePath, error.Message, StringComparison.Ordinal);
        }

        File.WriteAllText(statePath, "{ \"sqnMs\": [\"00000000002a\"] }");
        using var isim = SoftIsim.Load(path);
        Assert.Equal(statePath, isim.SqnStatePath);
        Assert.Equal(42UL, isim.HighestAcceptedSqn);
    }

    [Fact]
    public async Task State_file_holds_the_accepted_sqn()
    {
        using var network = Network();
        using var isim = SoftIsim.Load(WriteKeyFile(KeyJson()));
        var challenge = Challenge(network, 0xABCDEF);
        await isim.AuthenticateAsync(challenge.Rand, challenge.Autn, TestContext.Current.CancellationToken);
        using var state = JsonDocument.Parse(File.ReadAllText(isim.SqnStatePath));
        Assert.Equal(["000000abcdef"], state.RootElement.GetProperty("sqnMs").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Bad_lengths_and_disposal()
    {
        var ct = TestContext.Current.CancellationToken;
        var isim = SoftIsim.Load(WriteKeyFile(KeyJson()));
        await Assert.ThrowsAsync<ArgumentException>(async () => await isim.AuthenticateAsync(new byte[15], new byte[16], ct));
        await Assert.ThrowsAsync<ArgumentException>(async () => await isim.AuthenticateAsync(new byte[16], new byte[17], ct));
        isim.Dispose();
        isim.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await isim.AuthenticateAsync(new byte[16], new byte[16], ct));
    }
}
