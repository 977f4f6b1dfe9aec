// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ImUeAgent.Modem.Profiles;

namespace ImUeAgent.Modem.Tests.Profiles;

/// <summary>
/// Checks a transcript against its folder's profile: every command ends in a final result (or continues after a
/// prompt), +CGLA/+CSIM lengths count hex characters, 61xx/6Cxx are followed by GET RESPONSE/the resend, AUTHENTICATE
/// answers decode to set 1's RES/CK/IK, TLV 0x80 records decode to the test identities, logical channels are closed,
/// and the PDN answers fit the profile's quirks. Returns every problem found, each naming the file and line.
/// </summary>
internal static class TranscriptRules
{
    private const string CmeErrorFollowedByOkQuirk = "cmeErrorFollowedByOk";

    private static readonly string[] FinalResults = ["OK", "ERROR", "NO CARRIER", "CONNECT", "BUSY", "NO ANSWER", "NO DIALTONE", "NO DIAL TONE"];

    private static readonly string[] FinalPrefixes = ["+CME ERROR:", "+CMS ERROR:", "CONNECT "];

    public static IReadOnlyList<string> Check(TranscriptFile file, ModemProfile profile)
    {
        var problems = new List<string>();
        void Problem(int line, string what) => problems.Add($"{file.Source}:{line}: {what}");

        if (!file.HeaderComments.Any(c => c.Contains("written from ", StringComparison.OrdinalIgnoreCase)
            || c.Contains("captured on ", StringComparison.OrdinalIgnoreCase)))
        {
            Problem(1, "the first comment lines do not say 'written from <manual>' or 'captured on <firmware>'");
        }

        foreach (var quirk in file.Quirks.Where(q => q != CmeErrorFollowedByOkQuirk))
        {
            Problem(1, $"unknown quirk '{quirk}'");
        }

        var cmeThenOk = profile.CmeErrorFollowedByOk || file.Quirks.Contains(CmeErrorFollowedByOkQuirk);
        var fileName = Path.GetFileName(file.Source);
        var apdus = new List<ApduStep>();
        var openSessions = new List<string>();
        var pcscfs = new List<IPAddress>();
        var imsQueried = false;

        for (var i = 0; i < file.Exchanges.Count; i++)
        {
            var exchange = file.Exchanges[i];
            var command = exchange.Command.Text;
            var at = exchange.Command.LineNumber;
            var final = CheckFinal(exchange, i == file.Exchanges.Count - 1, profile, cmeThenOk, Problem);
            var data = exchange.Responses
                .Where(r => r.Kind == TranscriptLineKind.Response && r.Text != command && !IsFinal(r.Text, profile))
                .ToList();
            var ok = final == "OK";

            if (command.StartsWith("AT+CGLA=", StringComparison.Ordinal))
            {
                if (!profile.Uicc.SupportsCgla)
                {
                    Problem(at, "+CGLA on a profile without supportsCgla");
                }

                var args = command["AT+CGLA=".Length..];
                var comma = args.IndexOf(',', StringComparison.Ordinal);
                var session = comma > 0 ? args[..comma] : "";
                if (!openSessions.Contains(session))
                {
                    Problem(at, $"+CGLA on session '{session}', which no +CCHO opened");
                }

                AddApdu(apdus, "CGLA", session, comma > 0 ? args[(comma + 1)..] : "", at, data, "+CGLA:", Problem);
            }
            else if (command.StartsWith("AT+CSIM=", StringComparison.Ordinal))
            {
                AddApdu(apdus, "CSIM", null, command["AT+CSIM=".Length..], at, data, "+CSIM:", Problem);
            }
            else if (command.StartsWith("AT+CCHO=", StringComparison.Ordinal) && ok)
            {
                var session = CchoSession(data, profile.Uicc.CchoReply);
                if (session is null)
                {
                    Problem(at, $"+CCHO answer does not have the profile's form ({profile.Uicc.CchoReply})");
                }
                else
                {
                    openSessions.Add(session);
                }
            }
            else if (command.StartsWith("AT+CCHC=", StringComparison.Ordinal) && ok)
            {
                if (!openSessions.Remove(command["AT+CCHC=".Length..]))
                {
                    Problem(at, "+CCHC of a session that is not open");
                }
            }
            else if (command == "AT+CIMI" && ok && !(data.Count == 1 && data[0].Text == TestIdentities.Imsi))
            {
                Problem(at, $"+CIMI answer is not {TestIdentities.Imsi}");
            }
            else if (command == "AT+CGSN" && ok && !(data.Count == 1 && StripPrefix(data[0].Text, "+CGSN:") == TestIdentities.Imei))
            {
                Problem(at, $"+CGSN answer is not {TestIdentities.Imei}");
            }
            else if (command.StartsWith("AT+CGDCONT=", StringComparison.Ordinal))
            {
                var count = SplitFields(command["AT+CGDCONT=".Length..]).Count;
                if (count > profile.Pdn.CgdcontMaxParameters)
                {
                    Problem(at, $"+CGDCONT with {count} parameters, the profile allows {profile.Pdn.CgdcontMaxParameters}");
                }
            }
            else if (command.StartsWith("AT+CGCONTRDP", StringComparison.Ordinal))
            {
                foreach (var line in data.Where(d => d.Text.StartsWith("+CGCONTRDP:", StringComparison.Ordinal)))
                {
                    CheckContextReadDynamic(line, profile.Pdn, pcscfs, Problem);
                }
            }

            if (profile.ImsClient is { } ims && command == ims.Query)
            {
                imsQueried = true;
                CheckImsClientAnswer(at, data, ims, Problem);
            }
        }

        CheckApdus(apdus, profile, fileName, Problem);

        foreach (var session in openSessions)
        {
            Problem(file.Exchanges[^1].Command.LineNumber, $"logical channel session '{session}' is never closed with +CCHC");
        }

        if (fileName == "bring-up.txt")
        {
            if (pcscfs.Count == 0)
            {
                Problem(1, "bring-up shows no P-CSCF address in +CGCONTRDP");
            }

            if (profile.ImsClient is not null && !imsQueried)
            {
                Problem(1, "bring-up does not query the module's IMS client");
            }

            if (profile.Name == "generic"
                && !pcscfs.Select(p => p.ToString()).Order(StringComparer.Ordinal).SequenceEqual(["127.0.0.1", "::1"]))
            {
                Problem(1, "the emulated (generic) bring-up must offer P-CSCF 127.0.0.1 and ::1");
            }
        }

        return problems;
    }

