// SPDX-License-Identifier: MIT
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Sip.Dialogs;

/// <summary>Dialog states (RFC 3261 §12: early on a 1xx with a To tag, confirmed on a 2xx).</summary>
public enum SipDialogState : byte
{
    Early,
    Confirmed,
    Terminated,
}

/// <summary>Why a request within a dialog was refused (RFC 3261 §12.2.2).</summary>
public enum SipDialogRequestCheck : byte
{
    Accepted,
    /// <summary>CSeq lower than the remote sequence number: answer 500.</summary>
    CSeqOutOfOrder,
    /// <summary>The request does not belong to this dialog (Call-ID or tags differ).</summary>
    NotThisDialog,
}

/// <summary>A SIP dialog (RFC 3261 §12): identity (Call-ID, local and remote tags), local and remote URIs, the remote
/// target, the route set and the sequence numbers. It builds requests within the dialog (§12.2.1.1: loose or strict
/// routing) and checks requests received within it (§12.2.2). Thread-safe.</summary>
public sealed class SipDialog
{
    private readonly Lock _gate = new();
    private uint _localSequence;
    private uint? _remoteSequence;
    private SipUri _remoteTarget;

    private SipDialog(string callId, string localTag, string remoteTag, NameAddress localUri, NameAddress remoteUri, SipUri remoteTarget,
        IReadOnlyList<NameAddress> routeSet, uint localSequence, uint? remoteSequence, bool isSecure, SipDialogState state, bool isUac)
    {
        CallId = callId;
        LocalTag = localTag;
        RemoteTag = remoteTag;
        LocalUri = localUri;
        RemoteUri = remoteUri;
        _remoteTarget = remoteTarget;
        RouteSet = routeSet;
        _localSequence = localSequence;
        _remoteSequence = remoteSequence;
        IsSecure = isSecure;
        State = state;
        IsUac = isUac;
    }

    public string CallId { get; }

    public string LocalTag { get; }

    public string RemoteTag { get; }

    /// <summary>Our address (From of our requests) without tag.</summary>
    public NameAddress LocalUri { get; }

    /// <summary>The peer's address (To of our requests) without tag.</summary>
    public NameAddress RemoteUri { get; }

    /// <summary>The peer's Contact: Request-URI of our requests, updated by target refresh requests.</summary>
    public SipUri RemoteTarget
    {
        get
        {
            lock (_gate)
            {
                return _remoteTarget;
            }
        }
    }

    /// <summary>The route set, fixed at creation (RFC 3261 §12.1: not changed by re-INVITE).</summary>
    public IReadOnlyList<NameAddress> RouteSet { get; }

    public uint LocalSequence
    {
        get
        {
            lock (_gate)
            {
                return _localSequence;
            }
        }
    }

    public uint? RemoteSequence
    {
        get
        {
            lock (_gate)
            {
                return _remoteSequence;
            }
        }
    }

    /// <summary>True when the dialog was created over sips (RFC 3261 §12.1.1).</summary>
    public bool IsSecure { get; }

    public bool IsUac { get; }

    public SipDialogState State { get; private set; }

    /// <summary>Dialog identity for lookups: Call-ID, local tag, remote tag.</summary>
    public (string CallId, string LocalTag, string RemoteTag) Id => (CallId, LocalTag, RemoteTag);

