// SPDX-License-Identifier: MIT
using System.Text;
using BenchmarkDotNet.Attributes;
using ImUeAgent.Im.Content;
using ImUeAgent.Im.FeatureTags;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Benchmarks.Im;

/// <summary>The per-message codecs on the receive path: CPIM with IMDN headers, multipart split, IMDN XML, and the
/// caller-preference match that picks the local application.</summary>
[MemoryDiagnoser]
public class ImContentBenchmarks
{
    private byte[] _cpim = [];
    private byte[] _multipart = [];
    private MediaType _multipartType = new("multipart", "mixed");
    private byte[] _imdn = [];
    private ApplicationSelector _selector = new([]);
    private List<CallerPreferenceValue> _accept = [];

    [GlobalSetup]
    public void Setup()
    {
        _cpim = new CpimMessageBuilder()
            .From(new CpimAddress("sip:alice@example.com", "Alice"))
            .To(new CpimAddress("sip:bob@example.com"))
            .DateTime(DateTimeOffset.UnixEpoch)
            .RequestImdn("Ab3ksjd8Hs2kkd93KdsLq1", DispositionNotification.PositiveDelivery | DispositionNotification.Display)
            .ContentType(new MediaType("text", "plain"))
            .Body(Encoding.UTF8.GetBytes("Hello World"))
            .Build();
        string boundary = "bench-boundary";
        _multipartType = Multipart.MixedType(boundary);
        _multipart = Multipart.Build(boundary, [new MimePart(Cpim.MediaType, _cpim), new MimePart(ResourceListDocument.MediaType, ResourceListDocument.Build([new RecipientEntry("sip:a@x", CopyControl.To), new RecipientEntry("sip:b@x", CopyControl.To)]), new MimeHeader("Content-Disposition", "recipient-list"))]);
        _imdn = ImdnDocument.Build(new ImdnNotification("Ab3ksjd8Hs2kkd93KdsLq1", DateTimeOffset.UnixEpoch, ImdnNotificationKind.Delivery, ImdnStatus.Delivered, "sip:bob@example.com"));
        _selector = new ApplicationSelector(
            [new LocalApplication("chat", [ImFeatureTags.SipImParameter]), new LocalApplication("app", [ImFeatureTags.SipImParameter, new FeatureParameter("+g.3gpp.app_ref", "\"<value>\"")])],
            "chat");
        CallerPreferences.TryParse("*;+g.oma.sip-im, *;+g.3gpp.app_ref=\"<value>\";explicit;require", _accept, out _);
    }

    [Benchmark]
    public string? ParseCpim() => Cpim.Parse(_cpim).Value?.ImdnMessageId;

    [Benchmark]
    public int ParseMultipart() => Multipart.Parse(_multipart, _multipartType).Value?.Parts.Count ?? -1;

    [Benchmark]
    public string? ParseImdn() => ImdnDocument.Parse(_imdn).Value?.MessageId;

    [Benchmark]
    public string? SelectApplication() => _selector.Select(_accept, []).Application?.Id;
}
