// SPDX-License-Identifier: MIT
using System.Globalization;
using System.Xml;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Im.Content;

/// <summary>The state attribute of conference-info, user and endpoint (RFC 4575 §5.1: full, partial, deleted;
/// default full).</summary>
public enum ConferenceElementState : byte
{
    Full,
    Partial,
    Deleted,
}

/// <summary>An endpoint of a conference user (RFC 4575 §5.7).</summary>
public sealed record ConferenceEndpoint(string Entity, ConferenceElementState State, string? DisplayText, string? Status,
    string? JoiningMethod, string? DisconnectionMethod, DateTimeOffset? JoinedAt)
{
    /// <summary>RFC 4575 §5.7.2: connected, disconnected, on-hold, muted-via-focus, pending, alerting, dialing-in,
    /// dialing-out, disconnecting.</summary>
    public bool IsConnected => string.Equals(Status, "connected", StringComparison.OrdinalIgnoreCase)
        || string.Equals(Status, "on-hold", StringComparison.OrdinalIgnoreCase)
        || string.Equals(Status, "muted-via-focus", StringComparison.OrdinalIgnoreCase);
}

/// <summary>A user of the conference (RFC 4575 §5.6): an IM group participant.</summary>
public sealed record ConferenceUser(string Entity, ConferenceElementState State, string? DisplayText, IReadOnlyList<string> Roles,
    IReadOnlyList<ConferenceEndpoint> Endpoints)
{
    /// <summary>A participant is in the session when one of its endpoints is connected.</summary>
    public bool IsParticipating => Endpoints.Any(e => e.IsConnected);
}

/// <summary>One application/conference-info+xml document (RFC 4575 §5), full or partial.</summary>
public sealed record ConferenceInfoDocument(string Entity, ConferenceElementState State, uint Version, string? DisplayText, string? Subject,
    int? UserCount, bool? Active, bool? Locked, IReadOnlyList<ConferenceUser> Users);

/// <summary>application/conference-info+xml parse (RFC 4575), used for the participant list of an IM group session
/// (OMA SIMPLE IM 7.1.1.11: the client subscribes to the conference event package).</summary>
public static class ConferenceInfo
{
    public const string XmlNamespace = "urn:ietf:params:xml:ns:conference-info";

    public const int MaxSize = 512 * 1024;

    public const int MaxUsers = 1024;

    public static MediaType MediaType => new("application", "conference-info+xml");

    public static ContentResult<ConferenceInfoDocument> Parse(ReadOnlyMemory<byte> xml) => XmlContent.Read(xml, MaxSize, ReadDocument);

    private static ContentResult<ConferenceInfoDocument> ReadDocument(XmlReader r)
    {
        if (!XmlContent.MoveToRoot(r) || r.LocalName != "conference-info" || r.NamespaceURI != XmlNamespace)
        {
            return XmlContent.FailHere<ConferenceInfoDocument>(r, ContentError.UnexpectedRootElement);
        }

        string? entity = r.GetAttribute("entity");
        if (string.IsNullOrEmpty(entity) || !uint.TryParse(r.GetAttribute("version"), NumberStyles.None, CultureInfo.InvariantCulture, out uint version))
        {
            return XmlContent.FailHere<ConferenceInfoDocument>(r, ContentError.MissingElement);
        }

        if (!TryState(r, out ConferenceElementState state))
        {
            return XmlContent.FailHere<ConferenceInfoDocument>(r, ContentError.InvalidElementValue);
        }

        string? display = null;
        string? subject = null;
        int? userCount = null;
        bool? active = null;
        bool? locked = null;
        var users = new List<ConferenceUser>();
        if (r.IsEmptyElement)
        {
            return ContentResult<ConferenceInfoDocument>.Ok(new(entity, state, version, null, null, null, null, null, users));
        }

        int rootDepth = r.Depth;
        r.Read();
        while (!r.EOF && !(r.NodeType == XmlNodeType.EndElement && r.Depth == rootDepth))
        {
            if (r.NodeType != XmlNodeType.Element || r.NamespaceURI != XmlNamespace)
            {
                Advance(r);
                continue;
            }

            switch (r.LocalName)
            {
                case "conference-description":
                    ReadChildren(r, (name, reader) =>
                    {
                        switch (name)
                        {
                            case "display-text":
                                display = XmlContent.ReadText(reader);
                                return true;
                            case "subject":
                                subject = XmlContent.ReadText(reader);
                                return true;
                            default:
                                return false;
                        }
                    });
                    break;
                case "conference-state":
                    {
                        ContentError error = ContentError.None;
                        ReadChildren(r, (name, reader) =>
                        {
                            switch (name)
                            {
                                case "user-count":
                                    if (int.TryParse(XmlContent.ReadText(reader), NumberStyles.None, CultureInfo.InvariantCulture, out int n))
                                    {
                                        userCount = n;
                                    }
                                    else
                                    {
                                        error = ContentError.InvalidElementValue;
                                    }

                                    return true;
                                case "active":
                                case "locked":
                                    if (ResourceListDocument.TryParseXmlBoolean(XmlContent.ReadText(reader), out bool b))
                                    {
                                        if (name == "active")
                                        {
                                            active = b;
                                        }
                                        else
                                        {
                                            locked = b;
                                        }
                                    }
                                    else
                                    {
                                        error = ContentError.InvalidElementValue;
                                    }

                                    return true;
                                default:
                                    return false;
                            }
                        });
                        if (error != ContentError.None)
                        {
                            return XmlContent.FailHere<ConferenceInfoDocument>(r, error);
                        }

                        break;
                    }

                case "users":
                    {
                        ContentError error = ContentError.None;
                        ReadChildren(r, (name, reader) =>
                        {
                            if (name != "user" || error != ContentError.None)
                            {
                                return false;
                            }

                            if (users.Count >= MaxUsers)
                            {
                                error = ContentError.TooLarge;
                                return false;
                            }

                            error = ReadUser(reader, out ConferenceUser? user);
                            if (user is not null)
                            {
                                users.Add(user);
                            }

                            return true;
                        });
                        if (error != ContentError.None)
                        {
                            return XmlContent.FailHere<ConferenceInfoDocument>(r, error);
                        }

                        break;
                    }

                default:
                    r.Skip();
                    break;
            }
        }

        return ContentResult<ConferenceInfoDocument>.Ok(new(entity, state, version, display, subject, userCount, active, locked, users));
    }

