// SPDX-License-Identifier: MIT
using ImUeAgent.Uicc.Apdu;

namespace ImUeAgent.Uicc.Isim;

/// <summary>
/// Sends one command on a session (or the basic channel) and completes the T=0 style exchanges a modem may pass
/// through: 61 xx → GET RESPONSE with Le = xx, data accumulated; 6C xx → the same command again with Le = xx
/// (ETSI TS 102 221 §7.3.1.1.4). A modem that chains itself returns data ‖ 90 00 directly: same result.
/// </summary>
internal sealed class ApduTransceiver(IUiccChannel channel, int? session)
{
    /// <summary>Cap on one chained response (ISIM files and AUTHENTICATE answers are far smaller).</summary>
    public const int MaxResponseLength = 16 * 1024;

    /// <summary>Cap on exchanges for one command, so a card repeating 61 xx cannot loop us.</summary>
    public const int MaxExchanges = 64;

    public async ValueTask<ResponseApdu> TransmitAsync(byte[] command, CancellationToken cancellationToken)
    {
        var current = command;
        byte[]? collected = null;
        var collectedLength = 0;
        for (var exchange = 0; exchange < MaxExchanges; exchange++)
        {
            var raw = session is int handle
                ? await channel.TransmitAsync(handle, current, cancellationToken).ConfigureAwait(false)
                : await channel.TransmitBasicAsync(current, cancellationToken).ConfigureAwait(false);
            if (!ResponseApdu.TryParse(raw, out var response))
            {
                throw new UiccException(UiccErrorReason.ResponseTooShort,
                    $"{Describe(command)}: response of {raw.Length} byte(s) has no SW1 SW2");
            }

            switch (response.Kind)
            {
                case StatusWordKind.MoreDataAvailable:
                    Append(ref collected, ref collectedLength, response.Data.Span, command);
                    current = CommandApdu.GetResponse(response.Sw2 == 0 ? 256 : response.Sw2);
                    continue;
                case StatusWordKind.WrongLength:
                    // The data of a 6C xx answer is not valid: re-send the command that drew it with Le = xx.
                    current = CommandApdu.WithLe(current, response.Sw2 == 0 ? 256 : response.Sw2);
                    continue;
                default:
                    if (collected is null)
                    {
                        return response;
                    }

                    Append(ref collected, ref collectedLength, response.Data.Span, command);
                    return new ResponseApdu(collected.AsMemory(0, collectedLength), response.StatusWord);
            }
        }

        throw new UiccException(UiccErrorReason.TooManyExchanges,
            $"{Describe(command)}: still 61xx/6Cxx after {MaxExchanges} exchanges");
    }

    /// <summary>Names a command by its header only: the data of AUTHENTICATE is not for messages.</summary>
    public static string Describe(ReadOnlySpan<byte> command)
    {
        if (command.Length < 4)
        {
            return "command";
        }

        var name = command[1] switch
        {
            CommandApdu.InsSelect => "SELECT",
            CommandApdu.InsReadBinary => "READ BINARY",
            CommandApdu.InsReadRecord => "READ RECORD",
            CommandApdu.InsGetResponse => "GET RESPONSE",
            CommandApdu.InsAuthenticate => "AUTHENTICATE",
            var ins => $"INS {ins:X2}",
        };
        return $"{name} (P1 {command[2]:X2} P2 {command[3]:X2})";
    }

    private static void Append(ref byte[]? buffer, ref int length, ReadOnlySpan<byte> data, byte[] command)
    {
        if (length + data.Length > MaxResponseLength)
        {
            throw new UiccException(UiccErrorReason.ResponseTooLong,
                $"{Describe(command)}: chained response exceeds {MaxResponseLength} bytes");
        }

        if (buffer is null || buffer.Length < length + data.Length)
        {
            var grown = new byte[Math.Min(MaxResponseLength, Math.Max(256, (length + data.Length) * 2))];
            buffer?.AsSpan(0, length).CopyTo(grown);
            buffer = grown;
        }

        data.CopyTo(buffer.AsSpan(length));
        length += data.Length;
    }
}
