// SPDX-License-Identifier: MIT
using System.Collections;
using System.Globalization;
using System.Text;

namespace ImUeAgent.Sip.Message;

/// <summary>The header fields of a message, in received order, with typed accessors. Typed values are parsed from
/// the stored bytes the first time they are read and cached on the message. Via, From, To, Call-ID, CSeq,
/// Max-Forwards, Contact and Content-Type were checked by the parser, so their accessors cannot fail. Other typed
/// accessors return null (or an empty list) both when the header is absent and when it is malformed; ask
/// <see cref="Validate"/> to tell which.</summary>
public readonly struct SipHeaders : IEnumerable<SipHeader>
{
    private readonly SipMessage _message;

    internal SipHeaders(SipMessage message) => _message = message;

    public int Count => _message.HeaderCount;

    public SipHeader this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
            return new SipHeader(_message, index);
        }
    }

    public bool Contains(SipHeaderId id) => IndexOf(id) >= 0;

    public int CountOf(SipHeaderId id)
    {
        int n = 0;
        foreach (HeaderEntry e in _message.Entries)
        {
            if (e.Id == id)
            {
                n++;
            }
        }

        return n;
    }

    /// <summary>The first header with this id.</summary>
    public bool TryGetFirst(SipHeaderId id, out SipHeader header)
    {
        int i = IndexOf(id);
        header = i < 0 ? default : new SipHeader(_message, i);
        return i >= 0;
    }

    /// <summary>The first header with this name (case-insensitive; compact forms and long forms of known headers are
    /// the same header). Use for extension headers.</summary>
    public bool TryGetFirst(string name, out SipHeader header)
    {
        SipHeaderId id = SipHeaderNames.Lookup(name);
        if (id != SipHeaderId.Unknown)
        {
            return TryGetFirst(id, out header);
        }

        byte[] nameBytes = Encoding.UTF8.GetBytes(name);
        ReadOnlySpan<HeaderEntry> entries = _message.Entries;
        for (int i = 0; i < entries.Length; i++)
        {
            if (entries[i].Id == SipHeaderId.Unknown && SipSyntax.EqualsIgnoreCase(_message.NameOf(entries[i]), nameBytes))
            {
                header = new SipHeader(_message, i);
                return true;
            }
        }

        header = default;
        return false;
    }

    /// <summary>The unfolded value of the first header with this id, or null.</summary>
    public string? GetValue(SipHeaderId id) => TryGetFirst(id, out SipHeader h) ? h.Value : null;

    /// <summary>The unfolded value of the first header with this name, or null.</summary>
    public string? GetValue(string name) => TryGetFirst(name, out SipHeader h) ? h.Value : null;

    /// <summary>Every header with this id, in order.</summary>
    public IEnumerable<SipHeader> GetAll(SipHeaderId id)
    {
        SipMessage message = _message;
        for (int i = 0; i < message.HeaderCount; i++)
        {
            if (message.Entries[i].Id == id)
            {
                yield return new SipHeader(message, i);
            }
        }
    }

    public IEnumerator<SipHeader> GetEnumerator()
    {
        for (int i = 0; i < Count; i++)
        {
            yield return new SipHeader(_message, i);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    // ---- Headers checked by the parser ----

    /// <summary>All Via values, top first (several per line and several lines).</summary>
    public IReadOnlyList<ViaValue> Via => List<ViaValue>(SipHeaderId.Via, ViaValue.TryParseList);

    /// <summary>The topmost Via, or null.</summary>
    public ViaValue? TopVia => Via is { Count: > 0 } v ? v[0] : null;

    public NameAddress? From => Single(SipHeaderId.From);

    public NameAddress? To => Single(SipHeaderId.To);

    public string? CallId => _message.GetCached(SipHeaderId.CallId) as string ?? CacheCallId();

    public CSeqValue? CSeq
    {
        get
        {
            if (_message.GetCached(SipHeaderId.CSeq) is CSeqValue cached)
            {
                return cached;
            }

            CSeqValue? v = TryGetFirst(SipHeaderId.CSeq, out SipHeader h) ? CSeqValue.TryParse(h.ValueBytes) : null;
            if (v is not null)
            {
                _message.SetCached(SipHeaderId.CSeq, v);
            }

            return v;
        }
    }

    public int? MaxForwards => TryGetFirst(SipHeaderId.MaxForwards, out SipHeader h) && HeaderGrammar.TryMaxForwards(h.ValueBytes, out int v) ? v : null;

    /// <summary>All Contact values in order; a "*" is <see cref="ContactValue.Wildcard"/>.</summary>
    public IReadOnlyList<ContactValue> Contact => List<ContactValue>(SipHeaderId.Contact, ContactValue.TryParseList);

    public MediaType? ContentType => Cached(SipHeaderId.ContentType, MediaType.TryParse);

    /// <summary>Content-Length as framed (0 when absent and the body is empty).</summary>
    public int ContentLength => _message.Body.Length;

    // ---- Headers parsed only when read ----

    public IReadOnlyList<NameAddress> Route => List<NameAddress>(SipHeaderId.Route, NameAddress.TryParseNameAddrList);

    public IReadOnlyList<NameAddress> RecordRoute => List<NameAddress>(SipHeaderId.RecordRoute, NameAddress.TryParseNameAddrList);

    /// <summary>Service-Route (RFC 3608) from a 200 OK to REGISTER.</summary>
    public IReadOnlyList<NameAddress> ServiceRoute => List<NameAddress>(SipHeaderId.ServiceRoute, NameAddress.TryParseNameAddrList);

    /// <summary>Path (RFC 3327).</summary>
    public IReadOnlyList<NameAddress> Path => List<NameAddress>(SipHeaderId.Path, NameAddress.TryParseNameAddrList);

    /// <summary>P-Associated-URI (RFC 7315 §4.1): the registered public identities, first is the default.</summary>
    public IReadOnlyList<NameAddress> PAssociatedUri => List<NameAddress>(SipHeaderId.PAssociatedUri, NameAddress.TryParseNameAddrList);

    public IReadOnlyList<NameAddress> PAssertedIdentity => List<NameAddress>(SipHeaderId.PAssertedIdentity, NameAddress.TryParseAnyList);

    public IReadOnlyList<NameAddress> PPreferredIdentity => List<NameAddress>(SipHeaderId.PPreferredIdentity, NameAddress.TryParseAnyList);

    /// <summary>Referred-By (RFC 3892).</summary>
    public NameAddress? ReferredBy => Single(SipHeaderId.ReferredBy);

    /// <summary>Refer-To (RFC 3515).</summary>
    public NameAddress? ReferTo => Single(SipHeaderId.ReferTo);

    /// <summary>Accept-Contact values (RFC 3841), each a separate predicate, features byte-exact.</summary>
    public IReadOnlyList<CallerPreferenceValue> AcceptContact => List<CallerPreferenceValue>(SipHeaderId.AcceptContact, CallerPreferenceValue.TryParseList);

    public IReadOnlyList<CallerPreferenceValue> RejectContact => List<CallerPreferenceValue>(SipHeaderId.RejectContact, CallerPreferenceValue.TryParseList);

    /// <summary>Request-Disposition directives (RFC 3841 §10), e.g. proxy, no-fork, parallel.</summary>
    public IReadOnlyList<string> RequestDisposition => List<string>(SipHeaderId.RequestDisposition, TryParseTokenList);

    /// <summary>Privacy values (RFC 3323 §4.2), separated by ';'.</summary>
    public IReadOnlyList<string> Privacy => List<string>(SipHeaderId.Privacy, TryParsePrivacy);

    public IReadOnlyList<AuthenticationValue> WwwAuthenticate => List<AuthenticationValue>(SipHeaderId.WwwAuthenticate, AuthenticationValue.TryParse);

    public IReadOnlyList<AuthenticationValue> ProxyAuthenticate => List<AuthenticationValue>(SipHeaderId.ProxyAuthenticate, AuthenticationValue.TryParse);

    public IReadOnlyList<AuthenticationValue> Authorization => List<AuthenticationValue>(SipHeaderId.Authorization, AuthenticationValue.TryParse);

    public IReadOnlyList<AuthenticationValue> ProxyAuthorization => List<AuthenticationValue>(SipHeaderId.ProxyAuthorization, AuthenticationValue.TryParse);

    public IReadOnlyList<SecurityMechanism> SecurityClient => List<SecurityMechanism>(SipHeaderId.SecurityClient, SecurityMechanism.TryParseList);

    public IReadOnlyList<SecurityMechanism> SecurityServer => List<SecurityMechanism>(SipHeaderId.SecurityServer, SecurityMechanism.TryParseList);

    public IReadOnlyList<SecurityMechanism> SecurityVerify => List<SecurityMechanism>(SipHeaderId.SecurityVerify, SecurityMechanism.TryParseList);

    /// <summary>Session-Expires (RFC 4028): <see cref="TokenWithParameters.Seconds"/> and refresher.</summary>
    public TokenWithParameters? SessionExpires => Cached(SipHeaderId.SessionExpires, TokenWithParameters.TryParse);

    /// <summary>Min-SE in seconds (RFC 4028).</summary>
    public uint? MinSE => Cached(SipHeaderId.MinSE, TokenWithParameters.TryParse)?.Seconds;

    /// <summary>Event (RFC 6665): <see cref="TokenWithParameters.Token"/> is the package, <see cref="TokenWithParameters.Id"/> the id.</summary>
    public TokenWithParameters? Event => Cached(SipHeaderId.Event, TokenWithParameters.TryParse);

    public TokenWithParameters? SubscriptionState => Cached(SipHeaderId.SubscriptionState, TokenWithParameters.TryParse);

    public IReadOnlyList<string> Supported => List<string>(SipHeaderId.Supported, TryParseTokenList);

    /// <summary>Require option tags; a UAS answers 420 listing those it does not support (RFC 4475 §3.3.5).</summary>
    public IReadOnlyList<string> Require => List<string>(SipHeaderId.Require, TryParseTokenList);

    public IReadOnlyList<string> ProxyRequire => List<string>(SipHeaderId.ProxyRequire, TryParseTokenList);

    public IReadOnlyList<string> Unsupported => List<string>(SipHeaderId.Unsupported, TryParseTokenList);

    public IReadOnlyList<string> Allow => List<string>(SipHeaderId.Allow, TryParseTokenList);

    public IReadOnlyList<string> AllowEvents => List<string>(SipHeaderId.AllowEvents, TryParseTokenList);

    /// <summary>Accept media ranges (type/subtype with parameters), e.g. for a 406/415 decision (RFC 4475 §3.3.15).</summary>
    public IReadOnlyList<MediaType> Accept => List<MediaType>(SipHeaderId.Accept, TryParseMediaList);

    /// <summary>Expires in seconds; null when absent or not a 32-bit delta-seconds (RFC 4475 §3.1.2.4).</summary>
    public uint? Expires => TryGetFirst(SipHeaderId.Expires, out SipHeader h) && SipSyntax.TryParseUInt32(SipSyntax.TrimLws(h.ValueBytes), out uint v) ? v : null;

    public uint? MinExpires => TryGetFirst(SipHeaderId.MinExpires, out SipHeader h) && SipSyntax.TryParseUInt32(SipSyntax.TrimLws(h.ValueBytes), out uint v) ? v : null;

    public string? UserAgent => GetValue(SipHeaderId.UserAgent);

    public string? Server => GetValue(SipHeaderId.Server);

    public string? Subject => GetValue(SipHeaderId.Subject);

    /// <summary>Date (RFC 3261 §20.17: rfc1123-date, GMT only); null when absent or invalid (RFC 4475 §3.1.2.12).</summary>
    public DateTimeOffset? Date => TryGetFirst(SipHeaderId.Date, out SipHeader h)
        && DateTimeOffset.TryParseExact(h.Value, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset d) ? d : null;

    /// <summary>Checks every header with this id against its grammar: <see cref="SipParseError.None"/> when all are
    /// well-formed (or none is present), else the reason.</summary>
    public SipParseError Validate(SipHeaderId id)
    {
        foreach (SipHeader h in GetAll(id))
        {
            ReadOnlySpan<byte> v = h.ValueBytes;
            bool ok = id switch
            {
                SipHeaderId.Via => HeaderGrammar.IsVia(v),
                SipHeaderId.From or SipHeaderId.To or SipHeaderId.ReferredBy or SipHeaderId.ReferTo => HeaderGrammar.IsSingleAddress(v),
                SipHeaderId.CallId => HeaderGrammar.IsCallId(v),
                SipHeaderId.CSeq => HeaderGrammar.TryCSeq(v, out _, out _),
                SipHeaderId.MaxForwards => HeaderGrammar.TryMaxForwards(v, out _),
                SipHeaderId.Contact => HeaderGrammar.IsContact(v),
                SipHeaderId.ContentType => HeaderGrammar.IsMediaType(v),
                SipHeaderId.Route or SipHeaderId.RecordRoute or SipHeaderId.ServiceRoute or SipHeaderId.Path or SipHeaderId.PAssociatedUri
                    => HeaderGrammar.IsAddressList(v, requireBrackets: true),
                SipHeaderId.PAssertedIdentity or SipHeaderId.PPreferredIdentity => HeaderGrammar.IsAddressList(v, requireBrackets: false),
                SipHeaderId.AcceptContact or SipHeaderId.RejectContact => CallerPreferenceValue.TryParseList(v, []),
                SipHeaderId.WwwAuthenticate or SipHeaderId.ProxyAuthenticate or SipHeaderId.Authorization or SipHeaderId.ProxyAuthorization
                    => AuthenticationValue.TryParse(v, []),
                SipHeaderId.SecurityClient or SipHeaderId.SecurityServer or SipHeaderId.SecurityVerify => SecurityMechanism.TryParseList(v, []),
                SipHeaderId.Supported or SipHeaderId.Require or SipHeaderId.ProxyRequire or SipHeaderId.Unsupported or SipHeaderId.Allow
                    or SipHeaderId.AllowEvents or SipHeaderId.RequestDisposition => TryParseTokenList(v, []),
                SipHeaderId.Privacy => TryParsePrivacy(v, []),
                SipHeaderId.Accept => TryParseMediaList(v, []),
                SipHeaderId.SessionExpires or SipHeaderId.Event or SipHeaderId.SubscriptionState => TokenWithParameters.TryParse(v) is not null,
                SipHeaderId.MinSE => TokenWithParameters.TryParse(v)?.Seconds is not null,
                SipHeaderId.Expires or SipHeaderId.MinExpires or SipHeaderId.ContentLength => SipSyntax.TryParseUInt32(SipSyntax.TrimLws(v), out _),
                SipHeaderId.Date => DateTimeOffset.TryParseExact(h.Value, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _),
                _ => true,
            };
            if (!ok)
            {
                return id switch
                {
                    SipHeaderId.Via => SipParseError.InvalidVia,
                    SipHeaderId.From => SipParseError.InvalidFrom,
                    SipHeaderId.To => SipParseError.InvalidTo,
                    SipHeaderId.CallId => SipParseError.InvalidCallId,
                    SipHeaderId.CSeq => SipParseError.InvalidCSeq,
                    SipHeaderId.MaxForwards => SipParseError.InvalidMaxForwards,
                    SipHeaderId.Contact => SipParseError.InvalidContact,
                    SipHeaderId.ContentType => SipParseError.InvalidContentType,
                    SipHeaderId.ContentLength => SipParseError.InvalidContentLength,
                    _ => SipParseError.InvalidHeaderValue,
                };
            }
        }

        return SipParseError.None;
    }

    private int IndexOf(SipHeaderId id)
    {
        ReadOnlySpan<HeaderEntry> entries = _message.Entries;
        for (int i = 0; i < entries.Length; i++)
        {
            if (entries[i].Id == id)
            {
                return i;
            }
        }

        return -1;
    }

    private string? CacheCallId()
    {
        if (!TryGetFirst(SipHeaderId.CallId, out SipHeader h))
        {
            return null;
        }

        string v = Encoding.UTF8.GetString(SipSyntax.TrimLws(h.ValueBytes));
        _message.SetCached(SipHeaderId.CallId, v);
        return v;
    }

    private NameAddress? Single(SipHeaderId id)
    {
        if (_message.GetCached(id) is NameAddress cached)
        {
            return cached;
        }

        if (!TryGetFirst(id, out SipHeader h) || !NameAddress.TryParseSingle(h.ValueBytes, out NameAddress? value))
        {
            return null;
        }

        _message.SetCached(id, value!);
        return value;
    }

    private T? Cached<T>(SipHeaderId id, ParseOne<T> parse)
        where T : class
    {
        if (_message.GetCached(id) is T cached)
        {
            return cached;
        }

        T? value = TryGetFirst(id, out SipHeader h) ? parse(h.ValueBytes) : null;
        if (value is not null)
        {
            _message.SetCached(id, value);
        }

        return value;
    }

    private IReadOnlyList<T> List<T>(SipHeaderId id, ParseList<T> parse)
    {
        if (_message.GetCached(id) is IReadOnlyList<T> cached)
        {
            return cached;
        }

        var sink = new List<T>();
        ReadOnlySpan<HeaderEntry> entries = _message.Entries;
        for (int i = 0; i < entries.Length; i++)
        {
            if (entries[i].Id == id && !parse(_message.ValueOf(entries[i]), sink))
            {
                return [];
            }
        }

        T[] result = [.. sink];
        _message.SetCached(id, result);
        return result;
    }

    private delegate T? ParseOne<T>(ReadOnlySpan<byte> value)
        where T : class;

    private delegate bool ParseList<T>(ReadOnlySpan<byte> value, List<T> sink);

    private static bool TryParseTokenList(ReadOnlySpan<byte> value, List<string> sink)
    {
        var r = new SipValueReader(value);
        if (r.AtEndAfterLws())
        {
            return true;
        }

        while (true)
        {
            if (!r.TryToken(out Seg t))
            {
                return false;
            }

            sink.Add(Encoding.ASCII.GetString(r.Slice(t)));
            if (!HeaderGrammar.TryListSeparator(ref r, out bool end))
            {
                return false;
            }

            if (end)
            {
                return true;
            }
        }
    }

    private static bool TryParsePrivacy(ReadOnlySpan<byte> value, List<string> sink)
    {
        var r = new SipValueReader(value);
        r.SkipLws();
        while (true)
        {
            if (!r.TryToken(out Seg t))
            {
                return false;
            }

            sink.Add(Encoding.ASCII.GetString(r.Slice(t)));
            if (r.AtEndAfterLws())
            {
                return true;
            }

            if (!r.TrySeparator((byte)';'))
            {
                return false;
            }
        }
    }

    private static bool TryParseMediaList(ReadOnlySpan<byte> value, List<MediaType> sink)
    {
        var r = new SipValueReader(value);
        if (r.AtEndAfterLws())
        {
            return true;
        }

        while (true)
        {
            var parameters = new List<SipParameter>();
            if (!HeaderGrammar.TryMediaType(ref r, out Seg type, out Seg subtype, parameters))
            {
                return false;
            }

            sink.Add(new MediaType(Encoding.ASCII.GetString(r.Slice(type)), Encoding.ASCII.GetString(r.Slice(subtype)), parameters));
            if (!HeaderGrammar.TryListSeparator(ref r, out bool end))
            {
                return false;
            }

            if (end)
            {
                return true;
            }
        }
    }
}
