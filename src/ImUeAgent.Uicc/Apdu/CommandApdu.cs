// SPDX-License-Identifier: MIT
using ImUeAgent.Uicc.Aka;

namespace ImUeAgent.Uicc.Apdu;

/// <summary>
/// Command APDU builders (ETSI TS 102 221 §10.1, §11; TS 31.103 §7.1.2). Every command is built for the basic
/// channel (CLA 00); <see cref="ClassByte.ApplyLogicalChannel"/> sets the channel bits where a modem needs them.
/// </summary>
public static class CommandApdu
{
    /// <summary>INS SELECT.</summary>
    public const byte InsSelect = 0xA4;

    /// <summary>INS READ BINARY.</summary>
    public const byte InsReadBinary = 0xB0;

    /// <summary>INS READ RECORD.</summary>
    public const byte InsReadRecord = 0xB2;

    /// <summary>INS GET RESPONSE.</summary>
    public const byte InsGetResponse = 0xC0;

    /// <summary>INS AUTHENTICATE.</summary>
    public const byte InsAuthenticate = 0x88;

    /// <summary>Shortest and longest AID (ISO/IEC 7816-5: RID 5 bytes + PIX up to 11).</summary>
    public const int MinAidLength = 5;

    /// <summary>Longest AID.</summary>
    public const int MaxAidLength = 16;

    /// <summary>SELECT by DF name (AID), P1 = 04: <c>00 A4 04 P2 Lc AID [00]</c>.</summary>
    public static byte[] SelectByAid(ReadOnlySpan<byte> aid, SelectResponse response = SelectResponse.ReturnFcp)
    {
        if (aid.Length is < 1 or > MaxAidLength)
        {
            throw new ArgumentException($"AID must be 1 to {MaxAidLength} bytes, got {aid.Length}", nameof(aid));
        }

        return Select(0x04, aid, response);
    }

    /// <summary>SELECT by file identifier, P1 = 00: <c>00 A4 00 P2 02 FID [00]</c>.</summary>
    public static byte[] SelectByFileId(ushort fileId, SelectResponse response = SelectResponse.ReturnFcp)
    {
        ReadOnlySpan<byte> fid = [(byte)(fileId >> 8), (byte)fileId];
        return Select(0x00, fid, response);
    }

    /// <summary>
    /// SELECT by path from the MF, P1 = 08: <c>00 A4 08 P2 Lc path [00]</c>; the path leaves out 3F00
    /// (ETSI TS 102 221 §8.4.2). EF_DIR is <c>2F00</c>.
    /// </summary>
    public static byte[] SelectByPathFromMf(ReadOnlySpan<byte> path, SelectResponse response = SelectResponse.ReturnFcp)
    {
        if (path.Length == 0 || path.Length % 2 != 0 || path.Length > 16)
        {
            throw new ArgumentException($"a path is 1 to 8 file identifiers, got {path.Length} bytes", nameof(path));
        }

        return Select(0x08, path, response);
    }

    /// <summary>READ BINARY: <c>00 B0 offset(15 bits) Le</c>; Le 1..256 (256 is coded 00).</summary>
    public static byte[] ReadBinary(int offset, int le)
    {
        if ((uint)offset > 0x7FFF)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, "READ BINARY offset is 0 to 32767 (P1 b8 = 0)");
        }

        return [0x00, InsReadBinary, (byte)(offset >> 8), (byte)offset, EncodeLe(le)];
    }

    /// <summary>READ RECORD, absolute mode (P2 = 04): <c>00 B2 record 04 Le</c>; record 1..254.</summary>
    public static byte[] ReadRecord(int recordNumber, int le)
    {
        if (recordNumber is < 1 or > 254)
        {
            throw new ArgumentOutOfRangeException(nameof(recordNumber), recordNumber, "record number is 1 to 254");
        }

        return [0x00, InsReadRecord, (byte)recordNumber, 0x04, EncodeLe(le)];
    }

    /// <summary>GET RESPONSE: <c>00 C0 00 00 Le</c>.</summary>
    public static byte[] GetResponse(int le) => [0x00, InsGetResponse, 0x00, 0x00, EncodeLe(le)];

    /// <summary>
    /// AUTHENTICATE in the IMS AKA security context (TS 31.103 §7.1.2.1, P2 = 81):
    /// <c>00 88 00 81 22 10 RAND 10 AUTN 00</c>.
    /// </summary>
    public static byte[] AuthenticateImsAka(ReadOnlySpan<byte> rand, ReadOnlySpan<byte> autn)
    {
        if (rand.Length != Milenage.BlockLength)
        {
            throw new ArgumentException($"RAND must be 16 bytes, got {rand.Length}", nameof(rand));
        }

        if (autn.Length != Milenage.BlockLength)
        {
            throw new ArgumentException($"AUTN must be 16 bytes, got {autn.Length}", nameof(autn));
        }

        var apdu = new byte[5 + 34 + 1];
        apdu[0] = 0x00;
        apdu[1] = InsAuthenticate;
        apdu[2] = 0x00;
        apdu[3] = 0x81;
        apdu[4] = 0x22;
        apdu[5] = 0x10;
        rand.CopyTo(apdu.AsSpan(6));
        apdu[22] = 0x10;
        autn.CopyTo(apdu.AsSpan(23));
        apdu[39] = 0x00;
        return apdu;
    }

    /// <summary>
    /// The same command with Le replaced or appended (the 6Cxx answer, ISO/IEC 7816-3 §12.2.2), keeping the
    /// header and any command data. Le 1..256.
    /// </summary>
    public static byte[] WithLe(ReadOnlySpan<byte> command, int le)
    {
        var encoded = EncodeLe(le);
        switch (CaseOf(command))
        {
            case 1:
            case 3:
                var appended = new byte[command.Length + 1];
                command.CopyTo(appended);
                appended[^1] = encoded;
                return appended;
            default:
                var replaced = command.ToArray();
                replaced[^1] = encoded;
                return replaced;
        }
    }

    // ISO/IEC 7816-3 §12.1.3 short APDU cases: 1 (header), 2 (header Le), 3 (header Lc data), 4 (header Lc data Le).
    private static int CaseOf(ReadOnlySpan<byte> command)
    {
        if (command.Length == 4)
        {
            return 1;
        }

        if (command.Length == 5)
        {
            return 2;
        }

        if (command.Length > 5)
        {
            var lc = command[4];
            if (lc != 0 && command.Length == 5 + lc)
            {
                return 3;
            }

            if (lc != 0 && command.Length == 6 + lc)
            {
                return 4;
            }
        }

        throw new ArgumentException($"not a short command APDU ({command.Length} bytes)", nameof(command));
    }

    private static byte[] Select(byte p1, ReadOnlySpan<byte> data, SelectResponse response)
    {
        // P2 = 0C returns no data: case 3, no Le. P2 = 04 returns the FCP: case 4, Le = 00.
        var withLe = response == SelectResponse.ReturnFcp;
        var apdu = new byte[5 + data.Length + (withLe ? 1 : 0)];
        apdu[0] = 0x00;
        apdu[1] = InsSelect;
        apdu[2] = p1;
        apdu[3] = (byte)response;
        apdu[4] = (byte)data.Length;
        data.CopyTo(apdu.AsSpan(5));
        return apdu;
    }

    private static byte EncodeLe(int le)
    {
        if (le is < 1 or > 256)
        {
            throw new ArgumentOutOfRangeException(nameof(le), le, "Le is 1 to 256 (256 is coded 00)");
        }

        return (byte)(le == 256 ? 0 : le);
    }
}
