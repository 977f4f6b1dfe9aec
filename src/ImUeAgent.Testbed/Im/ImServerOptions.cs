// SPDX-License-Identifier: MIT
using System.CommandLine;
using System.Net;
using ImUeAgent.Msrp.Sdp;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Testbed.Im;

/// <summary>The IM server's options, shared by `core` and `all`.</summary>
internal sealed class ImServerOptions
{
    public Option<bool> Disable { get; } = new("--no-im-server") { Description = "Run the core without the IM server (MESSAGE to an offline user then gets 480)." };

    public Option<string?> FactoryUri { get; } = new("--im-factory-uri") { Description = "Conference-factory URI (default sip:conference-factory@DOMAIN).", HelpName = "URI" };

    public Option<string[]> Groups { get; } = new("--im-group")
    {
        Description = "A pre-defined group: GROUP-URI=MEMBER-URI,MEMBER-URI,…; repeatable.",
        HelpName = "URI=LIST",
    };

    public Option<string?> PushBody { get; } = new("--im-push-body")
    {
        Description = "Deferred push body: sip (default: message/sip per message), sipfrag, msrp (large messages as message/msrp), multipart (one multipart/mixed SEND).",
        HelpName = "KIND",
    };

    public Option<string?> PushSetup { get; } = new("--im-push-setup") { Description = "a=setup of the push offer: actpass (default), active or passive.", HelpName = "SETUP" };

    public Option<bool> DuplicatePush { get; } = new("--im-push-duplicate") { Description = "Test knob: send every push SEND twice." };

    public Option<bool> MalformedPart { get; } = new("--im-push-malformed") { Description = "Test knob: add one unparseable part to every push." };

    public Option<string?> OfflineDefault { get; } = new("--im-offline-delivery")
    {
        Description = "Offline delivery of users without published settings: push (default) or hold (kept for XCAP retrieval).",
        HelpName = "POLICY",
    };

    public Option<uint?> DeferredExpires { get; } = new("--im-deferred-expires") { Description = "Default lifetime of a deferred message in seconds (default 604800).", HelpName = "S" };

    public Option<uint?> DeferredMaxExpires { get; } = new("--im-deferred-max-expires") { Description = "Largest MESSAGE Expires honoured in seconds (default 2592000).", HelpName = "S" };

    public Option<string?> Xcap { get; } = new("--im-xcap") { Description = "XCAP server for the deferred-message metadata: ADDR:PORT (default 127.0.0.1:0) or off.", HelpName = "ADDR:PORT" };

    public Option<string?> MsrpListen { get; } = new("--im-msrp") { Description = "The IM server's MSRP listener (default 127.0.0.1:0).", HelpName = "ADDR:PORT" };

    public Option<string?> ConferenceRelease { get; } = new("--im-conference-release")
    {
        Description = "When an ad-hoc IM group session ends: alone (default: fewer than two users left, the last one gets BYE) or empty (the last user left).",
        HelpName = "POLICY",
    };

    public Option<int?> MaxConferences { get; } = new("--im-max-conferences") { Description = "IM group sessions at once (default 32); more get 503.", HelpName = "N" };

    public void AddTo(Command command)
    {
        Option[] all =
        [
            Disable, FactoryUri, Groups, PushBody, PushSetup, DuplicatePush, MalformedPart, OfflineDefault, DeferredExpires, DeferredMaxExpires, Xcap, MsrpListen,
            ConferenceRelease, MaxConferences,
        ];
        foreach (var option in all)
        {
            command.Options.Add(option);
        }
    }

    /// <summary>Reads the options; settings null when the IM server is disabled; false with a message naming the option.</summary>
    public bool TryRead(ParseResult parse, out ImServerSettings? settings, out string? error)
    {
        settings = null;
        error = null;
        if (parse.GetValue(Disable))
        {
            return true;
        }

        var factory = parse.GetValue(FactoryUri);
        if (factory is not null && !SipUri.TryParse(factory, out _))
        {
            error = $"--im-factory-uri: '{factory}' is not a SIP URI";
            return false;
        }

        var groups = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var text in parse.GetValue(Groups) ?? [])
        {
            if (!TryParseGroup(text, out var group, out var members))
            {
                error = $"--im-group: '{text}' is not GROUP-URI=MEMBER-URI,…";
                return false;
            }

            groups[group!] = members!;
        }

