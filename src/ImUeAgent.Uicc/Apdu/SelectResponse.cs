// SPDX-License-Identifier: MIT
namespace ImUeAgent.Uicc.Apdu;

/// <summary>What SELECT returns, coded in P2 (ETSI TS 102 221 §11.1.1.2).</summary>
public enum SelectResponse : byte
{
    /// <summary>P2 = 04: return the FCP template (file size, record length and count).</summary>
    ReturnFcp = 0x04,

    /// <summary>P2 = 0C: return no data.</summary>
    NoData = 0x0C,
}
