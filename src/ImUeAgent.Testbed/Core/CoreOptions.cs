// SPDX-License-Identifier: MIT
using System.CommandLine;
using System.Net;
using ImUeAgent.Testbed.Modem;

namespace ImUeAgent.Testbed.Core;

/// <summary>The options of the core, shared by `core` and `all`. The identity options describe the card of the
/// emulated modem; the HSS gets the same subscriber (and `all` gives the modem that card).</summary>
internal sealed class CoreOptions
{
    public Option<string> Listen { get; } = new("--listen")
    {
        Description = "SIP address of the P-CSCF, UDP and TCP on the same port (port 0 picks one; default 127.0.0.1:5060).",
        HelpName = "ADDR:PORT",
        DefaultValueFactory = _ => "127.0.0.1:5060",
    };

    public Option<string> Transports { get; } = new("--transport")
    {
        Description = "udp, tcp or udp,tcp (default).",
        HelpName = "LIST",
        DefaultValueFactory = _ => "udp,tcp",
    };

    public Option<string?> Domain { get; } = new("--domain") { Description = "Home domain (default ims.mncXXX.mccYYY.3gppnetwork.org of the IMSI).", HelpName = "NAME" };

    public Option<string?> Subscribers { get; } = new("--subscribers") { Description = "Subscriber JSON: { \"subscribers\": [ { impi|imsi, impu[], k, opc|op, sqn, amf, algorithm, password } ] }.", HelpName = "FILE" };

    public Option<string?> Imsi { get; } = new("--imsi") { Description = "IMSI of the default subscriber (default 001010123456789).", HelpName = "DIGITS" };

    public Option<int?> MncDigits { get; } = new("--mnc-digits") { Description = "MNC length in the IMSI: 2 (default) or 3.", HelpName = "N" };

    public Option<string?> K { get; } = new("--k") { Description = "K of the default subscriber, 32 hex digits (default TS 35.208 set 1).", HelpName = "HEX" };

    public Option<string?> Opc { get; } = new("--opc") { Description = "OPc, 32 hex digits (default TS 35.208 set 1).", HelpName = "HEX" };

    public Option<string?> Op { get; } = new("--op") { Description = "OP, 32 hex digits (OPc is derived).", HelpName = "HEX" };

    public Option<string?> Sqn { get; } = new("--sqn") { Description = "Starting SQN, 12 hex digits: the HSS's SQN_HE (and the card's SQN_MS in `all`); default 0.", HelpName = "HEX" };

    public Option<string?> Impi { get; } = new("--impi") { Description = "IMPI of the default subscriber (default IMSI@domain).", HelpName = "NAI" };

    public Option<string[]> Impu { get; } = new("--impu") { Description = "IMPU of the default subscriber, repeatable (default sip:IMSI@domain and tel:MSISDN).", HelpName = "URI" };

    public Option<string?> Msisdn { get; } = new("--msisdn") { Description = "The tel URI of the default IMPUs (default +15550123456).", HelpName = "E164" };

    public Option<string?> Algorithm { get; } = new("--algorithm") { Description = "Default subscriber's digest algorithm: AKAv1-MD5 (default) or AKAv2-MD5.", HelpName = "NAME" };

    public Option<string[]> DigestUsers { get; } = new("--digest-user") { Description = "A plain digest (MD5) subscriber USER:PASSWORD, IMPU sip:USER@domain; repeatable.", HelpName = "USER:PASSWORD" };

    public Option<int?> IndBits { get; } = new("--ind-bits") { Description = "IND bits of SQN (TS 33.102 Annex C; default 5, 0 counts SQN by one).", HelpName = "N" };

    public Option<uint?> DefaultExpires { get; } = new("--default-expires") { Description = "Registration lifetime when REGISTER states none (default 3600).", HelpName = "S" };

    public Option<uint?> MinExpires { get; } = new("--min-expires") { Description = "Shorter non-zero registrations get 423 (default 60).", HelpName = "S" };

    public Option<uint?> MaxExpires { get; } = new("--max-expires") { Description = "Longer registrations are shortened to this (default 3600).", HelpName = "S" };

    public Option<string?> OnMacFailure { get; } = new("--on-mac-failure") { Description = "Answer to a UE that rejects the network (empty response): 403 (default) or challenge.", HelpName = "ACTION" };

    public Option<bool> ChallengeEveryRegister { get; } = new("--challenge-every-register") { Description = "Challenge re-registrations too (no nonce reuse)." };

    public Option<bool> AllowMissingServiceRoute { get; } = new("--allow-missing-service-route") { Description = "Relay initial requests whose Route lacks the Service-Route." };

    public Option<string?> ScscfHost { get; } = new("--scscf-host") { Description = "Host of the Service-Route (default scscf.DOMAIN).", HelpName = "NAME" };

    public Option<string?> Log { get; } = new("--log") { Description = "Append the SIP message log (JSON lines) to FILE instead of stderr.", HelpName = "FILE" };

    public Option<string[]> Faults { get; } = new("--fault") { Description = "A control command applied at start, repeatable (e.g. \"423 min-expires 600\").", HelpName = "COMMAND" };

    public void AddTo(Command command)
    {
        Option[] all =
        [
            Listen, Transports, Domain, Subscribers, Imsi, MncDigits, K, Opc, Op, Sqn, Impi, Impu, Msisdn, Algorithm, DigestUsers, IndBits,
            DefaultExpires, MinExpires, MaxExpires, OnMacFailure, ChallengeEveryRegister, AllowMissingServiceRoute, ScscfHost, Log, Faults,
        ];
        foreach (var option in all)
        {
            command.Options.Add(option);
        }
    }