    /// <summary>RFC 3261 §12.1.2: the UAC's dialog from its request and a 1xx (with To tag) or 2xx response: route
    /// set = Record-Route of the response in reverse order, remote target = its Contact, local sequence = the
    /// request's CSeq, remote sequence empty.</summary>
    public static SipDialog CreateUac(SipRequest request, SipResponse response)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(response);
        string remoteTag = response.Headers.To?.Tag ?? throw new ArgumentException("A dialog needs a To tag in the response", nameof(response));
        string localTag = request.Headers.From?.Tag ?? throw new ArgumentException("A dialog needs a From tag in the request", nameof(request));
        SipUri target = response.Headers.Contact is { Count: > 0 } c && c[0].Uri is { } contact ? contact : request.RequestUri;
        NameAddress[] routes = [.. response.Headers.RecordRoute.Reverse()];
        return new SipDialog(request.Headers.CallId!, localTag, remoteTag, WithoutParameters(request.Headers.From!), WithoutParameters(request.Headers.To!),
            target, routes, request.Headers.CSeq!.Number, null, request.RequestUri.Scheme == SipUriScheme.Sips,
            response.IsSuccess ? SipDialogState.Confirmed : SipDialogState.Early, isUac: true);
    }

    /// <summary>RFC 3261 §12.1.1: the UAS's dialog from a request it answers with a 2xx (or 1xx) carrying
    /// <paramref name="localTag"/> in To: route set = Record-Route of the request in order, remote target = its
    /// Contact, remote sequence = its CSeq, local sequence empty (starts from a random-free 0 and grows).</summary>
    public static SipDialog CreateUas(SipRequest request, string localTag, bool confirmed = true)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(localTag);
        string remoteTag = request.Headers.From?.Tag ?? throw new ArgumentException("A dialog needs a From tag in the request", nameof(request));
        SipUri target = request.Headers.Contact is { Count: > 0 } c && c[0].Uri is { } contact ? contact
            : throw new ArgumentException("A dialog-creating request needs a Contact", nameof(request));
        return new SipDialog(request.Headers.CallId!, localTag, remoteTag, WithoutParameters(request.Headers.To!), WithoutParameters(request.Headers.From!),
            target, request.Headers.RecordRoute, 0, request.Headers.CSeq!.Number, request.RequestUri.Scheme == SipUriScheme.Sips,
            confirmed ? SipDialogState.Confirmed : SipDialogState.Early, isUac: false);
    }

    /// <summary>Marks the dialog confirmed (2xx received or sent).</summary>
    public void Confirm()
    {
        if (State == SipDialogState.Early)
        {
            State = SipDialogState.Confirmed;
        }
    }

    /// <summary>Ends the dialog (BYE sent or received).</summary>
    public void Terminate() => State = SipDialogState.Terminated;

    /// <summary>RFC 3261 §12.2.1.1: starts a request within the dialog (no Via: the UA adds it). CSeq is the next
    /// local sequence number; Request-URI and Route follow the route set (loose routing when the first route has lr,
    /// otherwise strict routing with the remote target as last Route).</summary>
    public SipMessageBuilder CreateRequest(SipMethod method)
    {
        if (method is SipMethod.Ack or SipMethod.Cancel or SipMethod.Extension)
        {
            throw new ArgumentException("ACK and CANCEL take the INVITE's CSeq (use CreateAck / the transaction layer)", nameof(method));
        }

        uint cseq;
        lock (_gate)
        {
            cseq = ++_localSequence;
        }

        return Start(method, cseq);
    }

    /// <summary>RFC 3261 §13.2.2.4: the ACK for a 2xx, with the INVITE's CSeq number (and the UA adds a new Via).</summary>
    public SipRequest CreateAck(uint inviteSequence) => Start(SipMethod.Ack, inviteSequence).BuildRequest();

    /// <summary>RFC 3261 §12.2.2: checks a request received within this dialog and updates the remote sequence number
    /// and, for a target refresh request (re-INVITE, UPDATE, SUBSCRIBE, NOTIFY, REFER: RFC 3261 §12.2, RFC 3311,
    /// RFC 6665), the remote target.</summary>
    public SipDialogRequestCheck CheckRemoteRequest(SipRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Headers.CallId != CallId || request.Headers.To?.Tag != LocalTag || request.Headers.From?.Tag != RemoteTag)
        {
            return SipDialogRequestCheck.NotThisDialog;
        }

        uint cseq = request.Headers.CSeq!.Number;
        lock (_gate)
        {
            if (request.Method is not (SipMethod.Ack or SipMethod.Cancel))
            {
                if (_remoteSequence is uint remote && cseq < remote)
                {
                    return SipDialogRequestCheck.CSeqOutOfOrder;
                }

                _remoteSequence = cseq;
            }

            if (IsTargetRefresh(request.Method) && request.Headers.Contact is { Count: > 0 } c && c[0].Uri is { } contact)
            {
                _remoteTarget = contact;
            }
        }

        if (request.Method == SipMethod.Bye)
        {
            Terminate();
        }

        return SipDialogRequestCheck.Accepted;
    }

    /// <summary>A 2xx to our target refresh request updates the remote target (RFC 3261 §12.2.1.2).</summary>
    public void OnTargetRefreshResponse(SipRequest request, SipResponse response)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(response);
        if (response.IsSuccess && IsTargetRefresh(request.Method) && response.Headers.Contact is { Count: > 0 } c && c[0].Uri is { } contact)
        {
            lock (_gate)
            {
                _remoteTarget = contact;
            }
        }
    }

    /// <summary>True when <paramref name="request"/> (To tag = our local tag…) belongs here.</summary>
    public bool Matches(SipRequest request) =>
        request is not null && request.Headers.CallId == CallId && request.Headers.To?.Tag == LocalTag && request.Headers.From?.Tag == RemoteTag;

    private SipMessageBuilder Start(SipMethod method, uint cseq)
    {
        SipUri target = RemoteTarget;
        SipUri requestUri;
        IEnumerable<NameAddress> routes;
        if (RouteSet.Count == 0)
        {
            requestUri = target;
            routes = [];
        }
        else if (RouteSet[0].Uri.IsLooseRouter)
        {
            requestUri = target;
            routes = RouteSet;
        }
        else
        {
            // Strict routing: the first route becomes the Request-URI, the remote target the last Route.
            requestUri = RouteSet[0].Uri;
            routes = [.. RouteSet.Skip(1), new NameAddress(target)];
        }

        SipMessageBuilder b = SipMessageBuilder.Request(method, requestUri)
            .MaxForwards(70)
            .From(LocalUri.WithParameter(new SipParameter("tag", LocalTag)))
            .To(RemoteUri.WithParameter(new SipParameter("tag", RemoteTag)))
            .CallId(CallId)
            .CSeq(cseq, method);
        foreach (NameAddress route in routes)
        {
            b.Route(route);
        }

        return b;
    }

    private static bool IsTargetRefresh(SipMethod method) =>
        method is SipMethod.Invite or SipMethod.Update or SipMethod.Subscribe or SipMethod.Notify or SipMethod.Refer;

    private static NameAddress WithoutParameters(NameAddress address) =>
        new(address.Uri, address.DisplayName, address.Parameters.Where(p => !p.Name.Equals("tag", StringComparison.OrdinalIgnoreCase)));
}
