// SPDX-License-Identifier: MIT
using System.Security.Cryptography;
using System.Xml;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Im.Content;

/// <summary>The seven IM Service Settings of OMA SIMPLE IM 5.2.4 step 8 (a–g). Null means "not present" in a parsed
/// document; a document to send carries all seven.</summary>
public sealed record ImServiceSettings
{
    /// <summary>a) Incoming IM Session Barring.</summary>
    public bool? IncomingSessionBarring { get; init; }

    /// <summary>b) Incoming pager mode and large mode IM barring.</summary>
    public bool? IncomingPagerLargeModeBarring { get; init; }

    /// <summary>c) IM invisibility.</summary>
    public bool? Invisibility { get; init; }

    /// <summary>d) Pager mode and large mode message IM offline delivery activation. The seed: when this is
    /// active=false the client retrieves its deferred messages itself (12.1.2).</summary>
    public bool? OfflineDelivery { get; init; }

    /// <summary>e) IM conversation storing activation for session mode ("hist-settings", &lt;hist-activation&gt;).</summary>
    public bool? SessionModeHistory { get; init; }

    /// <summary>f) IM conversation storing activation for pager mode and large mode.</summary>
    public bool? PagerLargeModeHistory { get; init; }

    /// <summary>g) Incoming File Transfer Barring.</summary>
    public bool? IncomingFileTransferBarring { get; init; }

    public bool IsComplete => IncomingSessionBarring is not null && IncomingPagerLargeModeBarring is not null && Invisibility is not null
        && OfflineDelivery is not null && SessionModeHistory is not null && PagerLargeModeHistory is not null && IncomingFileTransferBarring is not null;
}

/// <summary>application/poc-settings+xml as OMA SIMPLE IM uses it for PUBLISH with "Event: poc-settings" (seed 5.2.4,
/// Appendix E.2; the event package is RFC 4354). Element names: a) is the OMA PoC settings element
/// (isb-settings/incoming-session-barring, confirmed by the PoC schema); c) d) e) f) follow the IM service-settings
/// names seen in deployed IM stacks (vis-settings/vis-status, deferred-settings/offline-delivery,
/// hist-settings/hist-activation type=session-mode|pager-large-mode); b) and g) could not be verified against the OMA
/// XSD and use names built on the same pattern. All names live in <see cref="Names"/> so a correction is one edit.
/// The parser matches by local name in any namespace, so either placement of the IM elements is read.</summary>
public static class ImSettingsDocument
{
    public const string PocSettingsNamespace = "urn:oma:xml:poc:poc-settings";

    public const string ImSettingsNamespace = "urn:oma:xml:im:service-settings";

    public const string EventPackage = "poc-settings";

    public const int MaxSize = 16 * 1024;

    public static MediaType MediaType => new("application", "poc-settings+xml");

    /// <summary>Element and attribute names (see the type summary for which are verified).</summary>
    public static class Names
    {
        public const string Root = "poc-settings";
        public const string Entity = "entity";
        public const string Active = "active";
        public const string IsbSettings = "isb-settings";
        public const string IncomingSessionBarring = "incoming-session-barring";
        public const string PagerLargeBarringSettings = "ipmb-settings";
        public const string IncomingPagerLargeModeBarring = "incoming-pager-large-mode-barring";
        public const string VisSettings = "vis-settings";
        public const string VisStatus = "vis-status";
        public const string DeferredSettings = "deferred-settings";
        public const string OfflineDelivery = "offline-delivery";
        public const string HistSettings = "hist-settings";
        public const string HistActivation = "hist-activation";
        public const string HistType = "type";
        public const string SessionMode = "session-mode";
        public const string PagerLargeMode = "pager-large-mode";
        public const string FileTransferBarringSettings = "iftb-settings";
        public const string IncomingFileTransferBarring = "incoming-file-transfer-barring";
    }

    /// <summary>Builds the document. <paramref name="entityId"/> identifies the settings entity (RFC 4354 examples use
    /// an opaque token); a random one is made when null.</summary>
    public static byte[] Build(ImServiceSettings settings, string? entityId = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!settings.IsComplete)
        {
            throw new ArgumentException("OMA SIMPLE IM 5.2.4 step 8: all seven settings a) to g) are sent", nameof(settings));
        }

