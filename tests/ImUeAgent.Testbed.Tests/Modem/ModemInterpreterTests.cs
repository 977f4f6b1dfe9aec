// SPDX-License-Identifier: MIT
using System.Net;
using ImUeAgent.Testbed.Modem;

namespace ImUeAgent.Testbed.Tests.Modem;

public sealed class ModemInterpreterTests
{
    [Fact]
    public void Basic_commands_and_identity()
    {
        using var modem = new ModemFixture();
        Assert.Equal(["OK"], modem.Run("AT"));
        Assert.Equal(["ImUeAgent", "Testbed-LTE", "Revision: TB01R01", "OK"], modem.Run("ATI"));
        Assert.Equal(["ImUeAgent", "OK"], modem.Run("AT+CGMI"));
        Assert.Equal(["Testbed-LTE", "OK"], modem.Run("AT+CGMM"));
        Assert.Equal(["TB01R01", "OK"], modem.Run("AT+CGMR"));
        Assert.Equal(["350000000000017", "OK"], modem.Run("AT+CGSN"));
        Assert.Equal(["+CGSN: \"350000000000017\"", "OK"], modem.Run("AT+CGSN=1"));
        Assert.Equal(["001010123456789", "OK"], modem.Run("AT+CIMI"));
        Assert.Equal(["ERROR"], modem.Run("AT+FOO"));
        Assert.Equal(["ERROR"], modem.Run("ATX"));
        Assert.Empty(modem.Run("no command here"));
    }

    [Fact]
    public void Echo_and_verbose_flags_follow_E_and_V_and_Z_restores_them()
    {
        using var modem = new ModemFixture();
        Assert.True(modem.Interpreter.EchoEnabled);
        modem.Run("ATE0V0");
        Assert.False(modem.Interpreter.EchoEnabled);
        Assert.False(modem.Interpreter.Verbose);
        Assert.Equal("0\r", modem.Interpreter.Execute("AT").Format(verbose: false));
        Assert.Equal("4\r", modem.Interpreter.Execute("AT+FOO").Format(verbose: false));
        modem.Run("ATZ");
        Assert.True(modem.Interpreter.EchoEnabled);
        Assert.Equal("\r\nTB01R01\r\n\r\nOK\r\n", modem.Interpreter.Execute("AT+CGMR").Format(verbose: true));
    }

    [Fact]
    public void Cmee_chooses_between_error_numeric_and_verbose()
    {
        using var modem = new ModemFixture();
        Assert.Equal(["ERROR"], modem.Run("AT+CGACT=1,9"));
        Assert.Equal(["OK"], modem.Run("AT+CMEE=1"));
        Assert.Equal(["+CME ERROR: 50"], modem.Run("AT+CGACT=1,9"));
        modem.Run("AT+CMEE=2");
        Assert.Equal(["+CME ERROR: incorrect parameters"], modem.Run("AT+CGACT=1,9"));
        Assert.Equal(["+CMEE: 2", "OK"], modem.Run("AT+CMEE?"));
        Assert.Equal(["+CMEE: (0-2)", "OK"], modem.Run("AT+CMEE=?"));
        Assert.Equal(["+CME ERROR: incorrect parameters"], modem.Run("AT+CMEE=3"));
    }

    [Fact]
    public void Cme_error_then_ok_quirk_adds_a_spurious_ok()
    {
        using var modem = new ModemFixture(new ModemSettings { Quirks = ModemQuirks.CmeErrorThenOk });
        modem.Run("AT+CMEE=1");
        Assert.Equal(["+CME ERROR: 50", "OK"], modem.Run("AT+CGACT=1,9"));
        Assert.Equal("\r\n+CME ERROR: 50\r\n\r\nOK\r\n", modem.Interpreter.Execute("AT+CGACT=1,9").Format(verbose: true));
    }

    [Fact]
    public void An_error_stops_the_rest_of_the_line()
    {
        using var modem = new ModemFixture();
        Assert.Equal(["ImUeAgent", "ERROR"], modem.Run("AT+CGMI;+NOPE;+CMEE=2"));
        Assert.Equal(["+CMEE: 0", "OK"], modem.Run("AT+CMEE?"));
    }

