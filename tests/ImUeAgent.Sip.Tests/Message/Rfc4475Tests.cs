// SPDX-License-Identifier: MIT
using System.Text;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Sip.Tests.Message;

/// <summary>The 49 messages of RFC 4475, each with its section. Messages are parsed as UDP datagrams unless the test
/// says otherwise (the RFC's framing discussion assumes UDP for most of them).</summary>
public sealed class Rfc4475Tests
{
    private static SipRequest Request(string name)
    {
        byte[] bytes = TestData.Rfc4475(name);
        SipParseResult result = TestData.ParseDatagram(bytes);
        Assert.True(result.IsComplete, $"{name}: {result}");
        Assert.Equal(bytes.Length, result.Consumed);
        return Assert.IsType<SipRequest>(result.Message);
    }

    private static SipResponse Response(string name)
    {
        SipParseResult result = TestData.ParseDatagram(TestData.Rfc4475(name));
        Assert.True(result.IsComplete, $"{name}: {result}");
        return Assert.IsType<SipResponse>(result.Message);
    }

    private static SipParseResult Rejected(string name, SipParseError expected)
    {
        SipParseResult result = TestData.ParseDatagram(TestData.Rfc4475(name));
        Assert.Equal(SipParseStatus.Error, result.Status);
        Assert.Equal(expected, result.Error);
        return result;
    }

    private static void AssertRoundTrip(string name, SipMessage message)
    {
        byte[] bytes = TestData.Rfc4475(name);
        Assert.Equal(bytes.AsSpan(0, message.Length).ToArray(), message.ToArray());
    }

    // ---- 3.1.1 Valid messages ----

    [Fact]
    public void S3_1_1_1_wsinv_ShortTortuousInvite()
    {
        SipRequest r = Request("wsinv");
        AssertRoundTrip("wsinv", r);
        Assert.Equal(SipMethod.Invite, r.Method);
        Assert.Equal("sip:vivekg@chair-dnrc.example.com;unknownparam", r.RequestUri.ToString());
        Assert.True(r.RequestUri.Parameters.Contains("unknownparam"));

        NameAddress to = r.Headers.To!;
        Assert.Equal("sip:vivekg@chair-dnrc.example.com", to.Uri.ToString());
        Assert.Equal("1918181833n", to.Tag);
        Assert.False(to.HasAngleBrackets);

        NameAddress from = r.Headers.From!;
        Assert.Equal("J Rosenberg \\\"", from.DisplayName);
        Assert.Equal("98asjd8", from.Tag);
        Assert.Equal(68, r.Headers.MaxForwards);
        Assert.Equal("wsinv.ndaksdj@192.0.2.1", r.Headers.CallId);
        Assert.Equal(150, r.Body.Length);
        Assert.Equal(9u, r.Headers.CSeq!.Number);
        Assert.Equal(SipMethod.Invite, r.Headers.CSeq.Method);

        // Three Via values: one folded across three lines, then two on one folded "v:" line.
        IReadOnlyList<ViaValue> via = r.Headers.Via;
        Assert.Equal(3, via.Count);
        Assert.Equal(("UDP", "192.0.2.2", "390skdjuw"), (via[0].Transport, via[0].Host, via[0].Branch));
        Assert.Equal(("TCP", "spindle.example.com", "z9hG4bK9ikj8"), (via[1].Transport, via[1].Host, via[1].Branch));
        Assert.Equal(("UDP", "192.168.255.111", "z9hG4bK30239"), (via[2].Transport, via[2].Host, via[2].Branch));

        Assert.Equal(string.Empty, r.Headers.Subject);
        Assert.Equal("newfangled value continued newfangled value", r.Headers.GetValue("NewFangledHeader"));
        Assert.Equal(";;,,;;,;", r.Headers.GetValue("UnknownHeaderWithUnusualValue"));
        NameAddress route = Assert.Single(r.Headers.Route);
        Assert.Equal("sip:services.example.com;lr;unknownwith=value;unknown-no-value", route.Uri.ToString());
        Assert.True(route.Uri.IsLooseRouter);

        ContactValue contact = Assert.Single(r.Headers.Contact);
        Assert.Equal("Quoted string \"\"", contact.Address!.DisplayName);
        Assert.Equal("newvalue", contact.Parameters.GetValue("newparam"));
        Assert.True(contact.Parameters.Contains("secondparam"));
        Assert.Equal(0.33, contact.Q);
        Assert.Equal("application/sdp", r.Headers.ContentType!.Name);
    }

