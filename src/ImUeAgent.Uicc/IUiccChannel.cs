// SPDX-License-Identifier: MIT
namespace ImUeAgent.Uicc;

/// <summary>
/// Access to the UICC through the modem (STYLE.md §11: the channel part). The Modem project implements it over
/// AT+CCHO / +CGLA / +CCHC / +CSIM (3GPP TS 27.007 §8.43-8.45, §8.17); tests implement it with scripts.
/// </summary>
/// <remarks>
/// Responses are the raw response APDU: data followed by SW1 SW2, exactly as the card (or the modem's own
/// GET RESPONSE chaining) produced it. Whether the modem chains 61xx / 6Cxx itself is transparent to callers: the
/// ISIM code handles both. Commands are built with CLA 00; an implementation whose modem wants the logical channel
/// in CLA sets it with <see cref="Apdu.ClassByte.ApplyLogicalChannel"/>. The returned memory belongs to the caller.
/// </remarks>
public interface IUiccChannel
{
    /// <summary>Opens a logical channel and selects the application <paramref name="aid"/> (+CCHO).</summary>
    /// <returns>The session handle the modem returned (not necessarily the channel number).</returns>
    ValueTask<int> OpenLogicalChannelAsync(ReadOnlyMemory<byte> aid, CancellationToken cancellationToken);

    /// <summary>Sends a command APDU on an open session (+CGLA) and returns data ‖ SW1 SW2.</summary>
    ValueTask<ReadOnlyMemory<byte>> TransmitAsync(int session, ReadOnlyMemory<byte> commandApdu,
        CancellationToken cancellationToken);

    /// <summary>Closes a session (+CCHC). Logical channels are a scarce resource (3 to 19): always close.</summary>
    ValueTask CloseLogicalChannelAsync(int session, CancellationToken cancellationToken);

    /// <summary>Sends a command APDU on the basic channel (+CSIM), e.g. to read EF_DIR.</summary>
    ValueTask<ReadOnlyMemory<byte>> TransmitBasicAsync(ReadOnlyMemory<byte> commandApdu,
        CancellationToken cancellationToken);
}