    [Fact]
    public void Sim_is_busy_at_first_then_ready_with_a_urc()
    {
        using var modem = new ModemFixture(new ModemSettings { SimBusy = TimeSpan.FromSeconds(2) });
        modem.Run("AT+CMEE=1");
        Assert.Equal(["+CME ERROR: 14"], modem.Run("AT+CPIN?"));
        Assert.Equal(["+CME ERROR: 14"], modem.Run("AT+CIMI"));
        Assert.Equal(["+CME ERROR: 14"], modem.Run("AT+CCHO=\"A0000000871004\""));
        modem.Time.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.Equal(["+CME ERROR: 14"], modem.Run("AT+CPIN?"));
        modem.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(["+CPIN: READY"], modem.Urcs());
        Assert.Equal(["+CPIN: READY", "OK"], modem.Run("AT+CPIN?"));
    }

    [Fact]
    public void Attach_reports_searching_then_registered_through_cereg_urcs()
    {
        using var modem = new ModemFixture();
        Assert.Equal(["OK"], modem.Run("AT+CEREG=2"));
        Assert.Equal(["+CEREG: 2,2", "OK"], modem.Run("AT+CEREG?"));
        modem.Time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Equal(["+CEREG: 1,\"0001\",\"00000101\",7"], modem.Urcs());
        Assert.Equal(["+CEREG: 2,1,\"0001\",\"00000101\",7", "OK"], modem.Run("AT+CEREG?"));
        Assert.Equal(["+CREG: 0,1", "OK"], modem.Run("AT+CREG?"));
        Assert.Equal(["+CGATT: 1", "OK"], modem.Run("AT+CGATT?"));
        Assert.Equal(["+CEREG: (0-3)", "OK"], modem.Run("AT+CEREG=?"));
    }

    [Fact]
    public void Denied_attach_reports_stat_3_with_the_reject_cause()
    {
        using var modem = new ModemFixture(new ModemSettings { DenyAttachCause = 15 });
        modem.Run("AT+CEREG=3");
        modem.Run("AT+CREG=1");
        modem.Time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Equal(["+CEREG: 3,,,,0,15", "+CREG: 3"], modem.Urcs());
        Assert.Equal(["+CEREG: 3,3,,,,0,15", "OK"], modem.Run("AT+CEREG?"));
        modem.Run("AT+CMEE=1");
        modem.Run("AT+CGDCONT=2,\"IPV4V6\",\"ims\"");
        Assert.Equal(["+CME ERROR: 30"], modem.Run("AT+CGACT=1,2"));

        modem.Interpreter.AllowAttach();
        modem.Time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Equal(["+CEREG: 2", "+CREG: 2", "+CEREG: 1,\"0001\",\"00000101\",7", "+CREG: 1"], modem.Urcs());
    }

    [Fact]
    public void Control_deny_detaches_an_attached_mt()
    {
        using var modem = new ModemFixture(new ModemSettings { InitialCgerep = 2 });
        modem.Attached();
        modem.Run("AT+CEREG=3");
        modem.Interpreter.DenyAttach(7);
        modem.Time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Equal(["+CGEV: NW DETACH", "+CEREG: 2", "+CEREG: 3,,,,0,7"], modem.Urcs());
    }

    [Fact]
    public void Cfun_zero_detaches_and_one_attaches_again()
    {
        using var modem = new ModemFixture();
        modem.Attached();
        modem.Run("AT+CEREG=1");
        Assert.Equal(["OK"], modem.Run("AT+CFUN=4"));
        Assert.Equal(["+CEREG: 0"], modem.Urcs());
        Assert.Equal(["+CFUN: 4", "OK"], modem.Run("AT+CFUN?"));
        modem.Run("AT+CFUN=1");
        modem.Time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Equal(["+CEREG: 2", "+CEREG: 1"], modem.Urcs());
        Assert.Equal(["ERROR"], modem.Run("AT+CFUN=2"));
    }

