// SPDX-License-Identifier: MIT
using System.Collections.Concurrent;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Sip.Dialogs;

/// <summary>The dialogs a UA holds, found by the identity a received request carries (Call-ID, To tag = local tag,
/// From tag = remote tag).</summary>
public sealed class SipDialogStore
{
    private readonly ConcurrentDictionary<(string, string, string), SipDialog> _dialogs = new();

    public int Count => _dialogs.Count;

    public void Add(SipDialog dialog)
    {
        ArgumentNullException.ThrowIfNull(dialog);
        _dialogs[dialog.Id] = dialog;
    }

    public bool Remove(SipDialog dialog) => dialog is not null && _dialogs.TryRemove(dialog.Id, out _);

    /// <summary>The dialog with this identity, or null.</summary>
    public SipDialog? Find(string callId, string localTag, string remoteTag) => _dialogs.GetValueOrDefault((callId, localTag, remoteTag));

    /// <summary>The dialog of a request received within a dialog, or null.</summary>
    public SipDialog? Find(SipRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        string? callId = request.Headers.CallId;
        string? local = request.Headers.To?.Tag;
        string? remote = request.Headers.From?.Tag;
        return callId is null || local is null || remote is null ? null : _dialogs.GetValueOrDefault((callId, local, remote));
    }
}