    [Fact]
    public void S3_1_1_2_intmeth_WideRangeOfValidCharacters()
    {
        SipRequest r = Request("intmeth");
        AssertRoundTrip("intmeth", r);
        Assert.Equal(SipMethod.Extension, r.Method);
        Assert.Equal("!interesting-Method0123456789_*+`.%indeed'~", r.MethodName);
        Assert.Equal("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*", r.RequestUri.User);
        Assert.Equal("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)", r.RequestUri.Password);
        Assert.Equal("example.com", r.RequestUri.Host);
        Assert.Equal("z9hG4bK-.!%66*_+`'~", r.Headers.TopVia!.Branch);
        Assert.Equal("BEL:\a NUL:\0 DEL:\x7f", r.Headers.To!.DisplayName);
        NameAddress from = r.Headers.From!;
        Assert.Equal("token1~` token2'+_ token3*%!.-", from.DisplayName);
        Assert.Equal("_token~1'+`*%!-.", from.Tag);
        Assert.Equal("работающий", from.Parameters.GetValue("fromParam''~+*_!.-%"));
        Assert.Equal("intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{", r.Headers.CallId);
        Assert.Equal("!interesting-Method0123456789_*+`.%indeed'~", r.Headers.CSeq!.MethodName);
        Assert.Equal(255, r.Headers.MaxForwards);
        Assert.Equal("\uFEFF大停電", r.Headers.GetValue("extensionHeader-!.%*+_`'~"));
    }

    [Fact]
    public void S3_1_1_3_esc01_ValidUseOfPercentEscaping()
    {
        SipRequest r = Request("esc01");
        Assert.Equal("sips:user@example.com", r.RequestUri.User);
        Assert.Equal("example.net", r.RequestUri.Host);
        Assert.Equal("user", r.Headers.To!.Uri.User);
        Assert.True(r.Headers.To.Uri.IsEquivalentTo(SipUri.Parse("sip:user@example.com")));
        Assert.Equal("I have spaces", r.Headers.From!.Uri.User);
        SipUri contact = r.Headers.Contact[0].Uri!;
        Assert.Equal("caller", contact.User);
        Assert.True(contact.Parameters.Contains("lr"));
        Assert.Equal("value%41", contact.Parameters.GetValue("name"));
        Assert.True(contact.IsEquivalentTo(SipUri.Parse("sip:caller@host5.example.net;lr;name=value%2541")));
    }

    [Fact]
    public void S3_1_1_4_escnull_EscapedNullsInUris()
    {
        SipRequest r = Request("escnull");
        Assert.Equal("null-\0-null", r.Headers.To!.Uri.User);
        Assert.Equal("null-\0-null", r.Headers.From!.Uri.User);
        Assert.Equal(["\0", "\0\0"], r.Headers.Contact.Select(c => c.Uri!.User));
    }

    [Fact]
    public void S3_1_1_5_esc02_PercentThatIsNotAnEscape()
    {
        SipRequest r = Request("esc02");
        Assert.Equal(SipMethod.Extension, r.Method);
        Assert.Equal("RE%47IST%45R", r.MethodName);
        Assert.Equal("RE%47IST%45R", r.Headers.CSeq!.MethodName);
        Assert.Equal("%Z%45", r.Headers.To!.DisplayName);
        Assert.Equal("%Z%45", r.Headers.From!.DisplayName);
        Assert.Equal("z9hG4bK209%fzsnel234", r.Headers.TopVia!.Branch);
        // "C%6Fntact" is an extension header, not Contact: two contacts only.
        Assert.Equal(2, r.Headers.Contact.Count);
        Assert.Equal("<sip:alias2@host2.example.com>", r.Headers.GetValue("C%6Fntact"));
    }

