// SPDX-License-Identifier: MIT
using ImUeAgent.Uicc.Apdu;

namespace ImUeAgent.Uicc.Isim;

/// <summary>How <see cref="IsimApplication"/> selects and reads elementary files.</summary>
public sealed record UiccReadOptions
{
    /// <summary>Today's behaviour: SELECT returns the FCP (P2 = 04) and reads are sized from it.</summary>
    public static UiccReadOptions Default { get; } = new();

    /// <summary>
    /// P2 of every SELECT of an EF. <see cref="SelectResponse.NoData"/> (P2 = 0C, ETSI TS 102 221 §11.1.1.2) suits
    /// modems whose GET RESPONSE path is unreliable: no FCP comes back, so READ BINARY / READ RECORD go with Le = 00
    /// and the card's 6C xx (wrong length, §10.2.1.4) gives the exact length; records are read until 6A 83.
    /// </summary>
    public SelectResponse Select { get; init; } = SelectResponse.ReturnFcp;
}