    [Fact]
    public void Cfun_reset_loses_state_and_says_rdy()
    {
        using var modem = new ModemFixture();
        modem.Attached();
        modem.Run("ATE0;+CMEE=2");
        Assert.Equal(["OK"], modem.Run("AT+CFUN=1,1"));
        Assert.Equal(["RDY", "+CPIN: READY"], modem.Urcs());
        Assert.True(modem.Interpreter.EchoEnabled);
        Assert.Equal(["+CMEE: 0", "OK"], modem.Run("AT+CMEE?"));
        Assert.Equal(["+CGATT: 0", "OK"], modem.Run("AT+CGATT?"));
    }

    [Fact]
    public void Cgdcont_stores_ims_parameters_and_answers_them()
    {
        using var modem = new ModemFixture();
        Assert.Equal(["OK"], modem.Run("AT+CGDCONT=2,\"IPV4V6\",\"ims\",,0,0,0,0,1,1"));
        Assert.Equal(
            ["+CGDCONT: 1,\"IPV4V6\",\"internet\",\"\",0,0,0,0,0,0", "+CGDCONT: 2,\"IPV4V6\",\"ims\",\"\",0,0,0,0,1,1", "OK"],
            modem.Run("AT+CGDCONT?"));
        Assert.Equal(["OK"], modem.Run("AT+CGDCONT=1"));
        Assert.Single(modem.Run("AT+CGDCONT?"), l => l.StartsWith("+CGDCONT:", StringComparison.Ordinal));
        modem.Run("AT+CMEE=1");
        Assert.Equal(["+CME ERROR: 50"], modem.Run("AT+CGDCONT=3,\"X25\",\"x\""));
        Assert.Equal(["+CME ERROR: 50"], modem.Run("AT+CGDCONT=16,\"IP\",\"x\""));
        Assert.Equal(["+CME ERROR: 50"], modem.Run("AT+CGDCONT=3,\"IP\",\"x\",,0,0,0,0,3"));
        Assert.Equal(3, modem.Run("AT+CGDCONT=?").Count(l => l.StartsWith("+CGDCONT: (1-15)", StringComparison.Ordinal)));
    }

    [Fact]
    public void Cgact_brings_up_the_ims_pdn_with_cgev_and_addresses()
    {
        using var modem = new ModemFixture(new ModemSettings { InitialCgerep = 1 });
        modem.Attached();
        modem.Run("AT+CGDCONT=2,\"IPV4V6\",\"ims\",,,,,,1,1");
        Assert.Equal(["OK"], modem.Run("AT+CGACT=1,2"));
        Assert.Equal(["+CGEV: ME PDN ACT 2"], modem.Urcs());
        Assert.Equal(["+CGACT: 1,0", "+CGACT: 2,1", "OK"], modem.Run("AT+CGACT?"));
        Assert.Equal(["+CGPADDR: 2,\"127.0.0.1\",\"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1\"", "OK"], modem.Run("AT+CGPADDR=2"));
        modem.Run("AT+CGPIAF=1,0,0,1");
        Assert.Equal(["+CGPADDR: 1", "+CGPADDR: 2,\"127.0.0.1\",\"::1\"", "OK"], modem.Run("AT+CGPADDR"));
        Assert.Equal(["OK"], modem.Run("AT+CGACT=0,2"));
        Assert.Equal(["+CGEV: ME PDN DEACT 2"], modem.Urcs());
    }

    [Fact]
    public void Cgev_is_not_forwarded_under_cgerep_zero()
    {
        using var modem = new ModemFixture();
        modem.Attached();
        modem.Run("AT+CGACT=1,1");
        Assert.Empty(modem.Urcs());
        Assert.Equal(["+CGEREP: 0,0", "OK"], modem.Run("AT+CGEREP?"));
        modem.Run("AT+CGEREP=2,1");
        modem.Run("AT+CGACT=0,1");
        Assert.Equal(["+CGEV: ME PDN DEACT 1"], modem.Urcs());
    }

    private static ModemFixture ImsPdnUp(ModemSettings settings, string cgpiaf = "0,0,0,0")
    {
        var modem = new ModemFixture(settings).Attached();
        modem.Run("AT+CGPIAF=" + cgpiaf);
        modem.Run("AT+CGDCONT=2,\"IPV4V6\",\"ims\",,,,,,1,1");
        modem.Run("AT+CGACT=1,2");
        return modem;
    }

