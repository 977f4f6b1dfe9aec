// SPDX-License-Identifier: MIT
using ImUeAgent.Msrp.Sdp;

namespace ImUeAgent.Im.Client.Large;

/// <summary>
/// The direction attribute (RFC 4566 §6: sendrecv, sendonly, recvonly, inactive) of the MSRP media of our own SDP
/// bodies: Large Message Mode (9) is one-way, so our offer says sendonly — which is also how
/// <see cref="Sessions.ChatOfferClassifier"/> tells it from a chat — and our answer to a one-way offer mirrors it
/// (RFC 3264 §6.1).
/// </summary>
internal static class MsrpDirection
{
    public const string SendOnly = "sendonly";
    public const string RecvOnly = "recvonly";
    public const string SendRecv = "sendrecv";
    public const string Inactive = "inactive";

    /// <summary>The direction of the first MSRP media of an SDP: its own attribute, else the session-level one
    /// (RFC 4566 §6: a session-level direction applies to media that name none); null when neither says (sendrecv
    /// by default, RFC 3264 §5.1).</summary>
    public static string? Of(SdpSessionDescription sdp)
    {
        ArgumentNullException.ThrowIfNull(sdp);
        SdpMediaDescription? media = FindMsrpMedia(sdp);
        return (media is null ? null : Find(media.Attributes)) ?? Find(sdp.Attributes);
    }

    /// <summary>
    /// The direction our answer gives to an offer of that direction (RFC 3264 §6.1): sendonly is answered recvonly,
    /// recvonly sendonly and inactive inactive. An offer without one (or sendrecv) gets none, as before: this side
    /// only receives, and peers that never name a direction get the answer they always got.
    /// </summary>
    public static string? AnswerTo(string? offered) => offered switch
    {
        SendOnly => RecvOnly,
        RecvOnly => SendOnly,
        Inactive => Inactive,
        _ => null,
    };

    /// <summary>Our SDP body with <paramref name="direction"/> set on its MSRP media (any other direction attribute of
    /// that media replaced). For bodies this client built (MsrpSdp), whose lines all survive a parse.</summary>
    public static string With(string sdpText, string direction)
    {
        ArgumentNullException.ThrowIfNull(sdpText);
        if (direction is not (SendOnly or RecvOnly or SendRecv or Inactive))
        {
            throw new ArgumentOutOfRangeException(nameof(direction), direction, "Not an RFC 4566 direction attribute");
        }

        SdpSessionDescription sdp = SdpSessionDescription.Parse(sdpText);
        SdpMediaDescription media = FindMsrpMedia(sdp) ?? throw new ArgumentException("The SDP has no MSRP media", nameof(sdpText));
        media.Attributes.RemoveAll(a => IsDirection(a.Key));
        // Before a=path, so the path stays the last line as MsrpSdp writes it.
        int path = media.Attributes.FindIndex(a => a.Key == "path");
        media.Attributes.Insert(path < 0 ? media.Attributes.Count : path, new KeyValuePair<string, string?>(direction, null));
        return sdp.ToString();
    }

    private static SdpMediaDescription? FindMsrpMedia(SdpSessionDescription sdp) =>
        sdp.Media.Find(m => m.Media == "message" && m.Protocol is "TCP/MSRP" or "TCP/TLS/MSRP" && m.Port != 0);

    private static string? Find(List<KeyValuePair<string, string?>> attributes)
    {
        foreach ((string name, _) in attributes)
        {
            if (IsDirection(name))
            {
                return name;
            }
        }

        return null;
    }

    private static bool IsDirection(string name) => name is SendOnly or RecvOnly or SendRecv or Inactive;
}
