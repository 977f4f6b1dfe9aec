// SPDX-License-Identifier: MIT
namespace ImUeAgent.Modem.At.Urc;

/// <summary>The event of a +CGEV URC (27.007 §10.1.19).</summary>
public enum PacketDomainEventKind
{
    /// <summary>A name this parser does not know (vendor events such as "ME OVERHEATED"); see <see cref="PacketDomainEvent.EventName"/>.</summary>
    Other,
    NwDetach,
    MeDetach,
    NwClass,
    MeClass,
    Reject,
    NwReact,

    /// <summary>The network activated a PDN connection (default bearer): NW PDN ACT &lt;cid&gt;.</summary>
    NwPdnAct,

    /// <summary>The MT activated a PDN connection: ME PDN ACT &lt;cid&gt;[,&lt;reason&gt;[,&lt;cid_other&gt;]].</summary>
    MePdnAct,
    NwPdnDeact,
    MePdnDeact,

    /// <summary>Vendor form without the originator ("PDN ACT 1", Quectel).</summary>
    PdnAct,

    /// <summary>Vendor form without the originator ("PDN DEACT 1").</summary>
    PdnDeact,

    /// <summary>Dedicated bearer: NW ACT &lt;p_cid&gt;,&lt;cid&gt;,&lt;event_type&gt;.</summary>
    NwAct,
    MeAct,

    /// <summary>NW DEACT, new form &lt;p_cid&gt;,&lt;cid&gt;,&lt;event_type&gt; or old form &lt;PDP_type&gt;,&lt;PDP_addr&gt;[,&lt;cid&gt;].</summary>
    NwDeact,
    MeDeact,
    NwModify,
    MeModify,
}

