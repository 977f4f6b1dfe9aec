// SPDX-License-Identifier: MIT
using ImUeAgent.Sip.Auth;
using ImUeAgent.Uicc.Aka;
using SipAkaOutcome = ImUeAgent.Sip.Auth.AkaOutcome;

namespace ImUeAgent.Ims.Auth;

/// <summary>The SIP layer's <see cref="IAkaResponder"/> over the subscriber module (<see cref="IImsAkaAuthenticator"/>:
/// the card's ISIM through the modem, or the soft ISIM). RES, CK, IK and AUTS go across as bytes, never through a
/// string (STYLE.md, what to avoid: a RES may contain 0x00). Card errors other than a MAC failure propagate (the
/// authenticator reports them as <see cref="AuthenticationFailure.AkaResponderFailed"/>).</summary>
public sealed class AkaResponderAdapter : IAkaResponder
{
    private readonly IImsAkaAuthenticator _card;

    public AkaResponderAdapter(IImsAkaAuthenticator card)
    {
        _card = card ?? throw new ArgumentNullException(nameof(card));
    }

    public async ValueTask<AkaResponderResult> AuthenticateAsync(ReadOnlyMemory<byte> rand, ReadOnlyMemory<byte> autn, CancellationToken cancellationToken)
    {
        AkaResult result = await _card.AuthenticateAsync(rand, autn, cancellationToken).ConfigureAwait(false);
        return result switch
        {
            AkaResult.Success s => AkaResponderResult.Success(s.Res.Span, s.Ck.Span, s.Ik.Span),
            AkaResult.SynchronisationFailure f => AkaResponderResult.SynchronisationFailure(f.Auts.Span),
            AkaResult.MacFailure => AkaResponderResult.MacFailure(),
            _ => throw new InvalidOperationException("Unknown AKA outcome " + result.Outcome),
        };
    }
}

/// <summary>Which AKA outcome the last challenge of a registration attempt produced, so the registration can say why
/// it failed ("network not authentic" after a MAC failure, TS 24.229 §5.1.1.5.3) without the SIP layer's help.</summary>
internal sealed class ObservingAkaResponder(IAkaResponder inner) : IAkaResponder
{
    private int _last = -1;

    /// <summary>The outcome of the most recent run since <see cref="Reset"/>; null when none ran or it threw.</summary>
    public SipAkaOutcome? LastOutcome => _last < 0 ? null : (SipAkaOutcome)_last;

    public bool LastRunFailed { get; private set; }

    public void Reset()
    {
        _last = -1;
        LastRunFailed = false;
    }

    public async ValueTask<AkaResponderResult> AuthenticateAsync(ReadOnlyMemory<byte> rand, ReadOnlyMemory<byte> autn, CancellationToken cancellationToken)
    {
        try
        {
            AkaResponderResult r = await inner.AuthenticateAsync(rand, autn, cancellationToken).ConfigureAwait(false);
            _last = (int)r.Outcome;
            LastRunFailed = false;
            return r;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _last = -1;
            LastRunFailed = true;
            throw;
        }
    }
}