    public static bool IsFinal(string text, ModemProfile profile) =>
        FinalResults.Contains(text)
        || FinalPrefixes.Any(p => text.StartsWith(p, StringComparison.Ordinal))
        || profile.ExtraFinalResults.Contains(text);

    private static string? CheckFinal(TranscriptExchange exchange, bool isLast, ModemProfile profile, bool cmeThenOk,
        Action<int, string> problem)
    {
        var responses = exchange.Responses;
        var at = exchange.Command.LineNumber;
        var finalAt = -1;
        for (var i = 0; i < responses.Count; i++)
        {
            if (responses[i].Kind == TranscriptLineKind.Response && IsFinal(responses[i].Text, profile))
            {
                finalAt = i;
                break;
            }
        }

        if (finalAt < 0)
        {
            if (responses.Count > 0 && responses[^1].Kind == TranscriptLineKind.Prompt && !isLast)
            {
                return null;
            }

            problem(at, $"'{exchange.Command.Text}' is not answered by a final result");
            return null;
        }

        if (responses.Take(finalAt).Any(r => r.Kind == TranscriptLineKind.Prompt))
        {
            problem(at, "a prompt inside an answer that then ends");
        }

        var final = responses[finalAt].Text;
        var after = responses.Skip(finalAt + 1).ToList();
        if (after.Count > 0)
        {
            var swallowed = cmeThenOk && final.StartsWith("+CME ERROR:", StringComparison.Ordinal)
                && after.Count == 1 && after[0].Text == "OK";
            if (!swallowed)
            {
                problem(after[0].LineNumber, $"'{after[0].Text}' after the final result '{final}'");
            }
        }

        return final;
    }

