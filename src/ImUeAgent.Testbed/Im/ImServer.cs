// SPDX-License-Identifier: MIT
using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using ImUeAgent.Msrp.Sessions;
using ImUeAgent.Msrp.Transport;
using ImUeAgent.Sip.Message;
using ImUeAgent.Testbed.Core;
using ImUeAgent.Testbed.Msrp;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Testbed.Im;

/// <summary>What a finished deferred push did (for logs and tests).</summary>
internal sealed record PushReport(string Impi, int Stored, int Delivered, string? Failure);

/// <summary>
/// The testbed's IM server (OMA SIMPLE IM, as changed by the seed CR), an application server behind the S-CSCF and
/// independent of the agent's IM client:
/// <list type="bullet">
/// <item>pager/session relay to registered users with the server rules of 6.1.2.2.2 / 7.2.2.1 / 8.3.2.1 (Accept-Contact
/// kept byte-exact, '+g.oma.sip-im' added only when absent; identity withheld when Privacy: id);</item>
/// <item>deferred storage (12.2.2.3) of MESSAGEs and large-message sessions for users who are not registered;</item>
/// <item>the push of Appendix D.2 when such a user registers, as its IM Service Settings (5.2.4, PUBLISH
/// Event: poc-settings) allow;</item>
/// <item>the conference factory exploding a URI-list MESSAGE (8.3.2.1 step 7a, RFC 5365) and pre-defined groups (7b);</item>
/// <item>the conference focus of ad-hoc IM group sessions (INVITE with a URI list to the factory, RFC 5366), relaying
/// MSRP between the participants and serving the conference event package (RFC 4575);</item>
/// <item>the deferred-message metadata (12.1.2) over XCAP.</item>
/// </list>
/// Requests come on the core's event loop (<see cref="TryHandleAsync"/>); pushes, fan-outs and MSRP run on tasks of
/// their own and reach the core through <see cref="IImsCoreUaServices.SendRequestAsync"/>.
/// </summary>
internal sealed partial class ImServer : IProxyingApplicationServer, IAsyncDisposable
{
    /// <summary>User part of the URIs the server hands out as Contact of its dialogs.</summary>
    private const string DialogUserPrefix = "im-as-";

    private readonly ImServerSettings _settings;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly MsrpEndpoint _msrp;
    private readonly MsrpTcpListener _msrpListener;
    private readonly XcapServer? _xcap;
    private readonly ConcurrentDictionary<string, ServerDialog> _dialogs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PublishedSettings> _published = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<Task, byte> _background = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly SipUri _factoryUri;
    private readonly IReadOnlyList<(SipUri Uri, IReadOnlyList<string> Members)> _groups;
    private IImsCoreUaServices? _core;

    private ImServer(ImServerSettings settings, string domain, ILogger logger, TimeProvider time, MsrpEndpoint msrp, MsrpTcpListener msrpListener, XcapServer? xcap)
    {
        _settings = settings;
        Domain = domain;
        _logger = logger;
        _time = time;
        _msrp = msrp;
        _msrpListener = msrpListener;
        _xcap = xcap;
        Store = new DeferredStore(time, settings.MaxDeferredPerUser);
        _factoryUri = SipUri.Parse(settings.EffectiveFactoryUri(domain));
        _groups = [.. settings.Groups.Select(g => (SipUri.Parse(g.Key), g.Value))];
        ServerUri = settings.ServerUri(domain);
    }

    public string Domain { get; }

    public string ServerUri { get; }

    public string FactoryUri => _factoryUri.ToString();

    public ImServerSettings Settings => _settings;

    public DeferredStore Store { get; }

    public IPEndPoint MsrpEndPoint => _msrpListener.LocalEndPoint;

    /// <summary>http://ADDR:PORT/services (the XCAP root), or null without XCAP.</summary>
    public string? XcapRoot => _xcap?.Root;

    /// <summary>The deferred-message metadata document of a user (12.1.2), as XCAP serves it.</summary>
    public string? DeferredListUrl(string impu) => _xcap?.DeferredListUrl(impu);