    private static ContentError ReadUser(XmlReader r, out ConferenceUser? user)
    {
        user = null;
        string? entity = r.GetAttribute("entity");
        if (string.IsNullOrEmpty(entity))
        {
            return ContentError.MissingElement;
        }

        if (!TryState(r, out ConferenceElementState state))
        {
            return ContentError.InvalidElementValue;
        }

        string? display = null;
        var roles = new List<string>();
        var endpoints = new List<ConferenceEndpoint>();
        ContentError error = ContentError.None;
        ReadChildren(r, (name, reader) =>
        {
            switch (name)
            {
                case "display-text":
                    display = XmlContent.ReadText(reader);
                    return true;
                case "roles":
                    ReadChildren(reader, (n, rr) =>
                    {
                        if (n != "entry")
                        {
                            return false;
                        }

                        roles.Add(XmlContent.ReadText(rr));
                        return true;
                    });
                    return true;
                case "endpoint":
                    ContentError e = ReadEndpoint(reader, out ConferenceEndpoint? endpoint);
                    if (e != ContentError.None)
                    {
                        error = e;
                    }
                    else
                    {
                        endpoints.Add(endpoint!);
                    }

                    return true;
                default:
                    return false;
            }
        });
        if (error != ContentError.None)
        {
            return error;
        }

        user = new ConferenceUser(entity, state, display, roles, endpoints);
        return ContentError.None;
    }

    private static ContentError ReadEndpoint(XmlReader r, out ConferenceEndpoint? endpoint)
    {
        endpoint = null;
        string? entity = r.GetAttribute("entity");
        if (string.IsNullOrEmpty(entity))
        {
            r.Skip();
            return ContentError.MissingElement;
        }

        if (!TryState(r, out ConferenceElementState state))
        {
            r.Skip();
            return ContentError.InvalidElementValue;
        }

        string? display = null;
        string? status = null;
        string? joining = null;
        string? disconnection = null;
        DateTimeOffset? when = null;
        ReadChildren(r, (name, reader) =>
        {
            switch (name)
            {
                case "display-text":
                    display = XmlContent.ReadText(reader);
                    return true;
                case "status":
                    status = XmlContent.ReadText(reader);
                    return true;
                case "joining-method":
                    joining = XmlContent.ReadText(reader);
                    return true;
                case "disconnection-method":
                    disconnection = XmlContent.ReadText(reader);
                    return true;
                case "joining-info":
                    ReadChildren(reader, (n, rr) =>
                    {
                        if (n != "when")
                        {
                            return false;
                        }

                        when = Rfc3339.TryParse(XmlContent.ReadText(rr), out DateTimeOffset d) ? d : null;
                        return true;
                    });
                    return true;
                default:
                    return false;
            }
        });
        endpoint = new ConferenceEndpoint(entity, state, display, status, joining, disconnection, when);
        return ContentError.None;
    }

    private static bool TryState(XmlReader r, out ConferenceElementState state)
    {
        state = ConferenceElementState.Full;
        switch (r.GetAttribute("state"))
        {
            case null or "full":
                return true;
            case "partial":
                state = ConferenceElementState.Partial;
                return true;
            case "deleted":
                state = ConferenceElementState.Deleted;
                return true;
            default:
                return false;
        }
    }

    /// <summary>Walks the child elements of the current element; <paramref name="child"/> consumes the children it
    /// knows (returns true) and the others are skipped. Leaves the reader after the element's end tag.</summary>
    private static void ReadChildren(XmlReader r, Func<string, XmlReader, bool> child)
    {
        if (r.IsEmptyElement)
        {
            r.Read();
            return;
        }

        int depth = r.Depth;
        r.Read();
        while (!r.EOF && !(r.NodeType == XmlNodeType.EndElement && r.Depth == depth))
        {
            if (r.NodeType == XmlNodeType.Element && r.NamespaceURI == XmlNamespace)
            {
                if (!child(r.LocalName, r))
                {
                    r.Skip();
                }
            }
            else
            {
                Advance(r);
            }
        }

        r.Read();
    }