        DeferredPushBody? body = parse.GetValue(PushBody)?.ToLowerInvariant() switch
        {
            null or "sip" => DeferredPushBody.Sip,
            "sipfrag" => DeferredPushBody.SipFrag,
            "msrp" => DeferredPushBody.Msrp,
            "multipart" => DeferredPushBody.Multipart,
            _ => null,
        };
        if (body is null)
        {
            error = "--im-push-body: sip, sipfrag, msrp or multipart";
            return false;
        }

        MsrpSetup? setup = parse.GetValue(PushSetup)?.ToLowerInvariant() switch
        {
            null or "actpass" => MsrpSetup.ActPass,
            "active" => MsrpSetup.Active,
            "passive" => MsrpSetup.Passive,
            _ => null,
        };
        if (setup is null)
        {
            error = "--im-push-setup: actpass, active or passive";
            return false;
        }

        bool? offline = parse.GetValue(OfflineDefault)?.ToLowerInvariant() switch
        {
            null or "push" => true,
            "hold" => false,
            _ => null,
        };
        if (offline is null)
        {
            error = "--im-offline-delivery: push or hold";
            return false;
        }

        IPEndPoint? xcap = new(IPAddress.Loopback, 0);
        if (parse.GetValue(Xcap) is { } xcapText)
        {
            if (string.Equals(xcapText, "off", StringComparison.OrdinalIgnoreCase))
            {
                xcap = null;
            }
            else if (!IPEndPoint.TryParse(xcapText, out xcap))
            {
                error = $"--im-xcap: '{xcapText}' is not ADDRESS:PORT or off";
                return false;
            }
        }

        var msrp = new IPEndPoint(IPAddress.Loopback, 0);
        if (parse.GetValue(MsrpListen) is { } msrpText && !IPEndPoint.TryParse(msrpText, out msrp))
        {
            error = $"--im-msrp: '{msrpText}' is not ADDRESS:PORT";
            return false;
        }

        var expires = TimeSpan.FromSeconds(parse.GetValue(DeferredExpires) ?? 604_800);
        var maxExpires = TimeSpan.FromSeconds(parse.GetValue(DeferredMaxExpires) ?? 2_592_000);
        if (expires <= TimeSpan.Zero || maxExpires < expires)
        {
            error = "--im-deferred-expires must be positive and not above --im-deferred-max-expires";
            return false;
        }

        ConferenceReleasePolicy? release = parse.GetValue(ConferenceRelease)?.ToLowerInvariant() switch
        {
            null or "alone" => ConferenceReleasePolicy.FewerThanTwo,
            "empty" => ConferenceReleasePolicy.Empty,
            _ => null,
        };
        if (release is null)
        {
            error = "--im-conference-release: alone or empty";
            return false;
        }

        var maxConferences = parse.GetValue(MaxConferences) ?? 32;
        if (maxConferences is < 1 or > 10_000)
        {
            error = "--im-max-conferences: 1 to 10000";
            return false;
        }

        settings = new ImServerSettings
        {
            ConferenceRelease = release.Value,
            MaxConferences = maxConferences,
            ConferenceFactoryUri = factory,
            Groups = groups,
            PushBody = body.Value,
            PushSetup = setup.Value,
            DuplicatePush = parse.GetValue(DuplicatePush),
            MalformedPart = parse.GetValue(MalformedPart),
            OfflineDeliveryDefault = offline.Value,
            DefaultDeferredExpiry = expires,
            MaxDeferredExpiry = maxExpires,
            XcapListen = xcap,
            MsrpListen = msrp!,
        };
        return true;
    }

    /// <summary>GROUP-URI=MEMBER,MEMBER (pure; the group URI may itself contain '=' only after its last '@').</summary>
    internal static bool TryParseGroup(string text, out string? group, out IReadOnlyList<string>? members)
    {
        group = null;
        members = null;
        var at = text.IndexOf('@', StringComparison.Ordinal);
        var eq = text.IndexOf('=', Math.Max(at, 0));
        if (eq <= 0 || eq == text.Length - 1)
        {
            return false;
        }

        var uri = text[..eq].Trim();
        var list = text[(eq + 1)..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (!SipUri.TryParse(uri, out _) || list.Length == 0 || list.Any(m => !SipUri.TryParse(m, out _)))
        {
            return false;
        }

        group = uri;
        members = list;
        return true;
    }
}