    /// <summary>Raised when a push ends (on the push's task).</summary>
    public event Action<PushReport>? PushFinished;

    public static ImServer Start(ImServerSettings settings, string domain, ILogger logger, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(settings);
        foreach (var (group, members) in settings.Groups)
        {
            if (!SipUri.TryParse(group, out _) || members.Any(m => !SipUri.TryParse(m, out _)))
            {
                throw new ArgumentException($"group {group}: not a list of URIs");
            }
        }

        var msrp = new MsrpEndpoint(new MsrpEndpointOptions { Host = settings.MsrpListen.Address.ToString() }, MsrpTcpTransport.CreateConnector(),
            new SingleLoggerFactory(logger), time);
        MsrpTcpListener? listener = null;
        XcapServer? xcap = null;
        try
        {
            listener = new MsrpTcpListener(msrp, settings.MsrpListen, logger: logger);
            listener.Start();
            ImServer? server = null;
            if (settings.XcapListen is { } xcapListen)
            {
                xcap = XcapServer.Start(xcapListen, impu => server?.DeferredListDocument(impu), logger);
            }

            server = new ImServer(settings, domain, logger, time, msrp, listener, xcap);
            return server;
        }
        catch
        {
            xcap?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            listener?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            msrp.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    public void Attach(IImsCoreUaServices core) => _core = core;

    private IImsCoreUaServices Core => _core ?? throw new InvalidOperationException("the IM server is not attached to a core");

    // ---- Requests from the core ----

    public async ValueTask<bool> TryHandleAsync(ApplicationServerRequest request, IImsCoreServices core, CancellationToken cancellationToken)
    {
        if (request.ServedUser is null)
        {
            return IsConferenceUri(request.Request.RequestUri)
                ? await OnConferenceDialogRequestAsync(request, cancellationToken).ConfigureAwait(false)
                : await OnDialogRequestAsync(request, cancellationToken).ConfigureAwait(false);
        }

        var sip = request.Request;
        if (request.Direction == ServedDirection.Originating)
        {
            if (IsConferenceUri(sip.RequestUri) && !string.Equals(sip.RequestUri.Host, Domain, StringComparison.OrdinalIgnoreCase))
            {
                // The focus's own URI (RFC 4353 §6): SUBSCRIBE to its conference state, a dial-in INVITE.
                return await OnConferenceRequestAsync(request, cancellationToken).ConfigureAwait(false);
            }

            if (sip.RequestUri.IsEquivalentTo(_factoryUri) || SameAddress(sip.RequestUri, _factoryUri))
            {
                return await OnFactoryRequestAsync(request, cancellationToken).ConfigureAwait(false);
            }

            foreach (var (uri, members) in _groups)
            {
                if (SameAddress(sip.RequestUri, uri))
                {
                    return await OnGroupRequestAsync(request, uri, members, cancellationToken).ConfigureAwait(false);
                }
            }

            if (sip.Method == SipMethod.Publish && string.Equals(sip.Headers.Event?.Token, "poc-settings", StringComparison.OrdinalIgnoreCase)
                && ReferenceEquals(Core.FindSubscriber(sip.RequestUri), request.ServedUser))
            {
                await OnPublishAsync(request, cancellationToken).ConfigureAwait(false);
                return true;
            }

            return false;
        }

        if (!IsImRequest(sip))
        {
            return false;
        }

        var user = request.ServedUser;
        if (sip.Method == SipMethod.Message && SettingsOf(user.Impi)?.PagerLargeModeBarring == true)
        {
            // 5.2.4 b): the user bars incoming pager mode and large mode messages.
            await Core.RespondAsync(sip, request.Flow, 403, "Forbidden - Incoming IM barred", cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }

        if (request.ServedUserRegistered)
        {
            // Relayed by the core; RewriteTerminating applies the server rules on the way.
            return false;
        }

        if (sip.Method == SipMethod.Message)
        {
            await StoreMessageAsync(request, cancellationToken).ConfigureAwait(false);
            return true;
        }

        return await OnLargeMessageInviteAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>MESSAGE, and INVITE for IM (MSRP media or the IM feature tag): what the IM server serves.</summary>
    private static bool IsImRequest(SipRequest request) =>
        request.Method == SipMethod.Message
        || (request.Method == SipMethod.Invite && (HasMsrpOffer(request) || ImAcceptContact.HasSipIm(request)));

    private static bool HasMsrpOffer(SipRequest request) =>
        request.Headers.ContentType?.Is("application", "sdp") == true
        && request.Body.Span.IndexOf("m=message "u8) >= 0 && request.Body.Span.IndexOf("MSRP"u8) >= 0;

    private static bool SameAddress(SipUri a, SipUri b) =>
        a.Scheme == b.Scheme && string.Equals(a.User, b.User, StringComparison.Ordinal) && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase);

    // ---- Server rules on relayed requests (6.1.2.2.2, 7.2.2.1, 8.3.2.1) ----

    public SipRequest RewriteTerminating(ApplicationServerRequest request, SipRequest forwarded)
    {
        if (!IsImRequest(forwarded))
        {
            return forwarded;
        }

        var anonymous = SipText.WantsAnonymity(forwarded);
        var addSipIm = !ImAcceptContact.HasSipIm(forwarded);
        var rewritten = SipText.CopyRequest(forwarded,
            // RFC 3325 §9.1 (6.1.2.2.2 step 3): with Privacy: id the asserted identity does not go to the UE.
            skip: h => anonymous && h.Id == SipHeaderId.PAssertedIdentity,
            add: addSipIm ? [("Accept-Contact", ImAcceptContact.SipImValue)] : []);
        _logger.Relayed(forwarded.MethodName, forwarded.Headers.From?.Uri.ToString() ?? "-", forwarded.RequestUri.ToString(),
            addSipIm ? "+g.oma.sip-im added" : "kept", anonymous ? "withheld (Privacy: id)" : forwarded.Headers.GetValue(SipHeaderId.PAssertedIdentity) ?? "-");
        return rewritten;
    }

    // ---- Registration (third-party registration, TS 24.229 §5.4.1.7) ----

    public void OnRegistered(Subscriber subscriber)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        CountRegistration(subscriber.Impi);
        if (OfflineDeliveryActive(subscriber.Impi))
        {
            StartPush(subscriber);
        }
    }

    /// <summary>5.2.4 d) as published (while the publication lives), else the server's default.</summary>
    private bool OfflineDeliveryActive(string impi) => SettingsOf(impi)?.OfflineDelivery ?? _settings.OfflineDeliveryDefault;

    private ImUserSettings? SettingsOf(string impi) =>
        _published.TryGetValue(impi, out var published) && published.ExpiresAt > _time.GetUtcNow() ? published.Settings : null;

    private void Run(Func<CancellationToken, Task> work)
    {
        var task = Task.Run(() => work(_stop.Token));
        _background[task] = 0;
        _ = task.ContinueWith(t => _background.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        StopConferences();
        try
        {
            await Task.WhenAll(_background.Keys).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException or MsrpSessionException or InvalidOperationException)
        {
            // Stopping: work in flight ends here.
        }

        if (_xcap is not null)
        {
            await _xcap.DisposeAsync().ConfigureAwait(false);
        }

        await _msrpListener.DisposeAsync().ConfigureAwait(false);
        await _msrp.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private void RaisePushFinished(PushReport report) => PushFinished?.Invoke(report);

    /// <summary>A published IM Service Settings document (RFC 3903: entity tag and lifetime).</summary>
    private sealed record PublishedSettings(string ETag, ImUserSettings Settings, DateTimeOffset ExpiresAt);

    /// <summary>A dialog the server holds as a UA: a large-message session it answered, or a push it started.</summary>
    private abstract class ServerDialog(string contactUser, string callId)
    {
        public string ContactUser { get; } = contactUser;

        public string CallId { get; } = callId;
    }
}