    private static readonly ModemSettings Addresses = new()
    {
        UeIpv4 = IPAddress.Parse("10.45.0.7"),
        Ipv4PrefixLength = 24,
        GatewayIpv4 = IPAddress.Parse("10.45.0.1"),
        UeIpv6 = IPAddress.Parse("2001:db8::7"),
        Ipv6PrefixLength = 64,
        GatewayIpv6 = IPAddress.Parse("2001:db8::1"),
        Dns = [IPAddress.Parse("10.45.0.53")],
        Pcscf = [IPAddress.Parse("10.45.0.10"), IPAddress.Parse("2001:db8::10")],
    };

    [Fact]
    public void Cgcontrdp_post_v940_layout_puts_the_pcscf_in_the_eighth_field()
    {
        using var modem = ImsPdnUp(Addresses);
        var lines = modem.Run("AT+CGCONTRDP=2");
        Assert.Equal(
            "+CGCONTRDP: 2,6,\"ims\",\"10.45.0.7.255.255.255.0\",\"10.45.0.1\",\"10.45.0.53\",\"\",\"10.45.0.10\",\"32.1.13.184.0.0.0.0.0.0.0.0.0.0.0.16\",1,0,1500",
            lines[0]);
        Assert.Equal("OK", lines[^1]);
        var fields = lines[0]["+CGCONTRDP: ".Length..].Split(',');
        Assert.Equal("\"10.45.0.10\"", fields[7]);
        Assert.Equal(lines, modem.Run("AT+CGCONTRDP"));
    }

    [Fact]
    public void Cgcontrdp_follows_cgpiaf_for_ipv6()
    {
        using var modem = ImsPdnUp(Addresses with { UeIpv4 = IPAddress.Parse("10.45.0.7") }, "1,1,0,1");
        modem.Run("AT+CGACT=0,2");
        modem.Run("AT+CGDCONT=2,\"IPV6\",\"ims\",,,,,,1,1");
        modem.Run("AT+CGACT=1,2");
        Assert.Equal(
            "+CGCONTRDP: 2,6,\"ims\",\"2001:DB8::7/64\",\"2001:DB8::1\",\"\",\"\",\"2001:DB8::10\",\"\",1,0,",
            modem.Run("AT+CGCONTRDP=2")[0]);
    }

    [Fact]
    public void Cgcontrdp_old_layout_shifts_the_pcscf_by_the_mask_field()
    {
        using var modem = ImsPdnUp(Addresses with { Quirks = ModemQuirks.ContrdpSeparateMask });
        var fields = modem.Run("AT+CGCONTRDP=2")[0]["+CGCONTRDP: ".Length..].Split(',');
        Assert.Equal("\"10.45.0.7\"", fields[3]);
        Assert.Equal("\"255.255.255.0\"", fields[4]);
        Assert.Equal("\"10.45.0.10\"", fields[8]);
    }