    private static void CheckImsClientAnswer(int at, List<TranscriptLine> data, ModemImsClient ims, Action<int, string> problem)
    {
        var answer = data.FirstOrDefault(d => d.Text.StartsWith(ims.ResponsePrefix, StringComparison.Ordinal));
        if (answer is null)
        {
            problem(at, $"no '{ims.ResponsePrefix}' answer to {ims.Query}");
            return;
        }

        // StateField counts the fields after the answer's "+XXX:" (0 is the sub-parameter name, e.g. "ims").
        var fields = SplitFields(answer.Text[(answer.Text.IndexOf(':', StringComparison.Ordinal) + 1)..]);
        if (fields.Count <= ims.StateField || !int.TryParse(fields[ims.StateField], CultureInfo.InvariantCulture, out _))
        {
            problem(answer.LineNumber, $"field {ims.StateField} of '{answer.Text}' is not a state value");
        }
    }

    private static void AddApdu(List<ApduStep> steps, string via, string? session, string lengthAndHex, int at,
        List<TranscriptLine> data, string responsePrefix, Action<int, string> problem)
    {
        if (!TryLengthAndHex(lengthAndHex, out var commandBytes, out var why))
        {
            problem(at, $"{via} command: {why}");
            return;
        }

        byte[]? response = null;
        var answer = data.FirstOrDefault(d => d.Text.StartsWith(responsePrefix, StringComparison.Ordinal));
        if (answer is not null)
        {
            if (TryLengthAndHex(answer.Text[responsePrefix.Length..].TrimStart(), out var bytes, out why))
            {
                response = bytes;
            }
            else
            {
                problem(answer.LineNumber, $"{via} answer: {why}");
            }
        }

        if (commandBytes.Length < 4)
        {
            problem(at, $"{via} APDU shorter than a header");
            return;
        }

        steps.Add(new ApduStep(at, via, session, commandBytes, response));
    }

    private static void CheckApdus(List<ApduStep> steps, ModemProfile profile, string fileName, Action<int, string> problem)
    {
        var expectedAuth = Convert.FromHexString(TestIdentities.AuthenticateApdu);
        var authenticates = 0;
        var decodedAuth = 0;
        var identities = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            var cla = step.Command[0];
            if (step.Via == "CGLA")
            {
                // 27.007 +CGLA: the MT manages the channel bits (host sends 0); some firmware wants them set.
                var channelBits = (cla & 0x40) != 0 ? 4 + (cla & 0x0F) : cla & 0x03;
                if (profile.Uicc.HostSetsChannelInCla)
                {
                    if (channelBits == 0 || (int.TryParse(step.Session, CultureInfo.InvariantCulture, out var s) && s is >= 1 and <= 19 && s != channelBits))
                    {
                        problem(step.Line, $"CLA {cla:X2} does not carry the channel of session {step.Session}");
                    }
                }
                else if (channelBits != 0)
                {
                    problem(step.Line, $"CLA {cla:X2} carries channel bits; this profile leaves them to the MT");
                }
            }

            if (step.Command[1] == 0x88)
            {
                authenticates++;
                if (!step.Command.AsSpan(1).SequenceEqual(expectedAuth.AsSpan(1)))
                {
                    problem(step.Line, "AUTHENTICATE is not set 1's RAND/AUTN in the IMS AKA context");
                }
            }

            // SELECT by DF name (P1 04) uses the profile's P2: 04 return FCP, 0C no data.
            if (step.Command[1] == 0xA4 && step.Command[2] == 0x04 && step.Command[3] != profile.Uicc.SelectP2)
            {
                problem(step.Line, $"SELECT by AID with P2 {step.Command[3]:X2}, the profile says {profile.Uicc.SelectP2:X2}");
            }

            if (step.Response is not { Length: >= 2 } response)
            {
                if (step.Response is not null)
                {
                    problem(step.Line, "APDU answer without a status word");
                }

                continue;
            }

            var sw1 = response[^2];
            var sw2 = response[^1];
            var next = i + 1 < steps.Count ? steps[i + 1] : null;
            if (sw1 == 0x61)
            {
                // TS 102 221 §7.3.1.1.4: 61xx, the answer waits for GET RESPONSE with Le = xx.
                if (next is null || next.Via != step.Via || next.Session != step.Session || next.Command.Length != 5
                    || next.Command[0] != cla || next.Command[1] != 0xC0 || next.Command[2] != 0 || next.Command[3] != 0 || next.Command[4] != sw2)
                {
                    problem(step.Line, $"61{sw2:X2} is not followed by GET RESPONSE with Le {sw2:X2} on the same channel");
                }
            }
            else if (sw1 == 0x6C)
            {
                // 6Cxx: wrong Le, resend the same command with Le = xx.
                if (next is null || next.Via != step.Via || next.Command.Length != step.Command.Length
                    || !next.Command.AsSpan(0, next.Command.Length - 1).SequenceEqual(step.Command.AsSpan(0, step.Command.Length - 1))
                    || next.Command[^1] != sw2)
                {
                    problem(step.Line, $"6C{sw2:X2} is not followed by the same command with Le {sw2:X2}");
                }
            }
            else if (sw1 == 0x90 && sw2 == 0x00 && response.Length > 2)
            {
                var body = response.AsSpan(0, response.Length - 2);
                if (body[0] == 0xDB)
                {
                    if (AuthenticateSuccessMatches(body))
                    {
                        decodedAuth++;
                    }
                    else
                    {
                        problem(step.Line, "AUTHENTICATE answer does not decode to set 1's RES, CK and IK");
                    }
                }
                else if (body[0] == 0x80)
                {
                    var identity = DecodeTlv80(body);
                    if (identity is null || !TestIdentities.IsimIdentities.Contains(identity))
                    {
                        problem(step.Line, $"TLV 0x80 value '{identity}' is not one of the test identities");
                    }
                    else
                    {
                        identities.Add(identity);
                    }
                }
            }
        }

