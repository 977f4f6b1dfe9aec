// SPDX-License-Identifier: MIT
using System.Security.Cryptography;

namespace ImUeAgent.Testbed.Im;

/// <summary>Pager mode (a stored MESSAGE) or large message mode (INVITE, 200 OK, MSRP SEND, BYE).</summary>
internal enum DeferredMode
{
    Pager,
    LargeMessage,
}

/// <summary>
/// One deferred message as the IM server stored it (12.2.2.3): for pager mode the complete MESSAGE; for large message
/// mode the relevant INVITE and 200 OK, the MSRP SEND and the BYE. Every SIP text already carries the D.2 Date (the
/// time the server received it) and the INVITE/MESSAGE the 12.2.2.3 step 4 Message-ID; the P-Asserted-Identity is
/// absent when the sender asked for anonymity (step 2).
/// </summary>
internal sealed class DeferredMessage
{
    public required string Id { get; init; }

    public required DeferredMode Mode { get; init; }

    /// <summary>The IMPI of the served user and the public identities it was stored under.</summary>
    public required string OwnerImpi { get; init; }

    public required IReadOnlyList<string> OwnerImpus { get; init; }

    public required DateTimeOffset ReceivedAt { get; init; }

    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>From (display and URI) of the original request.</summary>
    public required string From { get; init; }

    public required string To { get; init; }

    /// <summary>The Authenticated Originator's IM Address, null when anonymity was asked.</summary>
    public string? AssertedIdentity { get; init; }

    public string? Subject { get; init; }

    public required string ContentType { get; init; }

    public required long Size { get; init; }

    /// <summary>Pager: the stored MESSAGE. Large: the stored INVITE.</summary>
    public required byte[] Request { get; init; }

    /// <summary>Large: the 200 OK the server answered with.</summary>
    public byte[]? Answer { get; init; }

    /// <summary>Large: the MSRP SEND, reassembled into one complete request with its receive Date.</summary>
    public byte[]? MsrpSend { get; init; }

    /// <summary>Large: the BYE that ended the session, once it came.</summary>
    public byte[]? Bye { get; set; }

    /// <summary>True while a push is carrying it (a second registration does not push it again).</summary>
    public bool InPush { get; set; }

    /// <summary>12.2.2.3 step 4: "sip:String@hostname", the string made here.</summary>
    public static string NewId(string domain) => "sip:" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)) + "@" + domain;
}

/// <summary>The deferred messages of every served user (12.2.2.3 step 5), in memory, with the Expire policy of step 6.
/// Thread-safe: the core's event loop stores, pushes and MSRP callbacks read and delete.</summary>
internal sealed class DeferredStore(TimeProvider time, int maxPerUser)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<DeferredMessage>> _byUser = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Adds a message; false when the user's store is full.</summary>
    public bool TryAdd(DeferredMessage message)
    {
        lock (_gate)
        {
            PruneLocked();
            if (!_byUser.TryGetValue(message.OwnerImpi, out var list))
            {
                list = [];
                _byUser[message.OwnerImpi] = list;
            }

            if (list.Count >= maxPerUser)
            {
                return false;
            }

            list.Add(message);
            return true;
        }
    }

    /// <summary>The unexpired messages of a user, oldest first.</summary>
    public IReadOnlyList<DeferredMessage> List(string impi)
    {
        lock (_gate)
        {
            PruneLocked();
            return _byUser.TryGetValue(impi, out var list) ? [.. list] : [];
        }
    }

    /// <summary>The messages stored under a public identity (the XCAP document's user).</summary>
    public IReadOnlyList<DeferredMessage> ListByImpu(string impu)
    {
        lock (_gate)
        {
            PruneLocked();
            return [.. _byUser.Values.SelectMany(l => l).Where(m => m.OwnerImpus.Contains(impu, StringComparer.OrdinalIgnoreCase))];
        }
    }

    /// <summary>Takes the messages not already in a push, marking them; empty when there are none.</summary>
    public IReadOnlyList<DeferredMessage> TakeForPush(string impi)
    {
        lock (_gate)
        {
            PruneLocked();
            if (!_byUser.TryGetValue(impi, out var list))
            {
                return [];
            }

            var taken = list.Where(m => !m.InPush).ToList();
            foreach (var message in taken)
            {
                message.InPush = true;
            }

            return taken;
        }
    }

    /// <summary>After a push: the delivered ones go, the others stay for the next one.</summary>
    public void FinishPush(IEnumerable<DeferredMessage> pushed, IReadOnlySet<string> deliveredIds)
    {
        lock (_gate)
        {
            foreach (var message in pushed)
            {
                message.InPush = false;
                if (deliveredIds.Contains(message.Id) && _byUser.TryGetValue(message.OwnerImpi, out var list))
                {
                    list.Remove(message);
                }
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                PruneLocked();
                return _byUser.Values.Sum(l => l.Count);
            }
        }
    }

    /// <summary>Drops what expired (12.2.2.3 step 6); returns how many.</summary>
    public int Prune()
    {
        lock (_gate)
        {
            return PruneLocked();
        }
    }

    private int PruneLocked()
    {
        var now = time.GetUtcNow();
        var removed = 0;
        foreach (var list in _byUser.Values)
        {
            removed += list.RemoveAll(m => !m.InPush && m.ExpiresAt <= now);
        }

        return removed;
    }
}
