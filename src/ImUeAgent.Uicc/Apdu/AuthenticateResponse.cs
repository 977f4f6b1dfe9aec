// SPDX-License-Identifier: MIT
using ImUeAgent.Uicc.Aka;

namespace ImUeAgent.Uicc.Apdu;

/// <summary>
/// Pure decoder of the ISIM AUTHENTICATE (IMS AKA context) response, TS 31.103 §7.1.2.1:
/// success <c>DB Lres RES Lck CK Lik IK</c>, synchronisation failure <c>DC 0E AUTS</c>, MAC failure as SW 98 62.
/// </summary>
public static class AuthenticateResponse
{
    /// <summary>Tag of a successful response.</summary>
    public const byte SuccessTag = 0xDB;

    /// <summary>Tag of a synchronisation failure response.</summary>
    public const byte SynchronisationFailureTag = 0xDC;

    /// <summary>
    /// Decodes the response data (without SW1 SW2) of a command that ended 90 00 / 91 xx. The returned arrays are
    /// fresh copies, so the caller may reuse the input buffer.
    /// </summary>
    public static AuthenticateResponseError TryParse(ReadOnlySpan<byte> data, out AkaResult? result)
    {
        result = null;
        if (data.IsEmpty)
        {
            return AuthenticateResponseError.Empty;
        }

        var reader = new LengthValueReader(data[1..]);
        switch (data[0])
        {
            case SuccessTag:
            {
                var error = reader.Read(AkaResult.MinResLength, AkaResult.MaxResLength,
                    AuthenticateResponseError.ResLengthOutOfRange, out var res);
                if (error == AuthenticateResponseError.None)
                {
                    error = reader.Read(AkaResult.KeyLength, AkaResult.KeyLength,
                        AuthenticateResponseError.CkLengthInvalid, out var ck);
                    if (error == AuthenticateResponseError.None)
                    {
                        error = reader.Read(AkaResult.KeyLength, AkaResult.KeyLength,
                            AuthenticateResponseError.IkLengthInvalid, out var ik);
                        if (error == AuthenticateResponseError.None)
                        {
                            if (!reader.AtEnd)
                            {
                                return AuthenticateResponseError.TrailingData;
                            }

                            result = new AkaResult.Success(res.ToArray(), ck.ToArray(), ik.ToArray());
                        }
                    }
                }

                return error;
            }

            case SynchronisationFailureTag:
            {
                var error = reader.Read(Milenage.AutsLength, Milenage.AutsLength,
                    AuthenticateResponseError.AutsLengthInvalid, out var auts);
                if (error != AuthenticateResponseError.None)
                {
                    return error;
                }

                if (!reader.AtEnd)
                {
                    return AuthenticateResponseError.TrailingData;
                }

                result = new AkaResult.SynchronisationFailure(auts.ToArray());
                return AuthenticateResponseError.None;
            }

            default:
                return AuthenticateResponseError.UnknownTag;
        }
    }

    /// <summary>
    /// Interprets a complete AUTHENTICATE response (after any GET RESPONSE chaining): 98 62 is a MAC failure,
    /// success data is decoded, anything else throws <see cref="UiccException"/> naming the status word or reason.
    /// </summary>
    public static AkaResult Interpret(ResponseApdu response)
    {
        if (response.Kind == StatusWordKind.AuthenticationError)
        {
            return AkaResult.MacFailure.Instance;
        }

        if (!response.IsSuccess)
        {
            throw new UiccException(UiccErrorReason.UnexpectedStatusWord,
                $"AUTHENTICATE failed with SW {StatusWords.Format(response.StatusWord)}", response.StatusWord);
        }

        var error = TryParse(response.Data.Span, out var result);
        if (error != AuthenticateResponseError.None)
        {
            throw new UiccException(UiccErrorReason.MalformedAuthenticateResponse,
                $"AUTHENTICATE response rejected: {error} ({response.Data.Length} data bytes)", response.StatusWord);
        }

        return result!;
    }

    // Length-prefixed fields with the truncation and range checks in one place.
    private ref struct LengthValueReader(ReadOnlySpan<byte> remaining)
    {
        private ReadOnlySpan<byte> _remaining = remaining;

        public readonly bool AtEnd => _remaining.IsEmpty;

        public AuthenticateResponseError Read(int min, int max, AuthenticateResponseError outOfRange,
            out ReadOnlySpan<byte> value)
        {
            value = default;
            if (_remaining.IsEmpty)
            {
                return AuthenticateResponseError.Truncated;
            }

            int length = _remaining[0];
            if (length < min || length > max)
            {
                return outOfRange;
            }

            if (_remaining.Length - 1 < length)
            {
                return AuthenticateResponseError.Truncated;
            }

            value = _remaining.Slice(1, length);
            _remaining = _remaining[(1 + length)..];
            return AuthenticateResponseError.None;
        }
    }
}