    [Fact]
    public void S3_1_1_6_lwsdisp_NoLwsBetweenDisplayNameAndLaquot()
    {
        SipRequest r = Request("lwsdisp");
        Assert.Equal("caller", r.Headers.From!.DisplayName);
        Assert.Equal("sip:caller@example.com", r.Headers.From.Uri.ToString());
    }

    [Fact]
    public void S3_1_1_7_longreq_LongValuesInHeaderFields()
    {
        SipRequest r = Request("longreq");
        AssertRoundTrip("longreq", r);
        NameAddress to = r.Headers.To!;
        Assert.StartsWith("I have a user name of extremeextreme", to.DisplayName, StringComparison.Ordinal);
        Assert.Equal(6000, to.Uri.Port);
        Assert.Contains(to.Uri.Parameters, p => p.Name.StartsWith("longparamnamename", StringComparison.Ordinal) && p.Value == "shortvalue");
        Assert.StartsWith("verylonglonglong", to.Uri.Parameters.GetValue("unknownparam1"), StringComparison.Ordinal);
        Assert.StartsWith("12982982982", r.Headers.From!.Tag, StringComparison.Ordinal);
        Assert.StartsWith("amazinglylongcallername", r.Headers.From.Uri.User, StringComparison.Ordinal);
        Assert.StartsWith("longreq.onereallyreally", r.Headers.CallId, StringComparison.Ordinal);
        Assert.Equal(34, r.Headers.Via.Count);
        Assert.Equal("sip33.example.com", r.Headers.Via[0].Host);
        Assert.Equal("host.example.com", r.Headers.Via[^1].Host);
        Assert.Equal("192.0.2.5", r.Headers.Via[^1].Received);
        Assert.EndsWith("longbranchvalue", r.Headers.Via[^1].Branch, StringComparison.Ordinal);
        SipHeader unknown = r.Headers.First(h => h.Name.StartsWith("Unknown-LongLong", StringComparison.Ordinal));
        Assert.Equal(SipHeaderId.Unknown, unknown.Id);
        Assert.StartsWith("unknown-longlong", unknown.Value, StringComparison.Ordinal);
        Assert.Equal(150, r.Body.Length);
    }

    [Fact]
    public void S3_1_1_8_dblreq_ExtraTrailingOctetsInUdpDatagram()
    {
        byte[] bytes = TestData.Rfc4475("dblreq");
        SipParseResult result = TestData.ParseDatagram(bytes);
        SipRequest r = Assert.IsType<SipRequest>(result.Message);
        Assert.Equal(SipMethod.Register, r.Method);
        Assert.Equal(0, r.Body.Length);
        // The whole datagram is consumed: the INVITE-looking rest is noise (RFC 3261 §18.3).
        Assert.Equal(bytes.Length, result.Consumed);
        Assert.True(r.Length < bytes.Length);

        // The same bytes on a stream are two messages (with a keep-alive CRLF between them).
        SipParseResult first = TestData.ParseStream(bytes);
        Assert.True(first.IsComplete);
        SipParseResult next = TestData.ParseStream(bytes[(int)first.Consumed..]);
        Assert.Equal(SipParseStatus.KeepAlive, next.Status);
        SipParseResult invite = TestData.ParseStream(bytes[(int)(first.Consumed + next.Consumed)..]);
        Assert.Equal(SipMethod.Invite, Assert.IsType<SipRequest>(invite.Message).Method);
        Assert.Equal(150, invite.Message!.Body.Length);
    }

