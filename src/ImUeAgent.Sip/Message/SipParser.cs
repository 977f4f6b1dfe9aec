// SPDX-License-Identifier: MIT
using System.Buffers;
using System.Runtime.InteropServices;

namespace ImUeAgent.Sip.Message;

/// <summary>The pure SIP message parser (STYLE.md §1): bytes in, Incomplete / Complete(message, consumed) /
/// KeepAlive(consumed) / Error(reason, where) out. No I/O, no state between calls. Frames by Content-Length (RFC 3261
/// §18.3), checks the start line and the values of the headers every element relies on (Via, From, To, Call-ID, CSeq,
/// Max-Forwards, Contact, Content-Type); every other header is only indexed and parsed when read.</summary>
public static class SipParser
{
    private const int MaxStackHeaders = 256;

    /// <summary>Control characters that can never appear in a start line (CR and LF delimit it).</summary>
    private static readonly SearchValues<byte> StartLineForbidden = SearchValues.Create(
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 127]);

    /// <summary>Parses one message from the start of <paramref name="input"/>. On a stream, call again with the
    /// remaining bytes after advancing by <see cref="SipParseResult.Consumed"/>; a datagram is always consumed whole
    /// (trailing octets after Content-Length are noise, RFC 3261 §18.3, RFC 4475 §3.1.1.8).</summary>
    public static SipParseResult Parse(in ReadOnlySequence<byte> input, SipFraming framing, SipParserOptions? options = null)
    {
        options ??= SipParserOptions.Default;
        if (!ReferenceEquals(options, SipParserOptions.Default))
        {
            options.Validate();
        }

        // RFC 3261 §7.5 / RFC 5626 §3.5.1: CRLFs before a start line are keep-alives, not part of a message.
        long skip = CountLeadingCrlf(input, out bool danglingCr);
        if (framing == SipFraming.Stream)
        {
            if (skip > 0)
            {
                return SipParseResult.KeepAlive(skip);
            }

            if (danglingCr && input.Length == 1)
            {
                return SipParseResult.Incomplete;
            }
        }
        else if (skip == input.Length)
        {
            return input.IsEmpty ? SipParseResult.Fail(SipParseError.HeadersNotTerminated, 0) : SipParseResult.KeepAlive(skip);
        }

        ReadOnlySequence<byte> seq = skip == 0 ? input : input.Slice(skip);
        int limit = (int)Math.Min(seq.Length, options.MaxMessageSize);
        int headerEnd = FindHeaderEnd(seq, limit);
        bool unterminated = false;
        if (headerEnd < 0)
        {
            if (framing == SipFraming.Datagram)
            {
                if (seq.Length > options.MaxMessageSize)
                {
                    return SipParseResult.Fail(SipParseError.MessageTooLarge, skip + options.MaxMessageSize);
                }

                // Lenient: a datagram whose last header line ends with CRLF but lacks the empty line.
                if (!EndsWithCrlf(seq))
                {
                    return CheckPartialHead(seq, options, skip, SipParseError.HeadersNotTerminated);
                }

                headerEnd = (int)seq.Length;
                unterminated = true;
            }
            else
            {
                if (seq.Length >= options.MaxMessageSize)
                {
                    return SipParseResult.Fail(SipParseError.MessageTooLarge, skip + options.MaxMessageSize);
                }

                return CheckPartialHead(seq, options, skip, SipParseError.None);
            }
        }

        byte[]? rented = null;
        try
        {
            ReadOnlySpan<byte> first = seq.FirstSpan;
            ReadOnlySpan<byte> head;
            if (first.Length >= headerEnd)
            {
                head = first[..headerEnd];
            }
            else
            {
                rented = ArrayPool<byte>.Shared.Rent(headerEnd);
                seq.Slice(0, headerEnd).CopyTo(rented);
                head = rented.AsSpan(0, headerEnd);
            }

            int cap = options.MaxHeaderCount;
            Span<HeaderEntry> entries = cap <= MaxStackHeaders ? stackalloc HeaderEntry[cap] : new HeaderEntry[cap];
            var head1 = new HeadResult();
            ParseHead(head, options, entries, ref head1);
            if (head1.Error != SipParseError.None)
            {
                return SipParseResult.Fail(head1.Error, skip + head1.ErrorOffset, head1.ErrorHeader);
            }

            // Body framing (RFC 3261 §18.3, §20.14).
            long available = seq.Length - headerEnd;
            long bodyLength;
            if (head1.ContentLength < 0)
            {
                if (framing == SipFraming.Stream)
                {
                    return SipParseResult.Fail(SipParseError.MissingContentLength, skip + headerEnd);
                }

                bodyLength = available;
            }
            else
            {
                bodyLength = head1.ContentLength;
                if (bodyLength > options.MaxMessageSize - headerEnd)
                {
                    return SipParseResult.Fail(SipParseError.MessageTooLarge, skip + head1.ContentLengthOffset, SipHeaderId.ContentLength);
                }

                if (bodyLength > available)
                {
                    return framing == SipFraming.Datagram
                        ? SipParseResult.Fail(SipParseError.ContentLengthExceedsDatagram, skip + head1.ContentLengthOffset, SipHeaderId.ContentLength)
                        : SipParseResult.Incomplete;
                }
            }

            if (headerEnd + bodyLength > options.MaxMessageSize)
            {
                return SipParseResult.Fail(SipParseError.MessageTooLarge, skip + options.MaxMessageSize);
            }

            int total = headerEnd + (int)bodyLength;
            int count = head1.Count;
            int entriesOffset = (total + 3) & ~3;
            byte[] buffer = GC.AllocateUninitializedArray<byte>(entriesOffset + (count * HeaderEntry.Size));
            seq.Slice(0, total).CopyTo(buffer);

            MemoryMarshal.AsBytes(entries[..count]).CopyTo(buffer.AsSpan(entriesOffset));
            int headersEnd = unterminated ? headerEnd : headerEnd - 2;
            SipMessage message = SipMessage.Create(buffer, total, entriesOffset, count, headersEnd, headerEnd, head1.Start);
            long consumed = framing == SipFraming.Datagram ? input.Length : skip + total;

            (SipParseError error, int offset, SipHeaderId header) = ValidateCoreHeaders(message, head1.Start);
            return error == SipParseError.None
                ? SipParseResult.Complete(message, consumed)
                : SipParseResult.Fail(error, skip + offset, header, message, consumed);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Parses a contiguous buffer (one datagram, or the start of a stream).</summary>
    public static SipParseResult Parse(ReadOnlyMemory<byte> input, SipFraming framing, SipParserOptions? options = null) =>
        Parse(new ReadOnlySequence<byte>(input), framing, options);

    private struct HeadResult
    {
        public StartLineInfo Start;
        public int Count;
        public long ContentLength;
        public int ContentLengthOffset;
        public SipParseError Error;
        public int ErrorOffset;
        public SipHeaderId ErrorHeader;

        public void Fail(SipParseError error, int offset, SipHeaderId header = SipHeaderId.Unknown)
        {
            Error = error;
            ErrorOffset = offset;
            ErrorHeader = header;
        }
    }

    private static long CountLeadingCrlf(in ReadOnlySequence<byte> input, out bool danglingCr)
    {
        danglingCr = false;
        ReadOnlySpan<byte> first = input.FirstSpan;
        if (first.IsEmpty || first[0] != '\r')
        {
            return 0;
        }

        var reader = new SequenceReader<byte>(input);
        long n = 0;
        while (reader.TryPeek(out byte cr) && cr == '\r')
        {
            if (!reader.TryPeek(1, out byte lf))
            {
                danglingCr = true;
                break;
            }

            if (lf != '\n')
            {
                break;
            }

            reader.Advance(2);
            n += 2;
        }

        return n;
    }

    private static int FindHeaderEnd(in ReadOnlySequence<byte> seq, int limit)
    {
        ReadOnlySpan<byte> first = seq.FirstSpan;
        if (first.Length >= limit || seq.IsSingleSegment)
        {
            int idx = first[..Math.Min(first.Length, limit)].IndexOf("\r\n\r\n"u8);
            return idx < 0 ? -1 : idx + 4;
        }

        var reader = new SequenceReader<byte>(seq.Slice(0, limit));
        return reader.TryReadTo(out ReadOnlySequence<byte> _, "\r\n\r\n"u8, advancePastDelimiter: true) ? (int)reader.Consumed : -1;
    }

    private static bool EndsWithCrlf(in ReadOnlySequence<byte> seq)
    {
        if (seq.Length < 2)
        {
            return false;
        }

        Span<byte> last = stackalloc byte[2];
        seq.Slice(seq.Length - 2).CopyTo(last);
        return last[0] == '\r' && last[1] == '\n';
    }

    /// <summary>The header section is not complete yet: reject early what can never become valid (a bad start line,
    /// an over-long line) instead of buffering up to the message cap.</summary>
    private static SipParseResult CheckPartialHead(in ReadOnlySequence<byte> seq, SipParserOptions options, long skip, SipParseError whenFine)
    {
        int window = (int)Math.Min(seq.Length, options.MaxLineLength + 2L);
        ReadOnlySpan<byte> first = seq.FirstSpan;
        byte[]? rented = null;
        try
        {
            ReadOnlySpan<byte> area;
            if (first.Length >= window)
            {
                area = first[..window];
            }
            else
            {
                rented = ArrayPool<byte>.Shared.Rent(window);
                seq.Slice(0, window).CopyTo(rented);
                area = rented.AsSpan(0, window);
            }

            int crlf = area.IndexOf("\r\n"u8);
            if (crlf >= 0)
            {
                var info = default(StartLineInfo);
                (SipParseError error, int offset) = ParseStartLine(area[..crlf], ref info);
                if (error != SipParseError.None)
                {
                    return SipParseResult.Fail(error, skip + offset);
                }
            }
            else
            {
                int bad = area.IndexOfAny(StartLineForbidden);
                if (bad >= 0 && !(bad == window - 1 && area[bad] == '\r'))
                {
                    return SipParseResult.Fail(LooksLikeResponse(area) ? SipParseError.InvalidStatusLine : SipParseError.InvalidRequestLine, skip + bad);
                }

                if (window > options.MaxLineLength + 1)
                {
                    return SipParseResult.Fail(SipParseError.LineTooLong, skip);
                }
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        // The last, partial line must also stay under the cap.
        if (seq.Length > options.MaxLineLength)
        {
            ReadOnlySequence<byte> tail = seq.Slice(seq.Length - options.MaxLineLength - 1);
            if (tail.PositionOf((byte)'\n') is null)
            {
                return SipParseResult.Fail(SipParseError.LineTooLong, skip + seq.Length - options.MaxLineLength - 1);
            }
        }

        return whenFine == SipParseError.None ? SipParseResult.Incomplete : SipParseResult.Fail(whenFine, skip + seq.Length);
    }

    private static bool LooksLikeResponse(ReadOnlySpan<byte> line) =>
        line.Length >= 4 && SipSyntax.EqualsIgnoreCase(line[..4], "SIP/"u8);

    private static void ParseHead(ReadOnlySpan<byte> head, SipParserOptions options, Span<HeaderEntry> entries, ref HeadResult r)
    {
        r.ContentLength = -1;
        int lineEnd = head.IndexOf("\r\n"u8);
        if (lineEnd > options.MaxLineLength)
        {
            r.Fail(SipParseError.LineTooLong, 0);
            return;
        }

        (SipParseError startError, int startOffset) = ParseStartLine(head[..lineEnd], ref r.Start);
        if (startError != SipParseError.None)
        {
            r.Fail(startError, startOffset);
            return;
        }

        int pos = lineEnd + 2;
        int count = 0;
        while (pos < head.Length)
        {
            int rel = head[pos..].IndexOf("\r\n"u8);
            ReadOnlySpan<byte> line = head.Slice(pos, rel);
            if (line.IsEmpty)
            {
                break;
            }

            if (line.Length > options.MaxLineLength)
            {
                r.Fail(SipParseError.LineTooLong, pos);
                return;
            }

            int bare = line.IndexOfAny((byte)'\r', (byte)'\n');
            if (bare >= 0)
            {
                r.Fail(SipParseError.InvalidLineEnding, pos + bare);
                return;
            }

            if (line[0] is (byte)' ' or (byte)'\t')
            {
                // RFC 3261 §7.3.1: a line starting with whitespace continues the previous header's value.
                if (count == 0)
                {
                    r.Fail(SipParseError.UnexpectedContinuation, pos);
                    return;
                }

                entries[count - 1].ValueEnd = pos + rel;
            }
            else
            {
                if (count == entries.Length)
                {
                    r.Fail(SipParseError.TooManyHeaders, pos);
                    return;
                }

                int colon = line.IndexOf((byte)':');
                if (colon <= 0)
                {
                    r.Fail(SipParseError.InvalidHeaderLine, pos);
                    return;
                }

                // HCOLON = *( SP / HTAB ) ":" SWS
                int nameLength = colon;
                while (nameLength > 0 && line[nameLength - 1] is (byte)' ' or (byte)'\t')
                {
                    nameLength--;
                }

                ReadOnlySpan<byte> name = line[..nameLength];
                if (!SipSyntax.IsToken(name))
                {
                    r.Fail(SipParseError.InvalidHeaderLine, pos);
                    return;
                }

                entries[count++] = new HeaderEntry(SipHeaderNames.Lookup(name), pos, nameLength, pos + colon + 1, pos + rel);
            }

            pos += rel + 2;
        }

        r.Count = count;
        for (int i = 0; i < count; i++)
        {
            ref HeaderEntry e = ref entries[i];
            while (e.ValueStart < e.ValueEnd && SipSyntax.IsLws(head[e.ValueStart]))
            {
                e.ValueStart++;
            }

            while (e.ValueEnd > e.ValueStart && SipSyntax.IsLws(head[e.ValueEnd - 1]))
            {
                e.ValueEnd--;
            }

            if (e.Id == SipHeaderId.ContentLength)
            {
                ReadOnlySpan<byte> value = head[e.ValueStart..e.ValueEnd];
                if (value.IsEmpty || value.ContainsAnyExcept(SipSyntax.Digits))
                {
                    r.Fail(SipParseError.InvalidContentLength, e.ValueStart, SipHeaderId.ContentLength);
                    return;
                }

                // Leading zeros are legal; anything beyond 10 significant digits is beyond any cap anyway.
                ReadOnlySpan<byte> significant = value.TrimStart((byte)'0');
                long length = significant.Length > 10 ? long.MaxValue
                    : SipSyntax.TryParseUInt32(significant.IsEmpty ? "0"u8 : significant, out uint v) ? v : long.MaxValue;
                if (r.ContentLength >= 0 && r.ContentLength != length)
                {
                    r.Fail(SipParseError.MultipleContentLength, e.NameStart, SipHeaderId.ContentLength);
                    return;
                }

                r.ContentLength = length;
                r.ContentLengthOffset = e.NameStart;
            }
        }
    }

    /// <summary>Request-Line = Method SP Request-URI SP SIP-Version; Status-Line = SIP-Version SP Status-Code SP
    /// Reason-Phrase (RFC 3261 §7.1, §7.2). Single spaces only (RFC 4475 §3.1.2.9, §3.1.2.10).</summary>
    private static (SipParseError Error, int Offset) ParseStartLine(ReadOnlySpan<byte> line, ref StartLineInfo info)
    {
        if (LooksLikeResponse(line))
        {
            info.IsRequest = false;
            int bad = line.IndexOfAny(StartLineForbidden);
            if (bad >= 0)
            {
                return (SipParseError.InvalidStatusLine, bad);
            }

            int sp = line.IndexOf((byte)' ');
            int version = CheckVersion(sp < 0 ? line : line[..sp]);
            if (version == 2 || sp < 0)
            {
                return (SipParseError.InvalidStatusLine, 0);
            }

            if (version == 1)
            {
                return (SipParseError.UnsupportedVersion, 0);
            }

            ReadOnlySpan<byte> rest = line[(sp + 1)..];
            int digits = rest.IndexOfAnyExceptInRange((byte)'0', (byte)'9');
            if (digits < 0)
            {
                digits = rest.Length;
            }

            if (digits != 3 || (digits < rest.Length && rest[digits] != ' '))
            {
                return (SipParseError.InvalidStatusCode, sp + 1);
            }

            int code = ((rest[0] - '0') * 100) + ((rest[1] - '0') * 10) + (rest[2] - '0');
            if (code is < 100 or > 699)
            {
                return (SipParseError.InvalidStatusCode, sp + 1);
            }

            info.StatusCode = code;
            int reasonStart = sp + 1 + Math.Min(4, rest.Length);
            info.Reason = new Seg(reasonStart, line.Length - reasonStart);
            return (SipParseError.None, 0);
        }

        info.IsRequest = true;
        if (line.IndexOfAny(StartLineForbidden) is var ctl and >= 0)
        {
            return (SipParseError.InvalidRequestLine, ctl);
        }

        int sp1 = line.IndexOf((byte)' ');
        if (sp1 <= 0 || !SipSyntax.IsToken(line[..sp1]))
        {
            return (SipParseError.InvalidRequestLine, 0);
        }

        int sp2 = line.LastIndexOf((byte)' ');
        if (sp2 == sp1)
        {
            return (SipParseError.InvalidRequestLine, sp1);
        }

        ReadOnlySpan<byte> uri = line[(sp1 + 1)..sp2];
        int v = CheckVersion(line[(sp2 + 1)..]);
        if (v == 2)
        {
            return (SipParseError.InvalidRequestLine, sp2 + 1);
        }

        if (uri.IsEmpty || uri[0] == ' ' || uri[^1] == ' ')
        {
            // More than one SP between elements (RFC 4475 §3.1.2.9).
            return (SipParseError.InvalidRequestLine, sp1 + 1);
        }

        if (uri.IndexOf((byte)' ') >= 0)
        {
            // LWS inside the Request-URI (RFC 4475 §3.1.2.8).
            return (SipParseError.InvalidRequestUri, sp1 + 1);
        }

        if (v == 1)
        {
            return (SipParseError.UnsupportedVersion, sp2 + 1);
        }

        if (!SipUriGrammar.TryParse(uri, out UriParts parts))
        {
            return (SipParseError.InvalidRequestUri, sp1 + 1);
        }

        if (parts.Scheme is SipUriScheme.Sip or SipUriScheme.Sips && parts.Headers.Length > 0)
        {
            // RFC 3261 §19.1.1 table: headers are not allowed in a Request-URI (RFC 4475 §3.1.2.11).
            return (SipParseError.RequestUriHasHeaders, sp1 + 1);
        }

        info.MethodToken = new Seg(0, sp1);
        info.Method = SipMethods.Parse(line[..sp1]);
        info.RequestUri = new Seg(sp1 + 1, uri.Length);
        return (SipParseError.None, 0);
    }

    /// <summary>0: SIP/2.0; 1: another well-formed SIP version; 2: not a SIP-Version. "SIP" is case-insensitive
    /// (RFC 3261 §7.1).</summary>
    private static int CheckVersion(ReadOnlySpan<byte> v)
    {
        if (v.Length < 7 || !SipSyntax.EqualsIgnoreCase(v[..4], "SIP/"u8))
        {
            return 2;
        }

        ReadOnlySpan<byte> numbers = v[4..];
        int dot = numbers.IndexOf((byte)'.');
        if (dot <= 0 || dot == numbers.Length - 1 || numbers[..dot].ContainsAnyExcept(SipSyntax.Digits) || numbers[(dot + 1)..].ContainsAnyExcept(SipSyntax.Digits))
        {
            return 2;
        }

        return numbers.SequenceEqual("2.0"u8) ? 0 : 1;
    }

    private static (SipParseError, int, SipHeaderId) ValidateCoreHeaders(SipMessage message, in StartLineInfo start)
    {
        ReadOnlySpan<HeaderEntry> entries = message.Entries;
        for (int i = 0; i < entries.Length; i++)
        {
            ref readonly HeaderEntry e = ref entries[i];
            ReadOnlySpan<byte> value = message.ValueOf(e);
            SipParseError error = e.Id switch
            {
                SipHeaderId.Via => HeaderGrammar.IsVia(value) ? SipParseError.None : SipParseError.InvalidVia,
                SipHeaderId.From => HeaderGrammar.IsSingleAddress(value) ? SipParseError.None : SipParseError.InvalidFrom,
                SipHeaderId.To => HeaderGrammar.IsSingleAddress(value) ? SipParseError.None : SipParseError.InvalidTo,
                SipHeaderId.CallId => HeaderGrammar.IsCallId(value) ? SipParseError.None : SipParseError.InvalidCallId,
                SipHeaderId.CSeq => CheckCSeq(message, value, start),
                SipHeaderId.MaxForwards => HeaderGrammar.TryMaxForwards(value, out _) ? SipParseError.None : SipParseError.InvalidMaxForwards,
                SipHeaderId.Contact => HeaderGrammar.IsContact(value) ? SipParseError.None : SipParseError.InvalidContact,
                SipHeaderId.ContentType => HeaderGrammar.IsMediaType(value) ? SipParseError.None : SipParseError.InvalidContentType,
                _ => SipParseError.None,
            };
            if (error != SipParseError.None)
            {
                return (error, e.NameStart, e.Id);
            }
        }

        return (SipParseError.None, 0, SipHeaderId.Unknown);
    }

    private static SipParseError CheckCSeq(SipMessage message, ReadOnlySpan<byte> value, in StartLineInfo start)
    {
        if (!HeaderGrammar.TryCSeq(value, out _, out Seg method))
        {
            return SipParseError.InvalidCSeq;
        }

        // RFC 3261 §8.1.1.5: the CSeq method MUST match the request's (RFC 4475 §3.1.2.17, §3.1.2.18).
        if (start.IsRequest && !value.Slice(method.Start, method.Length).SequenceEqual(message.Bytes.Slice(start.MethodToken.Start, start.MethodToken.Length)))
        {
            return SipParseError.CSeqMethodMismatch;
        }

        return SipParseError.None;
    }
}