    private static void Advance(XmlReader r)
    {
        if (r.NodeType == XmlNodeType.Element)
        {
            r.Skip();
        }
        else
        {
            r.Read();
        }
    }
}

/// <summary>What <see cref="ConferenceRoster.Apply"/> did with a notification.</summary>
public enum ConferenceApplyOutcome : byte
{
    /// <summary>The document was applied.</summary>
    Applied,
    /// <summary>Version not newer than the held one: discarded (RFC 4575 §4.6).</summary>
    Stale,
    /// <summary>A partial document whose version is not exactly one more, or a partial before any full state: the
    /// subscriber must refresh the subscription to get full state (RFC 4575 §4.6).</summary>
    NeedsFullState,
    /// <summary>A document for another conference.</summary>
    WrongConference,
}

/// <summary>The participant list a subscriber holds, built from full state and updated by partial notifications
/// (RFC 4575 §4.6: users and endpoints keyed by entity; state="deleted" removes; partial merges).</summary>
public sealed class ConferenceRoster
{
    private readonly List<ConferenceUser> _users = [];

    public string? Entity { get; private set; }

    public uint? Version { get; private set; }

    public string? Subject { get; private set; }

    public string? DisplayText { get; private set; }

    public int? UserCount { get; private set; }

    public IReadOnlyList<ConferenceUser> Users => _users;

    public ConferenceApplyOutcome Apply(ConferenceInfoDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        if (Entity is not null && !string.Equals(Entity, document.Entity, StringComparison.Ordinal))
        {
            return ConferenceApplyOutcome.WrongConference;
        }

        if (Version is { } held && document.Version <= held)
        {
            return ConferenceApplyOutcome.Stale;
        }

        if (document.State == ConferenceElementState.Full)
        {
            Entity = document.Entity;
            Version = document.Version;
            Subject = document.Subject;
            DisplayText = document.DisplayText;
            UserCount = document.UserCount;
            _users.Clear();
            foreach (ConferenceUser u in document.Users)
            {
                if (u.State != ConferenceElementState.Deleted)
                {
                    _users.Add(u with { Endpoints = [.. u.Endpoints.Where(e => e.State != ConferenceElementState.Deleted)] });
                }
            }

            return ConferenceApplyOutcome.Applied;
        }

        if (Version is null || document.Version != Version + 1 || document.State == ConferenceElementState.Deleted)
        {
            return ConferenceApplyOutcome.NeedsFullState;
        }

        Version = document.Version;
        Subject = document.Subject ?? Subject;
        DisplayText = document.DisplayText ?? DisplayText;
        UserCount = document.UserCount ?? UserCount;
        foreach (ConferenceUser u in document.Users)
        {
            int i = _users.FindIndex(x => string.Equals(x.Entity, u.Entity, StringComparison.Ordinal));
            if (u.State == ConferenceElementState.Deleted)
            {
                if (i >= 0)
                {
                    _users.RemoveAt(i);
                }

                continue;
            }

            if (i < 0 || u.State == ConferenceElementState.Full)
            {
                ConferenceUser fresh = u with { Endpoints = [.. u.Endpoints.Where(e => e.State != ConferenceElementState.Deleted)] };
                if (i < 0)
                {
                    _users.Add(fresh);
                }
                else
                {
                    _users[i] = fresh;
                }

                continue;
            }

            _users[i] = Merge(_users[i], u);
        }

        return ConferenceApplyOutcome.Applied;
    }

    private static ConferenceUser Merge(ConferenceUser held, ConferenceUser update)
    {
        var endpoints = new List<ConferenceEndpoint>(held.Endpoints);
        foreach (ConferenceEndpoint e in update.Endpoints)
        {
            int i = endpoints.FindIndex(x => string.Equals(x.Entity, e.Entity, StringComparison.Ordinal));
            if (e.State == ConferenceElementState.Deleted)
            {
                if (i >= 0)
                {
                    endpoints.RemoveAt(i);
                }
            }
            else if (i < 0 || e.State == ConferenceElementState.Full)
            {
                if (i < 0)
                {
                    endpoints.Add(e);
                }
                else
                {
                    endpoints[i] = e;
                }
            }
            else
            {
                ConferenceEndpoint old = endpoints[i];
                endpoints[i] = old with
                {
                    DisplayText = e.DisplayText ?? old.DisplayText,
                    Status = e.Status ?? old.Status,
                    JoiningMethod = e.JoiningMethod ?? old.JoiningMethod,
                    DisconnectionMethod = e.DisconnectionMethod ?? old.DisconnectionMethod,
                    JoinedAt = e.JoinedAt ?? old.JoinedAt,
                };
            }
        }

        return held with
        {
            DisplayText = update.DisplayText ?? held.DisplayText,
            Roles = update.Roles.Count > 0 ? update.Roles : held.Roles,
            Endpoints = endpoints,
        };
    }
}
