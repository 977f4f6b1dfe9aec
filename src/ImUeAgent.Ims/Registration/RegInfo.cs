// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Xml;

namespace ImUeAgent.Ims.Registration;

/// <summary>A contact of a registration in a reg-event NOTIFY (RFC 3680 §5.3).</summary>
/// <remarks><see cref="CallId"/> is the Call-ID of the REGISTER that made the binding (RFC 3680 §5.4 callid), when
/// the network says it: it tells a binding of ours from an older one at the same contact address.</remarks>
public sealed record RegInfoContact(string Id, string State, string Event, string Uri, int? Expires, string? CallId = null);

/// <summary>One address-of-record's registration (RFC 3680 §5.3).</summary>
public sealed record RegInfoRegistration(string Aor, string Id, string State, IReadOnlyList<RegInfoContact> Contacts);

/// <summary>An application/reginfo+xml document: the network's view of the UE's registrations.</summary>
public sealed record RegInfoDocument(int Version, bool IsFullState, IReadOnlyList<RegInfoRegistration> Registrations)
{
    public const string ContentType = "application/reginfo+xml";
    private const string Namespace = "urn:ietf:params:xml:ns:reginfo";

    /// <summary>Parses a reginfo document; the reason says what is wrong when it is not one. No DTDs, bounded size.</summary>
    public static bool TryParse(ReadOnlySpan<byte> body, out RegInfoDocument? document, out string reason)
    {
        document = null;
        if (body.Length > 256 * 1024)
        {
            reason = "reginfo document larger than 256 KiB";
            return false;
        }

        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            IgnoreComments = true,
            IgnoreWhitespace = true,
            MaxCharactersInDocument = 256 * 1024,
        };
        try
        {
            using var stream = new MemoryStream(body.ToArray(), writable: false);
            using var reader = XmlReader.Create(stream, settings);
            reader.MoveToContent();
            if (reader.LocalName != "reginfo" || reader.NamespaceURI != Namespace)
            {
                reason = $"root element is {{{reader.NamespaceURI}}}{reader.LocalName}, not reginfo";
                return false;
            }

            if (!int.TryParse(reader.GetAttribute("version"), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                reason = "reginfo has no valid version attribute";
                return false;
            }

            var state = reader.GetAttribute("state");
            if (state is not ("full" or "partial"))
            {
                reason = $"reginfo state is '{state}', not full or partial";
                return false;
            }

            var registrations = new List<RegInfoRegistration>();
            if (!reader.IsEmptyElement)
            {
                var depth = reader.Depth;
                while (reader.Read() && reader.Depth > depth)
                {
                    if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "registration" && reader.NamespaceURI == Namespace)
                    {
                        registrations.Add(ReadRegistration(reader));
                    }
                }
            }

            document = new RegInfoDocument(version, state == "full", registrations);
            reason = "";
            return true;
        }
        catch (Exception ex) when (ex is XmlException or FormatException)
        {
            reason = $"malformed reginfo: {ex.Message}";
            return false;
        }
    }

    private static RegInfoRegistration ReadRegistration(XmlReader reader)
    {
        var aor = reader.GetAttribute("aor") ?? throw new FormatException("registration without aor");
        var id = reader.GetAttribute("id") ?? "";
        var state = reader.GetAttribute("state") ?? throw new FormatException($"registration {aor} without state");
        var contacts = new List<RegInfoContact>();
        if (reader.IsEmptyElement)
        {
            return new RegInfoRegistration(aor, id, state, contacts);
        }

        var depth = reader.Depth;
        while (reader.Read() && reader.Depth > depth)
        {
            if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "contact" && reader.NamespaceURI == Namespace)
            {
                contacts.Add(ReadContact(reader));
            }
        }

        return new RegInfoRegistration(aor, id, state, contacts);
    }

    private static RegInfoContact ReadContact(XmlReader reader)
    {
        var id = reader.GetAttribute("id") ?? "";
        var state = reader.GetAttribute("state") ?? throw new FormatException("contact without state");
        var @event = reader.GetAttribute("event") ?? throw new FormatException("contact without event");
        int? expires = int.TryParse(reader.GetAttribute("expires"), NumberStyles.None, CultureInfo.InvariantCulture, out var e) ? e : null;
        var callId = reader.GetAttribute("callid");
        var uri = "";
        if (!reader.IsEmptyElement)
        {
            var depth = reader.Depth;
            while (reader.Read() && reader.Depth > depth)
            {
                if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "uri" && reader.NamespaceURI == Namespace)
                {
                    uri = reader.ReadElementContentAsString().Trim();
                    if (reader.Depth <= depth)
                    {
                        break;
                    }
                }
            }
        }

        return new RegInfoContact(id, state, @event, uri, expires, string.IsNullOrEmpty(callId) ? null : callId);
    }
}
