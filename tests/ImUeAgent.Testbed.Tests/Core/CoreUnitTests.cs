// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Sip.Message;
using ImUeAgent.Testbed.Core;
using ImUeAgent.Testbed.Modem;

namespace ImUeAgent.Testbed.Tests.Core;

/// <summary>Pure parts of the core: control lines, digest, HSS sequence numbers, subscriber files, URIs.</summary>
public sealed class CoreUnitTests
{
    [Theory]
    [InlineData("drop next", "DropNext", null, null)]
    [InlineData("drop next message", "DropNext", null, "MESSAGE")]
    [InlineData("503", "ServiceUnavailable", null, null)]
    [InlineData("503 retry-after 30", "ServiceUnavailable", 30u, null)]
    [InlineData("423 min-expires 900", "IntervalTooBrief", 900u, null)]
    [InlineData("403", "Forbidden", null, null)]
    [InlineData("deregister sip:a@b rejected", "Deregister", null, "rejected")]
    [InlineData("deregister tel:+1555", "Deregister", null, "deactivated")]
    [InlineData("shorten sip:a@b 120", "Shorten", 120u, null)]
    [InlineData("  RESTART ", "Restart", null, null)]
    [InlineData("status", "Status", null, null)]
    public void Control_lines_parse(string line, string verb, uint? number, string? text)
    {
        Assert.Equal(CoreControlError.None, CoreControlCommand.TryParse(line, out var command));
        Assert.Equal(verb, command.Verb.ToString());
        Assert.Equal(number, command.Number);
        Assert.Equal(text, command.Text);
    }

    [Theory]
    [InlineData("", "Empty")]
    [InlineData("reboot", "UnknownCommand")]
    [InlineData("drop", "MissingArgument")]
    [InlineData("drop last", "BadKeyword")]
    [InlineData("503 retry-after", "MissingArgument")]
    [InlineData("503 retry-after -1", "BadNumber")]
    [InlineData("503 retry-after 999999", "BadNumber")]
    [InlineData("423 retry-after 5", "BadKeyword")]
    [InlineData("403 now", "ExtraArgument")]
    [InlineData("deregister <nope>", "BadUri")]
    [InlineData("deregister sip:a@b banned", "BadKeyword")]
    [InlineData("shorten sip:a@b", "MissingArgument")]
    [InlineData("shorten sip:a@b 0", "BadNumber")]
    [InlineData("status now", "ExtraArgument")]
    public void Bad_control_lines_are_refused_with_a_reason(string line, string error)
    {
        Assert.Equal(error, CoreControlCommand.TryParse(line, out _).ToString());
    }

    [Fact]
    public void Digest_matches_the_RFC_2617_example()
    {
        // RFC 2617 §3.5.
        var response = Digest.Response("Mufasa", "testrealm@host.com", "Circle Of Life"u8, "GET", "/dir/index.html",
            "dcd98b7102dd2f0e8b11d0f600bfb0c093", "auth", "00000001", "0a4f113b");
        Assert.Equal("6629fae49393a05397450978507c4ef1", response);
        Assert.True(Digest.Matches(response, response.ToUpperInvariant()));
        Assert.False(Digest.Matches(response, response[..^1] + "0"));
    }

    [Fact]
    public void AKA_password_is_binary_RES_including_zero_bytes()
    {
        byte[] res = [0x00, 0x11, 0x00, 0x22];
        var withZeros = Digest.Response("u", "r", res, "REGISTER", "sip:r", "n", "auth", "00000001", "c");
        var truncated = Digest.Response("u", "r", res.AsSpan(0, 1), "REGISTER", "sip:r", "n", "auth", "00000001", "c");
        Assert.NotEqual(withZeros, truncated);
        Assert.Equal(TestUe.DigestResponse("u", "r", res, "REGISTER", "sip:r", "n", "auth", "00000001", "c"), withZeros);
    }