/// <summary>
/// A parsed +CGEV URC. Only the fields its event carries are set; <see cref="Line"/> keeps the original.
/// </summary>
public sealed record PacketDomainEvent(
    PacketDomainEventKind Kind,
    string EventName,
    int? Cid,
    int? ParentCid,
    int? EventType,
    int? Reason,
    int? OtherCid,
    int? ChangeReason,
    string? PdpType,
    string? PdpAddress,
    string? MsClass,
    string Line)
{
    // Longest names first: "NW PDN DEACT" must not be read as "NW DEACT"... with "PDN" as an argument.
    private static readonly (string Name, PacketDomainEventKind Kind)[] Names =
    [
        ("NW PDN DEACT", PacketDomainEventKind.NwPdnDeact),
        ("ME PDN DEACT", PacketDomainEventKind.MePdnDeact),
        ("NW PDN ACT", PacketDomainEventKind.NwPdnAct),
        ("ME PDN ACT", PacketDomainEventKind.MePdnAct),
        ("PDN DEACT", PacketDomainEventKind.PdnDeact),
        ("PDN ACT", PacketDomainEventKind.PdnAct),
        ("NW DETACH", PacketDomainEventKind.NwDetach),
        ("ME DETACH", PacketDomainEventKind.MeDetach),
        ("NW MODIFY", PacketDomainEventKind.NwModify),
        ("ME MODIFY", PacketDomainEventKind.MeModify),
        ("NW DEACT", PacketDomainEventKind.NwDeact),
        ("ME DEACT", PacketDomainEventKind.MeDeact),
        ("NW REACT", PacketDomainEventKind.NwReact),
        ("NW CLASS", PacketDomainEventKind.NwClass),
        ("ME CLASS", PacketDomainEventKind.MeClass),
        ("NW ACT", PacketDomainEventKind.NwAct),
        ("ME ACT", PacketDomainEventKind.MeAct),
        ("REJECT", PacketDomainEventKind.Reject),
    ];

    private static readonly System.Buffers.SearchValues<char> EventNameCharacters = System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZ_");

    public static bool TryParse(string line, out PacketDomainEvent? report, out AtUrcParseError error)
    {
        ArgumentNullException.ThrowIfNull(line);
        report = null;
        var colon = AtValueReader.NameLength(line);
        if (colon < 0 || !line.AsSpan(0, colon).TrimEnd(' ').SequenceEqual("+CGEV"))
        {
            error = AtUrcParseError.WrongName;
            return false;
        }

        var text = line.AsSpan(colon + 1).Trim(' ');
        var kind = PacketDomainEventKind.Other;
        var eventName = string.Empty;
        var arguments = ReadOnlySpan<char>.Empty;
        foreach (var (name, candidate) in Names)
        {
            if (text.StartsWith(name, StringComparison.Ordinal) && (text.Length == name.Length || text[name.Length] == ' '))
            {
                kind = candidate;
                eventName = name;
                arguments = text[name.Length..];
                break;
            }
        }

        if (kind == PacketDomainEventKind.Other)
        {
            // Unknown event: its name is the run of upper-case words before the first argument.
            var end = 0;
            while (end < text.Length)
            {
                var space = text[end..].IndexOf(' ');
                var word = space < 0 ? text[end..] : text.Slice(end, space);
                if (word.IsEmpty || word.ContainsAnyExcept(EventNameCharacters))
                {
                    break;
                }

                end = space < 0 ? text.Length : end + space + 1;
            }

            eventName = text[..end].TrimEnd(' ').ToString();
            arguments = text[end..];
            if (eventName.Length == 0)
            {
                error = AtUrcParseError.MissingField;
                return false;
            }
        }

        var values = new AtValueReader(arguments);
        int? cid = null, parentCid = null, eventType = null, reason = null, otherCid = null, changeReason = null;
        string? pdpType = null, pdpAddress = null, msClass = null;
        var ok = true;
        error = AtUrcParseError.None;
        switch (kind)
        {
            case PacketDomainEventKind.NwClass or PacketDomainEventKind.MeClass:
                ok = UrcFields.ReadOptionalString(ref values, out msClass, out error);
                if (ok && msClass is null)
                {
                    (ok, error) = (false, AtUrcParseError.MissingField);
                }

                break;
            case PacketDomainEventKind.Reject:
                ok = ReadOldForm(ref values, out pdpType, out pdpAddress, out _, out error);
                break;
            case PacketDomainEventKind.NwReact or PacketDomainEventKind.NwDeact or PacketDomainEventKind.MeDeact:
                var probe = values;
                if (probe.TryRead(out var first) && first.Kind == AtValueKind.QuotedString)
                {
                    ok = ReadOldForm(ref values, out pdpType, out pdpAddress, out cid, out error);
                }
                else
                {
                    ok = ReadTriple(ref values, out parentCid, out cid, out eventType, out error);
                }

                break;
            case PacketDomainEventKind.NwAct or PacketDomainEventKind.MeAct:
                ok = ReadTriple(ref values, out parentCid, out cid, out eventType, out error);
                break;
            case PacketDomainEventKind.NwModify or PacketDomainEventKind.MeModify:
                ok = ReadTriple(ref values, out cid, out changeReason, out eventType, out error);
                break;
            case PacketDomainEventKind.MePdnAct or PacketDomainEventKind.PdnAct:
                ok = ReadCid(ref values, out cid, out error)
                    && UrcFields.ReadOptionalInt(ref values, out reason, out error)
                    && UrcFields.ReadOptionalInt(ref values, out otherCid, out error);
                break;
            case PacketDomainEventKind.NwPdnAct or PacketDomainEventKind.NwPdnDeact or PacketDomainEventKind.MePdnDeact or PacketDomainEventKind.PdnDeact:
                ok = ReadCid(ref values, out cid, out error);
                break;
        }

        if (!ok)
        {
            return false;
        }

        report = new PacketDomainEvent(kind, eventName, cid, parentCid, eventType, reason, otherCid, changeReason, pdpType, pdpAddress, msClass, line);
        return true;
    }

    private static bool ReadCid(ref AtValueReader values, out int? cid, out AtUrcParseError error)
    {
        cid = null;
        if (!UrcFields.ReadRequiredInt(ref values, out var number, out error))
        {
            return false;
        }

        cid = number;
        return true;
    }

    private static bool ReadTriple(ref AtValueReader values, out int? a, out int? b, out int? c, out AtUrcParseError error)
    {
        a = b = c = null;
        if (!UrcFields.ReadRequiredInt(ref values, out var first, out error))
        {
            return false;
        }

        a = first;
        return UrcFields.ReadOptionalInt(ref values, out b, out error) && UrcFields.ReadOptionalInt(ref values, out c, out error);
    }

    private static bool ReadOldForm(ref AtValueReader values, out string? pdpType, out string? pdpAddress, out int? cid, out AtUrcParseError error)
    {
        pdpAddress = null;
        cid = null;
        if (!UrcFields.ReadOptionalString(ref values, out pdpType, out error))
        {
            return false;
        }

        if (pdpType is null)
        {
            error = AtUrcParseError.MissingField;
            return false;
        }

        return UrcFields.ReadOptionalString(ref values, out pdpAddress, out error) && UrcFields.ReadOptionalInt(ref values, out cid, out error);
    }
}
