// SPDX-License-Identifier: MIT
using System.Collections;

namespace ImUeAgent.Sip.Message;

/// <summary>One ";name[=value]" parameter as received. <see cref="RawValue"/> is the value exactly as on the wire
/// (quotes and escapes included) so it can be forwarded byte-exact; <see cref="Value"/> is its meaning (quotes and
/// quoted-pair escapes removed; for URI parameters, %-escapes decoded).</summary>
public sealed class SipParameter
{
    public SipParameter(string name, string? value = null, bool isQuoted = false, string? rawValue = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        Value = value;
        IsQuoted = isQuoted;
        RawValue = rawValue ?? (value is null ? null : isQuoted ? Quote(value) : value);
    }

    public string Name { get; }

    /// <summary>The value's meaning, or null for a parameter without "=value" (a flag such as lr or explicit).</summary>
    public string? Value { get; }

    public bool IsQuoted { get; }

    /// <summary>The value as received, including surrounding quotes; null when there is no value.</summary>
    public string? RawValue { get; }

    /// <summary>The parameter as it appears after ';' (without the ';').</summary>
    public override string ToString() => RawValue is null ? Name : Name + "=" + RawValue;

    internal static string Quote(string value)
    {
        if (value.AsSpan().IndexOfAny('"', '\\') < 0)
        {
            return "\"" + value + "\"";
        }

        return "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
    }
}

/// <summary>An ordered list of parameters with case-insensitive lookup by name (RFC 3261 §7.3.1: parameter names are
/// case-insensitive).</summary>
public sealed class SipParameters : IReadOnlyList<SipParameter>
{
    private readonly SipParameter[] _items;

    public static SipParameters Empty { get; } = new([]);

    internal SipParameters(SipParameter[] items) => _items = items;

    public int Count => _items.Length;

    public SipParameter this[int index] => _items[index];

    /// <summary>The first parameter with this name, or null.</summary>
    public SipParameter? Find(string name)
    {
        foreach (SipParameter p in _items)
        {
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return p;
            }
        }

        return null;
    }

    public bool Contains(string name) => Find(name) is not null;

    /// <summary>The value of the named parameter; null when absent or when it has no value.</summary>
    public string? GetValue(string name) => Find(name)?.Value;

    public IEnumerator<SipParameter> GetEnumerator() => ((IEnumerable<SipParameter>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => _items.Length == 0 ? string.Empty : ";" + string.Join(';', (IEnumerable<SipParameter>)_items);
}
