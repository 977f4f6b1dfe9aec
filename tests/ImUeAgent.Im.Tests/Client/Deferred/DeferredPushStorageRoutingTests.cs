// SPDX-License-Identifier: MIT
using ImUeAgent.Im.Client.Deferred;
using ImUeAgent.Im.Client.Large;
using ImUeAgent.Im.FeatureTags;
using ImUeAgent.Im.Store;
using ImUeAgent.Sip.Message;
using static ImUeAgent.Im.Tests.Client.TestText;

namespace ImUeAgent.Im.Tests.Client.Deferred;

/// <summary>RFC 3841 routing of rebuilt deferred messages: by the caller preferences of the stored request, else the push's.</summary>
public sealed class DeferredPushStorageRoutingTests
{
    private const string AppRefA = "+g.3gpp.app_ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.app-a\"";
    private const string AppRefB = "+g.3gpp.app_ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.app-b\"";
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static LocalApplication App(string id, string tag)
    {
        Assert.True(CallerPreferences.TryParseFeatureParameters(tag, out IReadOnlyList<FeatureParameter> features));
        return new LocalApplication(id, features);
    }

    // Both applications take IM; they differ by app_ref. The default is a third one.
    private static readonly ApplicationSelector Selector = new(
    [
        App("app-a", AppRefA + ";+g.oma.sip-im"),
        App("app-b", AppRefB + ";+g.oma.sip-im"),
        App("fallback", "+g.3gpp.iari-ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.fallback\""),
    ], "fallback");

    private static IncomingSessionContext Push(string? application) => new("push-1@imserver.com", "sip:im-server@ims.test", null, "sip:bob@ims.test", application);

    private static string Fragment(string callId, string body, params string[] headers) =>
        "From: <sip:user3@imserver.com>;tag=77\r\nTo: <sip:bob@ims.test>\r\nCall-ID: " + callId + "\r\nCSeq: 7 MESSAGE\r\n" +
        string.Concat(headers.Select(h => h + "\r\n")) + "Content-Type: text/plain\r\n\r\n" + body;

    [Theory]
    [InlineData("Accept-Contact: *;" + AppRefB + ";explicit;require", "app-b")]
    [InlineData("a: *;" + AppRefB + ";explicit;require", "app-b")]
    [InlineData("Accept-Contact: *;+g.oma.sip-im", "app-a")]
    [InlineData("Accept-Contact: *;+g.oma.sip-im\r\nReject-Contact: *;" + AppRefA, "app-b")]
    [InlineData("Accept-Contact: *;+g.oma.sip-im\r\nj: *;" + AppRefA, "app-b")]
    [InlineData("Accept-Contact: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.other\";explicit;require", "fallback")]
    [InlineData("Accept-Contact: not a preference ;;", "push-app")]
    [InlineData(null, "push-app")]
    public void SipfragIsRoutedByItsOwnCallerPreferencesElseByThePush(string? header, string expected)
    {
        string fragment = header is null ? Fragment("f1@imserver.com", "hello") : Fragment("f1@imserver.com", "hello", header);

        DeferredPushBatch batch = DeferredPushStorage.Build("message/sipfrag", Utf8(fragment), Push("push-app"), Selector, Now);

        NewInboxMessage m = Assert.Single(batch.Messages);
        Assert.Null(m.UnparsedReason);
        Assert.Equal(expected, m.ApplicationId);
    }

    [Fact]
    public void UnreadablePartsGoWhereThePushWent()
    {
        DeferredPushBatch batch = DeferredPushStorage.Build("message/sip", Utf8("garbage that is no SIP message"), Push("push-app"), Selector, Now);

        NewInboxMessage m = Assert.Single(batch.Messages);
        Assert.NotNull(m.UnparsedReason);
        Assert.Equal("push-app", m.ApplicationId);
    }
}