        if (authenticates > 0 && decodedAuth == 0)
        {
            problem(1, "AUTHENTICATE is sent but no answer decodes to RES/CK/IK");
        }

        if (fileName == "isim.txt")
        {
            if (authenticates == 0)
            {
                problem(1, "isim.txt has no AUTHENTICATE");
            }

            foreach (var missing in TestIdentities.IsimIdentities.Except(identities))
            {
                problem(1, $"isim.txt does not read '{missing}'");
            }
        }
    }

    /// <summary>TS 31.103 AUTHENTICATE success: DB Lres RES Lck CK Lik IK.</summary>
    private static bool AuthenticateSuccessMatches(ReadOnlySpan<byte> body)
    {
        var at = 1;
        string? Next(ReadOnlySpan<byte> b)
        {
            if (at >= b.Length || at + 1 + b[at] > b.Length)
            {
                return null;
            }

            var value = Convert.ToHexString(b.Slice(at + 1, b[at]));
            at += 1 + b[at];
            return value;
        }

        var res = Next(body);
        var ck = Next(body);
        var ik = Next(body);
        return at == body.Length && res == TestIdentities.Res && ck == TestIdentities.Ck && ik == TestIdentities.Ik;
    }

    /// <summary>ISIM identity records: tag 0x80, length, UTF-8 value, then 'FF' padding (TS 31.103 §4.2.2-§4.2.4).</summary>
    private static string? DecodeTlv80(ReadOnlySpan<byte> body)
    {
        if (body.Length < 2)
        {
            return null;
        }

        var offset = 2;
        int length = body[1];
        if (length == 0x81 && body.Length > 2)
        {
            length = body[2];
            offset = 3;
        }
        else if (length > 0x7F)
        {
            return null;
        }

        if (offset + length > body.Length || body[(offset + length)..].ContainsAnyExcept((byte)0xFF))
        {
            return null;
        }

        return Encoding.UTF8.GetString(body.Slice(offset, length));
    }

    private static void CheckContextReadDynamic(TranscriptLine line, PdnQuirks pdn, List<IPAddress> pcscfs, Action<int, string> problem)
    {
        var fields = SplitFields(line.Text["+CGCONTRDP:".Length..]);
        var separate = pdn.CgcontrdpLayout == CgcontrdpLayout.SeparateMask;
        var pcscfAt = separate ? 8 : 7;
        if (fields.Count < 4)
        {
            problem(line.LineNumber, "+CGCONTRDP without an address");
            return;
        }

        var address = fields[3];
        var numbers = address.Contains(':', StringComparison.Ordinal) ? -1 : address.Split('.').Length;
        var expected = separate || !pdn.DottedAddressAndMask ? new[] { 4, 16 } : [8, 32];
        if (numbers != -1 && !expected.Contains(numbers))
        {
            problem(line.LineNumber, $"address field '{address}' does not have {string.Join(" or ", expected)} numbers as the profile's layout says");
        }

        if (separate && (fields.Count < 5 || !TryAddress(fields[4], out _)))
        {
            problem(line.LineNumber, "separate subnet mask field missing or not an address");
        }

        var family = numbers is 4 or 8 ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
        if (fields.Count <= pcscfAt || fields[pcscfAt].Length == 0)
        {
            return;
        }

        if (!TryAddress(fields[pcscfAt], out var pcscf))
        {
            problem(line.LineNumber, $"P-CSCF field {pcscfAt + 1} ('{fields[pcscfAt]}') is not an address");
            return;
        }

        if (numbers != -1 && pcscf.AddressFamily != family)
        {
            problem(line.LineNumber, "P-CSCF of the other address family on this line (one line per family)");
        }

        pcscfs.Add(pcscf);
    }

    /// <summary>27.007 addresses: dotted IPv4, 16 dotted numbers for IPv6, or the +CGPIAF colon form.</summary>
    private static bool TryAddress(string text, out IPAddress address)
    {
        address = IPAddress.None;
        if (text.Contains(':', StringComparison.Ordinal))
        {
            return IPAddress.TryParse(text, out address!);
        }

        var parts = text.Split('.');
        if (parts.Length is not (4 or 16))
        {
            return false;
        }

        var bytes = new byte[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!byte.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out bytes[i]))
            {
                return false;
            }
        }

        address = new IPAddress(bytes);
        return true;
    }

    private static string? CchoSession(List<TranscriptLine> data, CchoReply form)
    {
        if (data.Count != 1)
        {
            return null;
        }

        var text = data[0].Text;
        if (text.StartsWith("+CCHO:", StringComparison.Ordinal))
        {
            var id = text["+CCHO:".Length..].Trim();
            return form != CchoReply.Bare && id.Length > 0 && id.All(char.IsAsciiHexDigit) ? id : null;
        }

        return form != CchoReply.Prefixed && text.All(char.IsAsciiHexDigit) ? text : null;
    }

    /// <summary>"&lt;length&gt;,"&lt;hex&gt;"": 27.007 +CSIM/+CGLA count hex characters, not bytes.</summary>
    private static bool TryLengthAndHex(string text, out byte[] bytes, out string why)
    {
        bytes = [];
        var fields = SplitFields(text);
        if (fields.Count != 2 || !int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var length))
        {
            why = $"'{text}' is not <length>,\"<hex>\"";
            return false;
        }

        var hex = fields[1];
        if (hex.Length % 2 != 0 || !hex.All(char.IsAsciiHexDigit))
        {
            why = $"'{hex}' is not an even number of hex digits";
            return false;
        }

        if (length != hex.Length)
        {
            why = $"length {length} but {hex.Length} hex characters";
            return false;
        }

        bytes = Convert.FromHexString(hex);
        why = "";
        return true;
    }

    /// <summary>Comma-separated fields, quotes removed, commas inside quotes kept.</summary>
    private static List<string> SplitFields(string text)
    {
        var fields = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        foreach (var c in text.Trim())
        {
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == ',' && !quoted)
            {
                fields.Add(current.ToString().Trim());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }

        fields.Add(current.ToString().Trim());
        return fields;
    }

    private static string StripPrefix(string text, string prefix) =>
        text.StartsWith(prefix, StringComparison.Ordinal) ? text[prefix.Length..].Trim() : text;

    private sealed record ApduStep(int Line, string Via, string? Session, byte[] Command, byte[]? Response);
}