    [Fact]
    public void S3_1_1_9_semiuri_SemicolonSeparatedParametersInUriUserPart()
    {
        SipRequest r = Request("semiuri");
        Assert.Equal("user;par=u@example.net", r.RequestUri.User);
        Assert.Equal("example.com", r.RequestUri.Host);
        Assert.Empty(r.RequestUri.Parameters);
        Assert.Equal(6, r.Headers.Accept.Count);
        Assert.Equal("message/sipfrag", r.Headers.Accept[^1].Name);
    }

    [Fact]
    public void S3_1_1_10_transports_VariedAndUnknownTransportTypes()
    {
        SipRequest r = Request("transports");
        Assert.Equal(["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"], r.Headers.Via.Select(v => v.Transport));
    }

    [Fact]
    public void S3_1_1_11_mpart01_MultipartMimeMessage()
    {
        SipRequest r = Request("mpart01");
        AssertRoundTrip("mpart01", r);
        Assert.Equal(SipMethod.Message, r.Method);
        Assert.Equal(553, r.Body.Length);
        MediaType type = r.Headers.ContentType!;
        Assert.True(type.Is("multipart", "mixed"));
        Assert.Equal("7a9cbec02ceef655", type.Boundary);
        Assert.True(r.Body.Span.EndsWith("--7a9cbec02ceef655--\r\n"u8));
        Assert.Equal(new DateTimeOffset(2005, 10, 15, 4, 44, 56, TimeSpan.Zero), r.Headers.Date);
        Assert.True(r.Headers.TopVia!.HasRPort);
        Assert.Null(r.Headers.TopVia.RPort);
    }

    [Fact]
    public void S3_1_1_12_unreason_UnusualReasonPhrase()
    {
        SipResponse r = Response("unreason");
        Assert.Equal(200, r.StatusCode);
        Assert.Equal("= 2**3 * 5**2 но сто девяносто девять - простое", r.ReasonPhrase);
        Assert.Equal(154, r.Body.Length);
    }

    [Fact]
    public void S3_1_1_13_noreason_EmptyReasonPhrase()
    {
        SipResponse r = Response("noreason");
        Assert.Equal(100, r.StatusCode);
        Assert.Equal(string.Empty, r.ReasonPhrase);
    }

    // ---- 3.1.2 Invalid messages ----

    [Fact]
    public void S3_1_2_1_badinv01_ExtraneousHeaderFieldSeparators()
    {
        SipParseResult result = Rejected("badinv01", SipParseError.InvalidVia);
        Assert.Equal(SipHeaderId.Via, result.Header);
        Assert.Equal((400, "Bad Request - Malformed Via"), SipRejection.GetResponse(result.Error, result.Header));
        Assert.NotNull(result.Message); // framed: a 400 can be built from it
    }

    [Fact]
    public void S3_1_2_2_clerr_ContentLengthLargerThanMessage()
    {
        SipParseResult result = Rejected("clerr", SipParseError.ContentLengthExceedsDatagram);
        Assert.Equal(SipHeaderId.ContentLength, result.Header);
        Assert.Equal(400, SipRejection.GetResponse(result.Error).StatusCode);
        // On a stream the same bytes are just an unfinished message.
        Assert.Equal(SipParseStatus.Incomplete, TestData.ParseStream(TestData.Rfc4475("clerr")).Status);
    }

    [Fact]
    public void S3_1_2_3_ncl_NegativeContentLength()
    {
        SipParseResult result = Rejected("ncl", SipParseError.InvalidContentLength);
        Assert.Equal("Bad Request - Invalid Content-Length", SipRejection.GetResponse(result.Error).ReasonPhrase);
        Assert.Equal(SipParseError.InvalidContentLength, TestData.ParseStream(TestData.Rfc4475("ncl")).Error);
    }

    [Fact]
    public void S3_1_2_4_scalar02_RequestScalarFieldsWithOverlargeValues() =>
        Assert.Equal(SipHeaderId.CSeq, Rejected("scalar02", SipParseError.InvalidCSeq).Header);

    [Fact]
    public void S3_1_2_5_scalarlg_ResponseScalarFieldsWithOverlargeValues()
    {
        SipParseResult result = Rejected("scalarlg", SipParseError.InvalidCSeq);
        Assert.IsType<SipResponse>(result.Message); // a response is dropped, not answered
    }