    [Fact]
    public void Cgcontrdp_dotted_quirk_ignores_cgpiaf()
    {
        using var modem = ImsPdnUp(Addresses with { Quirks = ModemQuirks.ContrdpDotted }, "1,1,0,1");
        Assert.Contains("\"32.1.13.184.0.0.0.0.0.0.0.0.0.0.0.16\"", modem.Run("AT+CGCONTRDP=2")[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Cgcontrdp_line_per_family_quirk_splits_dual_stack()
    {
        using var modem = ImsPdnUp(Addresses with { Quirks = ModemQuirks.ContrdpLinePerFamily }, "1,1,0,1");
        var lines = modem.Run("AT+CGCONTRDP=2");
        Assert.Equal(3, lines.Length);
        Assert.Equal("+CGCONTRDP: 2,6,\"ims\",\"10.45.0.7.255.255.255.0\",\"10.45.0.1\",\"10.45.0.53\",\"\",\"10.45.0.10\",\"\",1,0,1500", lines[0]);
        Assert.Equal("+CGCONTRDP: 2,6,\"ims\",\"2001:DB8::7/64\",\"2001:DB8::1\",\"\",\"\",\"2001:DB8::10\",\"\",1,0,", lines[1]);
    }

    [Fact]
    public void A_non_ims_apn_gets_no_pcscf()
    {
        using var modem = new ModemFixture(Addresses).Attached();
        modem.Run("AT+CGACT=1,1");
        var fields = modem.Run("AT+CGCONTRDP=1")[0].Split(',');
        Assert.Equal("\"\"", fields[7]);
        Assert.Equal("0", fields[9]);
    }

    [Fact]
    public void Network_pdn_drop_and_detach_send_cgev()
    {
        using var modem = ImsPdnUp(Addresses with { InitialCgerep = 2 });
        modem.Urcs();
        Assert.True(modem.Interpreter.DropPdn(null));
        Assert.Equal(["+CGEV: NW PDN DEACT 2"], modem.Urcs());
        Assert.False(modem.Interpreter.DropPdn(2));
        Assert.Equal(["+CGACT: 1,0", "+CGACT: 2,0", "OK"], modem.Run("AT+CGACT?"));

        modem.Run("AT+CGACT=1,2");
        modem.Run("AT+CEREG=1");
        modem.Urcs();
        modem.Interpreter.Detach(TimeSpan.FromSeconds(1));
        Assert.Equal(["+CGEV: NW DETACH", "+CEREG: 0"], modem.Urcs());
        modem.Time.Advance(TimeSpan.FromSeconds(1));
        modem.Time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Equal(["+CEREG: 2", "+CEREG: 1"], modem.Urcs());
    }

    [Fact]
    public void Detach_without_delay_waits_for_attach()
    {
        using var modem = new ModemFixture().Attached();
        modem.Interpreter.Detach(null);
        modem.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(["+CGATT: 0", "OK"], modem.Run("AT+CGATT?"));
        modem.Interpreter.AllowAttach();
        modem.Time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Equal(["+CGATT: 1", "OK"], modem.Run("AT+CGATT?"));
    }

    [Fact]
    public void Cireg_and_qcfg_ims_report_the_modems_own_ims_client()
    {
        using var modem = new ModemFixture(new ModemSettings { InitialQcfgIms = 1 });
        modem.Run("AT+CIREG=1");
        modem.Time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Equal(["+CIREGU: 1"], modem.Urcs());
        Assert.Equal(["+QCFG: \"ims\",1,1", "OK"], modem.Run("AT+QCFG=\"ims\""));
        Assert.Equal(["OK"], modem.Run("AT+QCFG=\"ims\",2"));
        Assert.Equal(["+CIREGU: 0"], modem.Urcs());
        Assert.Equal(["+CIREG: 1,0", "OK"], modem.Run("AT+CIREG?"));
        Assert.Equal(["ERROR"], modem.Run("AT+QCFG=\"band\""));
        modem.Run("AT+CMEE=1");
        Assert.Equal(["+CME ERROR: 50"], modem.Run("AT+QCFG=\"ims\",3"));
    }

    [Fact]
    public void Ccho_hands_out_session_ids_that_are_not_channel_numbers()
    {
        using var modem = new ModemFixture();
        Assert.Equal(["+CCHO: 1", "OK"], modem.Run("AT+CCHO=\"A0000000871004\""));
        Assert.Equal(["OK"], modem.Run("AT+CCHC=1"));
        Assert.Equal(["+CCHO: 2", "OK"], modem.Run("AT+CCHO=\"A0000000871004\""));
        // Session 2 sits on channel 1: the MT sets CLA, so plain 00 works; session 1 is gone.
        Assert.Equal(["+CGLA: 4,\"9000\"", "OK"], modem.Run("AT+CGLA=2,14,\"00A4000C026F02\""));
        modem.Run("AT+CMEE=1");
        Assert.Equal(["+CME ERROR: 21"], modem.Run("AT+CGLA=1,14,\"00A4000C026F02\""));
        Assert.Equal(["+CME ERROR: 21"], modem.Run("AT+CCHC=1"));
    }

    [Fact]
    public void Ccho_bare_quirk_drops_the_prefix()
    {
        using var modem = new ModemFixture(new ModemSettings { Quirks = ModemQuirks.CchoBareNumber });
        Assert.Equal(["1", "OK"], modem.Run("AT+CCHO=\"A0000000871004\""));
    }

    [Fact]
    public void Logical_channels_run_out_and_closing_frees_them()
    {
        using var modem = new ModemFixture();
        modem.Run("AT+CMEE=1");
        for (var i = 1; i <= 3; i++)
        {
            Assert.Equal($"+CCHO: {i}", modem.Run("AT+CCHO=\"A0000000871004\"")[0]);
        }

        Assert.Equal(["+CME ERROR: 3"], modem.Run("AT+CCHO=\"A0000000871004\""));
        modem.Run("AT+CCHC=2");
        Assert.Equal(["+CCHO: 4", "OK"], modem.Run("AT+CCHO=\"A0000000871004\""));
        Assert.Equal(["+CME ERROR: 50"], modem.Run("AT+CCHO=\"A0000000879999\""));
        Assert.Equal(["+CME ERROR: 50"], modem.Run("AT+CCHO=\"A00\""));
    }

    [Fact]
    public void Cgla_checks_the_length_against_the_hex()
    {
        using var modem = new ModemFixture();
        modem.Run("AT+CCHO=\"A0000000871004\"");
        modem.Run("AT+CMEE=1");
        Assert.Equal(["+CME ERROR: 50"], modem.Run("AT+CGLA=1,12,\"00A4000C026F02\""));
        Assert.Equal(["+CME ERROR: 50"], modem.Run("AT+CGLA=1,14,\"00A4000C026F0Z\""));
        Assert.Equal(["+CGLA: 4,\"6700\"", "OK"], modem.Run("AT+CGLA=1,12,\"00A40004022F\""));
        Assert.Equal(["+CME ERROR: 50"], modem.Run("AT+CGLA=1,6,\"00A400\""));
    }

    [Fact]
    public void Csim_uses_the_basic_channel_and_cla_channel_bits()
    {
        using var modem = new ModemFixture();
        Assert.Equal(["+CSIM: 4,\"9000\"", "OK"], modem.Run("AT+CSIM=14,\"00A4080C022F00\""));
        var record = modem.Run("AT+CSIM=10,\"00B2010400\"")[0];
        Assert.StartsWith("+CSIM: 68,\"61184F10A0000000871002", record, StringComparison.Ordinal);
        Assert.Equal(["+CSIM: 4,\"6881\"", "OK"], modem.Run("AT+CSIM=10,\"01B2010400\""));
        // MANAGE CHANNEL open over +CSIM, then address it through CLA.
        Assert.Equal(["+CSIM: 6,\"019000\"", "OK"], modem.Run("AT+CSIM=10,\"0070000001\""));
        Assert.Equal(["+CSIM: 4,\"9000\"", "OK"], modem.Run("AT+CSIM=42,\"01A4040C10A0000000871004FF49FF058900000001\""));
    }

    [Fact]
    public void Reset_from_control_closes_card_channels_and_sends_rdy()
    {
        using var modem = new ModemFixture();
        modem.Run("AT+CCHO=\"A0000000871004\"");
        modem.Interpreter.Reset();
        Assert.Equal(["RDY", "+CPIN: READY"], modem.Urcs());
        Assert.Equal(0, modem.Card.OpenChannelCount);
        modem.Run("AT+CMEE=1");
        Assert.Equal(["+CME ERROR: 21"], modem.Run("AT+CGLA=1,14,\"00A4000C026F02\""));
    }

    [Fact]
    public void Injected_urcs_queue_in_order_and_are_bounded()
    {
        using var modem = new ModemFixture();
        var signals = 0;
        modem.Interpreter.UrcQueued += () => signals++;
        for (var i = 0; i < ModemInterpreter.MaxQueuedUrcs + 10; i++)
        {
            modem.Interpreter.InjectUrc("+X: " + i);
        }

        var urcs = modem.Urcs();
        Assert.Equal(ModemInterpreter.MaxQueuedUrcs, urcs.Length);
        Assert.Equal("+X: 10", urcs[0]);
        Assert.Equal(ModemInterpreter.MaxQueuedUrcs + 10, signals);
    }

    [Fact]
    public void S_registers_read_and_set()
    {
        using var modem = new ModemFixture();
        Assert.Equal(["013", "OK"], modem.Run("ATS3?"));
        Assert.Equal(["OK"], modem.Run("ATS0=2"));
        Assert.Equal(["002", "OK"], modem.Run("ATS0?"));
        Assert.Equal(["ERROR"], modem.Run("ATS99?"));
    }
}