    [Fact]
    public void HSS_sequence_numbers_follow_SEQ_and_IND_and_resynchronise()
    {
        var subscriber = Subscriber.DefaultCard();
        var hss = new Hss([subscriber], indBits: 5);
        Assert.Equal((1UL << 5) | 1, hss.GenerateVector(subscriber).Sqn);
        Assert.Equal((2UL << 5) | 2, hss.GenerateVector(subscriber).Sqn);
        var vector = hss.GenerateVector(subscriber);

        // The card accepts every vector in order (the emulated modem's Annex C check).
        var card = new SequenceNumberCheck(0, 5, null);
        var fresh = new Hss([subscriber], indBits: 5);
        for (var i = 0; i < 40; i++)
        {
            Assert.True(card.TryAccept(fresh.GenerateVector(subscriber).Sqn));
        }

        using var milenage = new Uicc.Aka.Milenage(subscriber.K, subscriber.Opc);
        var auts = new byte[14];
        var sqnMs = new byte[6];
        Uicc.Aka.Milenage.WriteSqn(0x123456, sqnMs);
        milenage.ComputeAuts(vector.Rand, sqnMs, auts);
        Assert.Equal(0x123456UL, hss.Resynchronise(subscriber, vector.Rand, auts));
        Assert.Equal(((0x123456UL >> 5) + 1) << 5 | ((0x123456UL & 31) + 1), hss.GenerateVector(subscriber).Sqn);
        auts[0] ^= 1;
        Assert.Null(hss.Resynchronise(subscriber, vector.Rand, auts));
        Assert.Contains("redacted", vector.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void HSS_finds_subscribers_by_address_of_record()
    {
        var hss = new Hss([Subscriber.DefaultCard()]);
        Assert.NotNull(hss.FindByImpu(SipUri.Parse("sip:001010123456789@IMS.mnc001.mcc001.3gppnetwork.org;transport=tcp")));
        Assert.NotNull(hss.FindByImpu(SipUri.Parse("tel:+1-555-0123456")));
        Assert.NotNull(hss.FindByImpu(SipUri.Parse("sip:+15550123456@ims.mnc001.mcc001.3gppnetwork.org;user=phone")));
        Assert.Null(hss.FindByImpu(SipUri.Parse("sip:someone@ims.mnc001.mcc001.3gppnetwork.org")));
        Assert.Throws<ArgumentException>(() => new Hss([Subscriber.DefaultCard(), Subscriber.DefaultCard()]));
    }

    [Fact]
    public void Subscriber_file_reads_AKA_and_digest_entries_and_names_the_bad_key()
    {
        var directory = Directory.CreateTempSubdirectory("imue-core-");
        try
        {
            var good = Path.Combine(directory.FullName, "good.json");
            File.WriteAllText(good, """
                { "subscribers": [
                  { "imsi": "001010000000002", "k": "0396eb317b6d1c36f19c1c84cd6ffd16", "op": "ff53bade17df5d4e793073ce9d7579fa", "sqn": "000000000020" },
                  { "impi": "carol@ims.example", "password": "secret" }, // a plain SIP user
                ] }
                """);
            var subscribers = SubscriberFile.Load(good, out var error);
            Assert.Null(error);
            Assert.Equal("001010000000002@ims.mnc001.mcc001.3gppnetwork.org", subscribers![0].Impi);
            Assert.Equal(Convert.FromHexString("53c15671c60a4b731c55b4a441c0bde2"), subscribers[0].Opc);
            Assert.Equal(0x20UL, subscribers[0].Sqn);
            Assert.Equal(AuthenticationScheme.DigestMd5, subscribers[1].Scheme);
            Assert.Equal(["sip:carol@ims.example"], subscribers[1].Impus);
            Assert.DoesNotContain("secret", subscribers[1].ToString(), StringComparison.Ordinal);

            var bad = Path.Combine(directory.FullName, "bad.json");
            File.WriteAllText(bad, """{ "subscribers": [ { "impi": "a@b", "k": "00" } ] }""");
            Assert.Null(SubscriberFile.Load(bad, out error));
            Assert.Contains("subscribers[0].k", error, StringComparison.Ordinal);

            File.WriteAllText(bad, """{ "subscribers": [ { "impi": "a@b", "colour": "blue" } ] }""");
            Assert.Null(SubscriberFile.Load(bad, out error));
            Assert.Contains("colour", error, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Reginfo_document_has_the_RFC_3680_shape()
    {
        var xml = Encoding.UTF8.GetString(RegInfo.Build(3,
        [
            new RegInfoRegistration("sip:a@b", "r1", "active", [new RegInfoContact("c1", "sip:ue@127.0.0.1:5070", "active", "registered", 600, "call", 2)]),
        ]));
        var document = System.Xml.Linq.XDocument.Parse(xml);
        System.Xml.Linq.XNamespace ns = RegInfo.Namespace;
        Assert.Equal("3", document.Root!.Attribute("version")!.Value);
        var contact = document.Root.Element(ns + "registration")!.Element(ns + "contact")!;
        Assert.Equal("600", contact.Attribute("expires")!.Value);
        Assert.Equal("sip:ue@127.0.0.1:5070", contact.Element(ns + "uri")!.Value);
    }
}