    [Fact]
    public void S3_1_2_6_quotbal_UnterminatedQuotedStringInDisplayName() =>
        Assert.Equal(SipHeaderId.To, Rejected("quotbal", SipParseError.InvalidTo).Header);

    [Fact]
    public void S3_1_2_7_ltgtruri_AngleBracketsEnclosingRequestUri() => Rejected("ltgtruri", SipParseError.InvalidRequestUri);

    [Fact]
    public void S3_1_2_8_lwsruri_EmbeddedLwsInRequestUri() => Rejected("lwsruri", SipParseError.InvalidRequestUri);

    [Fact]
    public void S3_1_2_9_lwsstart_MultipleSpSeparatingRequestLineElements() => Rejected("lwsstart", SipParseError.InvalidRequestLine);

    [Fact]
    public void S3_1_2_10_trws_SpAtEndOfRequestLine() => Rejected("trws", SipParseError.InvalidRequestLine);

    [Fact]
    public void S3_1_2_11_escruri_EscapedHeadersInSipRequestUri()
    {
        SipParseResult result = Rejected("escruri", SipParseError.RequestUriHasHeaders);
        Assert.Equal("Bad Request - Headers not allowed in Request-URI", SipRejection.GetResponse(result.Error).ReasonPhrase);
    }

    [Fact]
    public void S3_1_2_12_baddate_InvalidTimeZoneInDate()
    {
        // RFC 4475 §3.1.2.12: rejecting is acceptable only where Date matters; a UA ignores it. The message parses
        // and the Date is reported invalid to whoever reads it.
        SipRequest r = Request("baddate");
        Assert.True(r.Headers.Contains(SipHeaderId.Date));
        Assert.Null(r.Headers.Date);
        Assert.Equal(SipParseError.InvalidHeaderValue, r.Headers.Validate(SipHeaderId.Date));
    }

    [Fact]
    public void S3_1_2_13_regbadct_FailureToEncloseNameAddrUriInAngleBrackets() =>
        Assert.Equal(SipHeaderId.Contact, Rejected("regbadct", SipParseError.InvalidContact).Header);

    [Fact]
    public void S3_1_2_14_badaspec_SpacesWithinAddrSpec() =>
        Assert.Equal(SipHeaderId.To, Rejected("badaspec", SipParseError.InvalidTo).Header);

    [Fact]
    public void S3_1_2_15_baddn_NonTokenCharactersInDisplayName()
    {
        // The file has no empty line after the last header; as a datagram that is tolerated, and From fails.
        Assert.Equal(SipHeaderId.From, Rejected("baddn", SipParseError.InvalidFrom).Header);
    }

    [Fact]
    public void S3_1_2_16_badvers_UnknownProtocolVersion()
    {
        SipParseResult result = Rejected("badvers", SipParseError.UnsupportedVersion);
        Assert.Equal((505, "Version Not Supported"), SipRejection.GetResponse(result.Error));
    }

    [Fact]
    public void S3_1_2_17_mismatch01_StartLineAndCSeqMethodMismatch()
    {
        SipParseResult result = Rejected("mismatch01", SipParseError.CSeqMethodMismatch);
        Assert.Equal("Bad Request - CSeq method does not match Request-Line", SipRejection.GetResponse(result.Error).ReasonPhrase);
    }

    [Fact]
    public void S3_1_2_18_mismatch02_UnknownMethodWithCSeqMethodMismatch() => Rejected("mismatch02", SipParseError.CSeqMethodMismatch);

    [Fact]
    public void S3_1_2_19_bigcode_OverlargeResponseCode() => Rejected("bigcode", SipParseError.InvalidStatusCode);

    // ---- 3.2 Transaction layer ----

    [Fact]
    public void S3_2_1_badbranch_MissingTransactionIdentifier()
    {
        SipRequest r = Request("badbranch");
        Assert.Equal("z9hG4bK", r.Headers.TopVia!.Branch);
        Assert.False(r.Headers.TopVia.IsRfc3261Branch); // transaction layer falls back to RFC 2543 matching
    }

