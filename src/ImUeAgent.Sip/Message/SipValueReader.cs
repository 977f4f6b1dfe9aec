// SPDX-License-Identifier: MIT
namespace ImUeAgent.Sip.Message;

/// <summary>A cursor over one header value implementing the RFC 3261 §25.1 lexical rules (LWS, SWS-separators,
/// token, quoted-string). It never allocates; callers turn the <see cref="Seg"/>s it returns into strings only when
/// asked. Folded line breaks inside the value count as whitespace (§7.3.1).</summary>
internal ref struct SipValueReader
{
    private readonly ReadOnlySpan<byte> _s;
    private int _pos;

    public SipValueReader(ReadOnlySpan<byte> s)
    {
        _s = s;
        _pos = 0;
    }

    public readonly ReadOnlySpan<byte> Source => _s;

    public int Position
    {
        readonly get => _pos;
        set => _pos = value;
    }

    public readonly bool AtEnd => _pos >= _s.Length;

    public readonly bool Peek(byte c) => _pos < _s.Length && _s[_pos] == c;

    public void SkipLws()
    {
        while (_pos < _s.Length && SipSyntax.IsLws(_s[_pos]))
        {
            _pos++;
        }
    }

    /// <summary>True at end of value after optional whitespace.</summary>
    public bool AtEndAfterLws()
    {
        SkipLws();
        return AtEnd;
    }

    /// <summary>Consumes SWS c SWS (SEMI, COMMA, EQUAL, SLASH, COLON); leaves the position unchanged when absent.</summary>
    public bool TrySeparator(byte c)
    {
        int save = _pos;
        SkipLws();
        if (_pos < _s.Length && _s[_pos] == c)
        {
            _pos++;
            SkipLws();
            return true;
        }

        _pos = save;
        return false;
    }

    public bool TryConsume(byte c)
    {
        if (_pos < _s.Length && _s[_pos] == c)
        {
            _pos++;
            return true;
        }

        return false;
    }

    public bool TryToken(out Seg token)
    {
        int len = _s[_pos..].IndexOfAnyExcept(SipSyntax.Token);
        if (len < 0)
        {
            len = _s.Length - _pos;
        }

        token = new Seg(_pos, len);
        _pos += len;
        return len > 0;
    }

    /// <summary>Reads a run of characters from <paramref name="allowed"/>; false when empty.</summary>
    public bool TryRun(System.Buffers.SearchValues<byte> allowed, out Seg run)
    {
        int len = _s[_pos..].IndexOfAnyExcept(allowed);
        if (len < 0)
        {
            len = _s.Length - _pos;
        }

        run = new Seg(_pos, len);
        _pos += len;
        return len > 0;
    }

    /// <summary>At a '"', reads a quoted-string; <paramref name="inner"/> excludes the quotes and keeps quoted-pairs.
    /// False when the string is unterminated (RFC 4475 §3.1.2.6) or contains a bare CR/LF outside a fold.</summary>
    public bool TryQuotedString(out Seg inner)
    {
        inner = Seg.None;
        if (!Peek((byte)'"'))
        {
            return false;
        }

        int start = _pos + 1;
        for (int i = start; i < _s.Length; i++)
        {
            byte b = _s[i];
            if (b == '\\')
            {
                if (i + 1 >= _s.Length || _s[i + 1] is (byte)'\r' or (byte)'\n')
                {
                    return false;
                }

                i++;
            }
            else if (b == '"')
            {
                inner = new Seg(start, i - start);
                _pos = i + 1;
                return true;
            }
            else if (b == '\r' && !(i + 2 < _s.Length && _s[i + 1] == '\n' && _s[i + 2] is (byte)' ' or (byte)'\t'))
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>gen-value = token / host / quoted-string. <paramref name="raw"/> includes the quotes when quoted.</summary>
    public bool TryGenericValue(out Seg raw, out bool quoted)
    {
        quoted = Peek((byte)'"');
        if (quoted)
        {
            int start = _pos;
            bool ok = TryQuotedString(out _);
            raw = new Seg(start, _pos - start);
            return ok;
        }

        return TryRun(SipSyntax.ParamValue, out raw);
    }

    public readonly ReadOnlySpan<byte> Slice(Seg seg) => seg.Length <= 0 ? default : _s.Slice(seg.Start, seg.Length);
}
