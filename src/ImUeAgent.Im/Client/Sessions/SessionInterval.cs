// SPDX-License-Identifier: MIT
using System.Globalization;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Im.Client.Sessions;

/// <summary>
/// A negotiated RFC 4028 session interval and which side refreshes it. The refresher parameter is relative to the
/// transaction that carries it ("uac" = the sender of that request), so the same interval is written differently in
/// a request and in a response: <see cref="ForRequest"/>, <see cref="ForResponse"/>.
/// </summary>
internal readonly record struct SessionInterval(uint Seconds, bool LocalRefresher)
{
    /// <summary>RFC 4028 §4: the smallest Session-Expires (and Min-SE default).</summary>
    public const uint MinimumSeconds = 90;

    /// <summary>RFC 4028 §10: the refresher sends the refresh at half the session interval.</summary>
    public TimeSpan RefreshAfter => TimeSpan.FromSeconds(Seconds / 2.0);

    /// <summary>RFC 4028 §10: without a refresh, the other side sends BYE "before the session expiration", at the
    /// interval minus the smaller of 32 seconds and a third of the interval.</summary>
    public TimeSpan ExpireAfter => TimeSpan.FromSeconds(Seconds - Math.Min(32.0, Seconds / 3.0));

    /// <summary>The Session-Expires value for a request this side sends (it is the UAC of it).</summary>
    public string ForRequest => Seconds.ToString(CultureInfo.InvariantCulture) + ";refresher=" + (LocalRefresher ? "uac" : "uas");

    /// <summary>The Session-Expires value for a 2xx this side sends (it is the UAS of the request).</summary>
    public string ForResponse => Seconds.ToString(CultureInfo.InvariantCulture) + ";refresher=" + (LocalRefresher ? "uas" : "uac");

    /// <summary>RFC 4028 §7.2: a 2xx to our INVITE/UPDATE. With Session-Expires the timer runs and its refresher
    /// parameter names the refresher (absent: the UAC, §7.2 "the UAC MUST perform the refreshes"); without one there
    /// is no session expiration.</summary>
    public static SessionInterval? FromResponse(SipResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.Headers.SessionExpires is not { Seconds: uint seconds } se || seconds == 0)
        {
            return null;
        }

        return new SessionInterval(seconds, !string.Equals(se.Refresher, "uas", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>RFC 4028 §9: a session refresh or initial INVITE received. The UAS keeps the interval (when not below
    /// its minimum) and the requested refresher; when none is requested it picks the UAC if the UAC supports 'timer',
    /// else itself. Null: no Session-Expires in the request (no timer unless we impose one, which we do not).
    /// <paramref name="tooSmall"/> says the request must be answered 422 with Min-SE (§9).</summary>
    public static SessionInterval? FromRequest(SipRequest request, out bool tooSmall)
    {
        ArgumentNullException.ThrowIfNull(request);
        tooSmall = false;
        if (request.Headers.SessionExpires is not { Seconds: uint seconds } se)
        {
            return null;
        }

        if (seconds < MinimumSeconds)
        {
            tooSmall = true;
            return null;
        }

        string? refresher = se.Refresher;
        bool uacRefreshes = refresher is null
            ? request.Headers.Supported.Contains("timer", StringComparer.OrdinalIgnoreCase)
            : !string.Equals(refresher, "uas", StringComparison.OrdinalIgnoreCase);
        return new SessionInterval(seconds, LocalRefresher: !uacRefreshes);
    }
}