    // ---- 3.3 Application layer: the message layer parses; the property the UA checks is asserted ----

    [Fact]
    public void S3_3_1_insuf_MissingRequiredHeaderFields()
    {
        SipRequest r = Request("insuf");
        (SipParseError error, SipHeaderId header) = r.CheckRequiredHeaders();
        Assert.Equal(SipParseError.MissingRequiredHeader, error);
        Assert.Equal(SipHeaderId.To, header);
        Assert.Equal("Bad Request - Missing To", SipRejection.GetResponse(error, header).ReasonPhrase);
    }

    [Fact]
    public void S3_3_2_unkscm_RequestUriWithUnknownScheme()
    {
        SipRequest r = Request("unkscm");
        Assert.Equal(SipUriScheme.Other, r.RequestUri.Scheme); // UAS answers 416
        Assert.Equal("nobodyknowsthisscheme", r.RequestUri.SchemeName);
        Assert.Equal("totallyopaquecontent", r.RequestUri.Opaque);
    }

    [Fact]
    public void S3_3_3_novelsc_RequestUriWithKnownButAtypicalScheme()
    {
        SipRequest r = Request("novelsc");
        Assert.Equal(SipUriScheme.Other, r.RequestUri.Scheme);
        Assert.Equal("soap.beep", r.RequestUri.SchemeName);
    }

    [Fact]
    public void S3_3_4_unksm2_UnknownUriSchemesInHeaderFields()
    {
        SipRequest r = Request("unksm2");
        Assert.Equal("isbn", r.Headers.To!.Uri.SchemeName);
        Assert.Equal("http", r.Headers.From!.Uri.SchemeName);
        Assert.Equal("name", r.Headers.Contact[0].Uri!.SchemeName);
        Assert.Equal((SipParseError.None, SipHeaderId.Unknown), r.CheckRequiredHeaders());
    }

    [Fact]
    public void S3_3_5_bext01_ProxyRequireAndRequire()
    {
        SipRequest r = Request("bext01");
        Assert.Equal(["nothingSupportsThis", "nothingSupportsThisEither"], r.Headers.Require); // UAS: 420
        Assert.Equal(["noProxiesSupportThis", "norDoAnyProxiesSupportThis"], r.Headers.ProxyRequire);
    }

    [Fact]
    public void S3_3_6_invut_UnknownContentType()
    {
        SipRequest r = Request("invut");
        Assert.Equal("application/unknownformat", r.Headers.ContentType!.Name); // UAS: 415 with Accept
        Assert.Equal(40, r.Body.Length);
    }

    [Fact]
    public void S3_3_7_regaut01_UnknownAuthorizationScheme()
    {
        SipRequest r = Request("regaut01");
        AuthenticationValue auth = Assert.Single(r.Headers.Authorization);
        Assert.False(auth.IsDigest); // registrar: 401 with a Digest challenge
        Assert.Equal("NoOneKnowsThisScheme", auth.Scheme);
        Assert.Equal("here", auth.Parameters.GetValue("opaque-data"));
    }

    [Fact]
    public void S3_3_8_multi01_MultipleValuesInSingleValueRequiredFields()
    {
        SipRequest r = Request("multi01");
        (SipParseError error, SipHeaderId header) = r.CheckRequiredHeaders();
        Assert.Equal(SipParseError.DuplicateSingleValueHeader, error);
        Assert.Equal(SipHeaderId.To, header);
        Assert.Equal(2, r.Headers.CountOf(SipHeaderId.CallId));
        Assert.Equal(2, r.Headers.CountOf(SipHeaderId.CSeq));
    }

