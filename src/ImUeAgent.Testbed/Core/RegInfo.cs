// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Text;
using System.Xml;

namespace ImUeAgent.Testbed.Core;

/// <summary>One &lt;contact&gt; of a reginfo document (RFC 3680 §5.3): state active|terminated and the event that
/// led there (registered, created, refreshed, shortened, expired, deactivated, probation, unregistered, rejected).</summary>
internal sealed record RegInfoContact(string Id, string Uri, string State, string Event, uint? Expires, string? CallId, uint? CSeq);

/// <summary>One &lt;registration&gt;: the address of record, its state (init|active|terminated) and its contacts.</summary>
internal sealed record RegInfoRegistration(string Aor, string Id, string State, IReadOnlyList<RegInfoContact> Contacts);

/// <summary>The application/reginfo+xml body of the reg event package (RFC 3680 §5.3), always as full state.</summary>
internal static class RegInfo
{
    public const string Namespace = "urn:ietf:params:xml:ns:reginfo";

    public static byte[] Build(uint version, IReadOnlyList<RegInfoRegistration> registrations)
    {
        var settings = new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true, OmitXmlDeclaration = false };
        using var stream = new MemoryStream();
        using (var xml = XmlWriter.Create(stream, settings))
        {
            xml.WriteStartDocument();
            xml.WriteStartElement("reginfo", Namespace);
            xml.WriteAttributeString("version", version.ToString(CultureInfo.InvariantCulture));
            xml.WriteAttributeString("state", "full");
            foreach (var registration in registrations)
            {
                xml.WriteStartElement("registration", Namespace);
                xml.WriteAttributeString("aor", registration.Aor);
                xml.WriteAttributeString("id", registration.Id);
                xml.WriteAttributeString("state", registration.State);
                foreach (var contact in registration.Contacts)
                {
                    xml.WriteStartElement("contact", Namespace);
                    xml.WriteAttributeString("id", contact.Id);
                    xml.WriteAttributeString("state", contact.State);
                    xml.WriteAttributeString("event", contact.Event);
                    if (contact.Expires is { } expires)
                    {
                        xml.WriteAttributeString("expires", expires.ToString(CultureInfo.InvariantCulture));
                    }

                    if (contact.CallId is not null)
                    {
                        xml.WriteAttributeString("callid", contact.CallId);
                    }

                    if (contact.CSeq is { } cseq)
                    {
                        xml.WriteAttributeString("cseq", cseq.ToString(CultureInfo.InvariantCulture));
                    }

                    xml.WriteElementString("uri", Namespace, contact.Uri);
                    xml.WriteEndElement();
                }

                xml.WriteEndElement();
            }

            xml.WriteEndElement();
            xml.WriteEndDocument();
        }

        return stream.ToArray();
    }
}