        string id = entityId ?? RandomNumberGenerator.GetHexString(16, lowercase: true);
        return XmlContent.Write(w =>
        {
            w.WriteStartDocument();
            w.WriteStartElement(Names.Root, PocSettingsNamespace);
            w.WriteAttributeString("xmlns", "im", null, ImSettingsNamespace);
            w.WriteStartElement(Names.Entity, PocSettingsNamespace);
            w.WriteAttributeString("id", id);
            Flag(w, PocSettingsNamespace, Names.IsbSettings, Names.IncomingSessionBarring, settings.IncomingSessionBarring!.Value);
            Flag(w, ImSettingsNamespace, Names.PagerLargeBarringSettings, Names.IncomingPagerLargeModeBarring, settings.IncomingPagerLargeModeBarring!.Value);
            Flag(w, ImSettingsNamespace, Names.VisSettings, Names.VisStatus, settings.Invisibility!.Value);
            Flag(w, ImSettingsNamespace, Names.DeferredSettings, Names.OfflineDelivery, settings.OfflineDelivery!.Value);
            w.WriteStartElement(Names.HistSettings, ImSettingsNamespace);
            History(w, Names.SessionMode, settings.SessionModeHistory!.Value);
            History(w, Names.PagerLargeMode, settings.PagerLargeModeHistory!.Value);
            w.WriteEndElement();
            Flag(w, ImSettingsNamespace, Names.FileTransferBarringSettings, Names.IncomingFileTransferBarring, settings.IncomingFileTransferBarring!.Value);
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndDocument();
        });
    }

    public static ContentResult<ImServiceSettings> Parse(ReadOnlyMemory<byte> xml) => XmlContent.Read(xml, MaxSize, ReadDocument);

    private static void Flag(XmlWriter w, string ns, string container, string element, bool active)
    {
        w.WriteStartElement(container, ns);
        w.WriteStartElement(element, ns);
        w.WriteAttributeString(Names.Active, active ? "true" : "false");
        w.WriteEndElement();
        w.WriteEndElement();
    }

    private static void History(XmlWriter w, string type, bool active)
    {
        w.WriteStartElement(Names.HistActivation, ImSettingsNamespace);
        w.WriteAttributeString(Names.HistType, type);
        w.WriteAttributeString(Names.Active, active ? "true" : "false");
        w.WriteEndElement();
    }

    private static ContentResult<ImServiceSettings> ReadDocument(XmlReader r)
    {
        if (!XmlContent.MoveToRoot(r) || r.LocalName != Names.Root)
        {
            return XmlContent.FailHere<ImServiceSettings>(r, ContentError.UnexpectedRootElement);
        }

        var s = new ImServiceSettings();
        bool sawEntity = false;
        while (r.Read())
        {
            if (r.NodeType != XmlNodeType.Element)
            {
                continue;
            }

            if (r.LocalName == Names.Entity)
            {
                sawEntity = true;
                continue;
            }

            string? activeText = r.GetAttribute(Names.Active);
            if (activeText is null)
            {
                continue;
            }

            if (!ResourceListDocument.TryParseXmlBoolean(activeText, out bool active))
            {
                return XmlContent.FailHere<ImServiceSettings>(r, ContentError.InvalidElementValue);
            }

            switch (r.LocalName)
            {
                case Names.IncomingSessionBarring:
                    s = s with { IncomingSessionBarring = active };
                    break;
                case Names.IncomingPagerLargeModeBarring:
                    s = s with { IncomingPagerLargeModeBarring = active };
                    break;
                case Names.VisStatus:
                    s = s with { Invisibility = active };
                    break;
                case Names.OfflineDelivery:
                    s = s with { OfflineDelivery = active };
                    break;
                case Names.IncomingFileTransferBarring:
                    s = s with { IncomingFileTransferBarring = active };
                    break;
                case Names.HistActivation:
                    switch (r.GetAttribute(Names.HistType))
                    {
                        case Names.SessionMode:
                            s = s with { SessionModeHistory = active };
                            break;
                        case Names.PagerLargeMode:
                            s = s with { PagerLargeModeHistory = active };
                            break;
                        default:
                            return XmlContent.FailHere<ImServiceSettings>(r, ContentError.InvalidElementValue);
                    }

                    break;
                default:
                    break;
            }
        }

        return sawEntity ? ContentResult<ImServiceSettings>.Ok(s) : ContentResult<ImServiceSettings>.FailAt(ContentError.MissingElement, 0, 0);
    }
}