    [Fact]
    public void S3_3_9_mcl01_MultipleContentLengthValues()
    {
        // Two Content-Length values leave the body's extent unknown: rejected while framing (it cannot be framed
        // on a stream either), which a UAS answers with 400 as the RFC asks.
        Rejected("mcl01", SipParseError.MultipleContentLength);
        Assert.Equal(SipParseError.MultipleContentLength, TestData.ParseStream(TestData.Rfc4475("mcl01")).Error);
    }

    [Fact]
    public void S3_3_10_bcast_200OkWithBroadcastViaHeaderFieldValue()
    {
        SipResponse r = Response("bcast");
        Assert.Equal(2, r.Headers.Via.Count); // a UAC discards a response with more than one Via (RFC 3261 §8.1.3.3)
        Assert.Equal("255.255.255.255", r.Headers.Via[1].Host);
    }

    [Fact]
    public void S3_3_11_zeromf_MaxForwardsOfZero()
    {
        SipRequest r = Request("zeromf");
        Assert.Equal(0, r.Headers.MaxForwards); // a UAS still answers OPTIONS
        Assert.Equal(SipMethod.Options, r.Method);
    }

    [Fact]
    public void S3_3_12_cparam01_RegisterWithContactHeaderParameter()
    {
        ContactValue c = Assert.Single(Request("cparam01").Headers.Contact);
        Assert.False(c.Address!.HasAngleBrackets);
        Assert.True(c.Parameters.Contains("unknownparam")); // a contact parameter, not a URI parameter
        Assert.Empty(c.Uri!.Parameters);
    }

    [Fact]
    public void S3_3_13_cparam02_RegisterWithUrlParameter()
    {
        ContactValue c = Assert.Single(Request("cparam02").Headers.Contact);
        Assert.Empty(c.Parameters);
        Assert.True(c.Uri!.Parameters.Contains("unknownparam"));
    }

    [Fact]
    public void S3_3_14_regescrt_RegisterWithUrlEscapedHeader()
    {
        ContactValue c = Assert.Single(Request("regescrt").Headers.Contact);
        KeyValuePair<string, string> h = Assert.Single(c.Uri!.Headers);
        Assert.Equal(("Route", "<sip:sip.example.com>"), (h.Key, h.Value));
    }

    [Fact]
    public void S3_3_15_sdp01_UnacceptableAcceptOffering()
    {
        SipRequest r = Request("sdp01");
        Assert.Equal("text/nobodyknowsthis", Assert.Single(r.Headers.Accept).Name); // UAS: 406
        Assert.True(r.Headers.ContentType!.Is("application", "sdp"));
    }

    // ---- 3.4 Backward compatibility ----

    [Fact]
    public void S3_4_1_inv2543_InviteWithRfc2543Syntax()
    {
        SipRequest r = Request("inv2543");
        Assert.Null(r.Headers.TopVia!.Branch);
        Assert.False(r.Headers.TopVia.IsRfc3261Branch);
        Assert.Null(r.Headers.MaxForwards);
        Assert.False(r.Headers.Contains(SipHeaderId.ContentLength));
        Assert.True(r.Body.Length > 0); // body to the end of the datagram
        Assert.Equal("phone", r.Headers.From!.Uri.Parameters.GetValue("user"));
        Assert.Equal((SipParseError.None, SipHeaderId.Unknown), r.CheckRequiredHeaders());
        // Without Content-Length a stream cannot frame it.
        Assert.Equal(SipParseError.MissingContentLength, TestData.ParseStream(TestData.Rfc4475("inv2543")).Error);
    }

    [Fact]
    public void EveryFileOfTheArchiveIsCovered()
    {
        string[] files = [.. Directory.GetFiles(TestData.Rfc4475Directory, "*.dat").Select(Path.GetFileNameWithoutExtension).Order()!];
        Assert.Equal(49, files.Length);
        string source = File.ReadAllText(Path.Combine(TestData.RepoRoot, "tests", "ImUeAgent.Sip.Tests", "Message", "Rfc4475Tests.cs"), Encoding.UTF8);
        foreach (string f in files)
        {
            Assert.Contains("_" + f + "_", source, StringComparison.Ordinal);
        }
    }
}