    /// <summary>Reads the options into a setup and the card they describe; false with a message naming the option.</summary>
    public bool TryRead(ParseResult parse, CardSettings? card, out CoreSetup? setup, out string? error) =>
        TryRead(parse, card, out setup, out _, out error);

    public bool TryRead(ParseResult parse, CardSettings? card, out CoreSetup? setup, out CardSettings? cardSettings, out string? error)
    {
        setup = null;
        cardSettings = null;
        var overrides = new CardFile
        {
            Imsi = parse.GetValue(Imsi),
            MncDigits = parse.GetValue(MncDigits),
            K = parse.GetValue(K),
            Opc = parse.GetValue(Opc),
            Op = parse.GetValue(Op),
            Sqn = parse.GetValue(Sqn),
            Impi = parse.GetValue(Impi),
            Impu = parse.GetValue(Impu) is { Length: > 0 } impus ? [.. impus] : null,
            Domain = parse.GetValue(Domain),
            Msisdn = parse.GetValue(Msisdn),
        };
        if (!overrides.TryApply(card ?? new CardSettings(), out var applied, out error))
        {
            return false;
        }

        if (applied.Validate() is { } invalid)
        {
            error = invalid;
            return false;
        }

        cardSettings = applied;
        var domain = applied.EffectiveDomain;
        var scheme = parse.GetValue(Algorithm)?.ToUpperInvariant() switch
        {
            null or "AKAV1-MD5" => AuthenticationScheme.AkaV1,
            "AKAV2-MD5" => AuthenticationScheme.AkaV2,
            _ => (AuthenticationScheme?)null,
        };
        if (scheme is null)
        {
            error = "--algorithm: AKAv1-MD5 or AKAv2-MD5";
            return false;
        }

        var subscribers = new List<Subscriber>
        {
            new()
            {
                Impi = applied.EffectiveImpi,
                Impus = applied.EffectiveImpus,
                Scheme = scheme.Value,
                K = applied.K,
                Opc = applied.Opc,
                Sqn = applied.SqnMs,
            },
        };
        if (parse.GetValue(Subscribers) is { } file)
        {
            var loaded = SubscriberFile.Load(file, out error);
            if (loaded is null)
            {
                return false;
            }

            subscribers.RemoveAll(s => loaded.Any(l => string.Equals(l.Impi, s.Impi, StringComparison.OrdinalIgnoreCase)));
            subscribers.AddRange(loaded);
        }

        foreach (var user in parse.GetValue(DigestUsers) ?? [])
        {
            var colon = user.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || colon == user.Length - 1)
            {
                error = "--digest-user: USER:PASSWORD";
                return false;
            }

            var name = user[..colon];
            subscribers.Add(new Subscriber
            {
                Impi = name.Contains('@', StringComparison.Ordinal) ? name : name + "@" + domain,
                Impus = [$"sip:{(name.Contains('@', StringComparison.Ordinal) ? name : name + "@" + domain)}"],
                Scheme = AuthenticationScheme.DigestMd5,
                Password = user[(colon + 1)..],
            });
        }

        foreach (var subscriber in subscribers)
        {
            if (subscriber.Validate() is { } bad)
            {
                error = bad;
                return false;
            }
        }

        var indBits = parse.GetValue(IndBits) ?? 5;
        if (indBits is < 0 or > 10)
        {
            error = "--ind-bits: 0 to 10";
            return false;
        }

        try
        {
            _ = new Hss(subscribers, indBits);
        }
        catch (ArgumentException exception)
        {
            error = "subscribers: " + exception.Message;
            return false;
        }

        if (!IPEndPoint.TryParse(parse.GetValue(Listen)!, out var listen))
        {
            error = $"--listen: '{parse.GetValue(Listen)}' is not ADDRESS:PORT";
            return false;
        }

        var transports = parse.GetValue(Transports)!.ToLowerInvariant().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (transports.Length == 0 || transports.Any(t => t is not ("udp" or "tcp")))
        {
            error = "--transport: udp, tcp or udp,tcp";
            return false;
        }

        var macFailure = parse.GetValue(OnMacFailure)?.ToLowerInvariant() switch
        {
            null or "403" => MacFailurePolicy.Forbid,
            "challenge" => MacFailurePolicy.Challenge,
            _ => (MacFailurePolicy?)null,
        };
        if (macFailure is null)
        {
            error = "--on-mac-failure: 403 or challenge";
            return false;
        }

        var settings = new CoreSettings
        {
            Domain = domain,
            ScscfHost = parse.GetValue(ScscfHost),
            DefaultExpires = parse.GetValue(DefaultExpires) ?? 3600,
            MinExpires = parse.GetValue(MinExpires) ?? 60,
            MaxExpires = parse.GetValue(MaxExpires) ?? 3600,
            OnMacFailure = macFailure.Value,
            ChallengeEveryRegister = parse.GetValue(ChallengeEveryRegister),
            RequireServiceRoute = !parse.GetValue(AllowMissingServiceRoute),
        };
        if (settings.MinExpires > settings.MaxExpires || settings.DefaultExpires == 0)
        {
            error = "--min-expires must not exceed --max-expires, and --default-expires must be positive";
            return false;
        }

        var faults = parse.GetValue(Faults) ?? [];
        foreach (var fault in faults)
        {
            if (CoreControlCommand.TryParse(fault, out _) is var faultError and not CoreControlError.None)
            {
                error = $"--fault '{fault}': {CoreControlCommand.Describe(faultError)}";
                return false;
            }
        }

        setup = new CoreSetup(settings, subscribers, indBits, transports.Contains("udp") ? listen : null, transports.Contains("tcp") ? listen : null,
            parse.GetValue(Log), faults);
        return true;
    }
}
