// SPDX-License-Identifier: MIT
using System.Buffers.Binary;
using System.Security.Cryptography;
using ImUeAgent.Uicc.Aka;

namespace ImUeAgent.Testbed.Modem;

/// <summary>A card response: data and status word, and whether the data is a secret (RES, CK, IK).</summary>
internal readonly record struct CardResponse(byte[] Data, ushort StatusWord, bool Sensitive = false)
{
    public static CardResponse Status(ushort sw) => new([], sw);

    /// <summary>Data followed by SW1 SW2, as +CSIM and +CGLA carry it (TS 27.007 §8.17, §8.43).</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[Data.Length + 2];
        Data.CopyTo(bytes, 0);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(Data.Length), StatusWord);
        return bytes;
    }
}

/// <summary>
/// The emulated UICC: the USIM and ISIM applications of <see cref="UiccFileSystem"/>, logical channels 0..N
/// (TS 102 221 §11.1.17 MANAGE CHANNEL), SELECT, READ BINARY, READ RECORD, GET RESPONSE, and AUTHENTICATE in the
/// IMS AKA context (TS 31.103 §7.1.2) computed with Milenage. Not thread-safe: the interpreter serialises.
/// </summary>
internal sealed class UiccCard : IDisposable
{
    private const byte InsSelect = 0xA4;
    private const byte InsReadBinary = 0xB0;
    private const byte InsReadRecord = 0xB2;
    private const byte InsGetResponse = 0xC0;
    private const byte InsAuthenticate = 0x88;
    private const byte InsManageChannel = 0x70;

    /// <summary>TS 31.103 §7.1.2: P2 of AUTHENTICATE for the IMS AKA security context (specific reference data).</summary>
    private const byte AuthenticateImsAkaContext = 0x81;

    private const byte AuthenticateSuccessTag = 0xDB;
    private const byte AuthenticateSyncFailureTag = 0xDC;

    private readonly UiccFileSystem _files;
    private readonly Milenage _milenage;
    private readonly SequenceNumberCheck _sqn;
    private readonly ModemQuirks _quirks;
    private readonly ChannelState[] _channels;

    public UiccCard(CardSettings settings, ModemQuirks quirks, int maxLogicalChannels = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLogicalChannels, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxLogicalChannels, 19);
        _files = new UiccFileSystem(settings);
        _milenage = new Milenage(settings.K, settings.Opc);
        _sqn = new SequenceNumberCheck(settings.SqnMs, settings.IndBits, settings.SqnDelta);
        _quirks = quirks;
        _channels = new ChannelState[maxLogicalChannels + 1];
        for (var i = 0; i < _channels.Length; i++)
        {
            _channels[i] = new ChannelState();
        }

        _channels[0].Open = true;
    }

    public int MaxLogicalChannels => _channels.Length - 1;

    public UiccFileSystem Files => _files;

    /// <summary>SQN_MS, for the status line of the control channel.</summary>
    public ulong SqnMs => _sqn.SqnMs;

    public int OpenChannelCount => _channels.Skip(1).Count(c => c.Open);

    /// <summary>Power cycle of the card: every logical channel closes, the basic channel returns to the MF.
    /// SQN state stays (non-volatile).</summary>
    public void Reset()
    {
        foreach (var channel in _channels)
        {
            channel.Clear();
        }

        _channels[0].Open = true;
    }

    /// <summary>
    /// +CCHO (TS 27.007 §8.45): MANAGE CHANNEL open, then SELECT the application by AID on the new channel. Returns
    /// the channel, or null with the status word that failed (6A81 none free, 6A82 no such application).
    /// </summary>
    public int? OpenChannel(ReadOnlySpan<byte> aid, out ushort statusWord)
    {
        var application = _files.FindApplication(aid);
        if (application is null)
        {
            statusWord = StatusWords.FileNotFound;
            return null;
        }

        var channel = AllocateChannel();
        if (channel is null)
        {
            statusWord = StatusWords.FunctionNotSupported;
            return null;
        }

        _channels[channel.Value].Application = application;
        statusWord = StatusWords.Ok;
        return channel;
    }

    /// <summary>+CCHC / MANAGE CHANNEL close. False when the channel is the basic one or not open.</summary>
    public bool CloseChannel(int channel)
    {
        if (channel <= 0 || channel >= _channels.Length || !_channels[channel].Open)
        {
            return false;
        }

        _channels[channel].Clear();
        return true;
    }

    public bool IsOpen(int channel) => channel >= 0 && channel < _channels.Length && _channels[channel].Open;

    /// <summary>
    /// Processes one command APDU. <paramref name="channelOverride"/> is the logical channel the MT sets in CLA for
    /// +CGLA (null for +CSIM, where CLA says it).
    /// </summary>
    public CardResponse Transmit(ReadOnlySpan<byte> bytes, int? channelOverride = null)
    {
        if (!CommandApdu.TryParse(bytes, out var apdu))
        {
            return CardResponse.Status(StatusWords.WrongLength);
        }

        var channelFromCla = ChannelFromCla(apdu.Cla);
        if (channelFromCla is null)
        {
            return CardResponse.Status(StatusWords.ClaNotSupported);
        }

        var channelNumber = channelOverride ?? channelFromCla.Value;
        if (!IsOpen(channelNumber))
        {
            return CardResponse.Status(StatusWords.LogicalChannelNotSupported);
        }

        var channel = _channels[channelNumber];
        if (apdu.Ins == InsGetResponse)
        {
            return GetResponse(channel, apdu);
        }

        channel.Pending = null;
        var response = apdu.Ins switch
        {
            InsSelect => Select(channel, apdu),
            InsReadBinary => ReadBinary(channel, apdu),
            InsReadRecord => ReadRecord(channel, apdu),
            InsAuthenticate => Authenticate(channel, apdu),
            InsManageChannel => ManageChannel(apdu),
            _ => CardResponse.Status(StatusWords.InsNotSupported),
        };

        // T=0 without automatic GET RESPONSE (ISO 7816-3 §12.2.4): a command that carried data and has data to
        // return (SELECT with FCP, AUTHENTICATE: case 4, sent as case 3 over T=0) only announces it.
        if ((_quirks & ModemQuirks.GetResponse61) != 0 && !apdu.Data.IsEmpty && response.Data.Length > 0)
        {
            channel.Pending = response;
            return CardResponse.Status((ushort)((StatusWords.MoreDataSw1 << 8) | (response.Data.Length & 0xFF)));
        }

        return response;
    }

    public void Dispose() => _milenage.Dispose();

    // ISO 7816-4 §5.4.1: first interindustry class 0x0X/0x8X (channels 0..3 in b1-b2), further interindustry class
    // 0x4X/0xCX (channels 4..19 in b1-b4).
    private static int? ChannelFromCla(byte cla) => (cla & 0xF0) switch
    {
        0x00 or 0x80 => cla & 0x03,
        0x40 or 0xC0 => 4 + (cla & 0x0F),
        _ => null,
    };

    private int? AllocateChannel()
    {
        for (var i = 1; i < _channels.Length; i++)
        {
            if (!_channels[i].Open)
            {
                _channels[i].Clear();
                _channels[i].Open = true;
                return i;
            }
        }

        return null;
    }

    // TS 102 221 §11.1.17: P1 00 open (P2 00: card assigns), P1 80 close channel P2.
    private CardResponse ManageChannel(CommandApdu apdu)
    {
        if (apdu.P1 == 0x00 && apdu.P2 == 0x00)
        {
            var channel = AllocateChannel();
            return channel is null
                ? CardResponse.Status(StatusWords.FunctionNotSupported)
                : new CardResponse([(byte)channel.Value], StatusWords.Ok);
        }

        if (apdu.P1 == 0x80)
        {
            return CloseChannel(apdu.P2)
                ? CardResponse.Status(StatusWords.Ok)
                : CardResponse.Status(StatusWords.LogicalChannelNotSupported);
        }

        return CardResponse.Status(StatusWords.IncorrectP1P2);
    }

    private static CardResponse GetResponse(ChannelState channel, CommandApdu apdu)
    {
        if (channel.Pending is not { } pending)
        {
            return CardResponse.Status(StatusWords.ConditionsNotSatisfied);
        }

        var available = pending.Data.Length;
        var le = apdu.Le ?? 0;
        if (le != 0 && le > available)
        {
            return CardResponse.Status((ushort)((StatusWords.WrongLeSw1 << 8) | available));
        }

        if (le != 0 && le < available)
        {
            var rest = new CardResponse(pending.Data[le..], pending.StatusWord, pending.Sensitive);
            channel.Pending = rest;
            return new CardResponse(pending.Data[..le], (ushort)((StatusWords.MoreDataSw1 << 8) | rest.Data.Length), pending.Sensitive);
        }

        channel.Pending = null;
        return pending;
    }

    // TS 102 221 §11.1.1: P1 00 by FID, 04 by DF name (AID), 08 by path from MF, 09 by path from the current DF;
    // P2 04 returns the FCP template, 0C returns nothing.
    private CardResponse Select(ChannelState channel, CommandApdu apdu)
    {
        var returnFcp = (apdu.P2 & 0x0C) != 0x0C;
        switch (apdu.P1)
        {
            case 0x04:
            {
                var application = _files.FindApplication(apdu.Data);
                if (application is null)
                {
                    return CardResponse.Status(StatusWords.FileNotFound);
                }

                channel.Application = application;
                channel.File = null;
                return returnFcp ? new CardResponse(AdfFcp(application), StatusWords.Ok) : CardResponse.Status(StatusWords.Ok);
            }

            case 0x00 or 0x08 or 0x09:
            {
                if (apdu.Data.Length == 0 || apdu.Data.Length % 2 != 0)
                {
                    return CardResponse.Status(StatusWords.IncorrectData);
                }

                var application = apdu.P1 == 0x08 ? null : channel.Application;
                ElementaryFile? file = null;
                var isDf = false;
                for (var offset = 0; offset < apdu.Data.Length; offset += 2)
                {
                    var fid = BinaryPrimitives.ReadUInt16BigEndian(apdu.Data[offset..]);
                    var last = offset + 2 == apdu.Data.Length;
                    if (fid == UiccFileSystem.MasterFile)
                    {
                        application = null;
                        isDf = true;
                        continue;
                    }

                    if (fid == UiccFileSystem.CurrentAdf)
                    {
                        application = channel.Application;
                        if (application is null)
                        {
                            return CardResponse.Status(StatusWords.FileNotFound);
                        }

                        isDf = true;
                        continue;
                    }

                    file = FindFile(application, fid);
                    if (file is null || !last)
                    {
                        return CardResponse.Status(StatusWords.FileNotFound);
                    }

                    isDf = false;
                }

                channel.Application = application;
                channel.File = isDf ? null : file;
                if (!returnFcp)
                {
                    return CardResponse.Status(StatusWords.Ok);
                }

                var fcp = channel.File is { } ef ? EfFcp(ef) : application is null ? MfFcp() : AdfFcp(application);
                return new CardResponse(fcp, StatusWords.Ok);
            }

            default:
                return CardResponse.Status(StatusWords.IncorrectP1P2);
        }
    }

    private ElementaryFile? FindFile(UiccApplication? application, ushort fid)
    {
        if (application is not null && application.Files.TryGetValue(fid, out var file))
        {
            return file;
        }

        // EF_DIR and EF_ICCID sit under the MF and are reachable from any application (TS 102 221 §8.4.2 allows
        // selecting a child of the MF by FID).
        return _files.MasterFiles.GetValueOrDefault(fid);
    }

    // TS 102 221 §11.1.3: P1 b8 = 0 → 15-bit offset in P1-P2.
    private CardResponse ReadBinary(ChannelState channel, CommandApdu apdu)
    {
        if (channel.File is not { } file)
        {
            return CardResponse.Status(StatusWords.NoCurrentEf);
        }

        if (file.Structure != EfStructure.Transparent)
        {
            return CardResponse.Status(StatusWords.IncompatibleFileStructure);
        }

        if ((apdu.P1 & 0x80) != 0)
        {
            return CardResponse.Status(StatusWords.IncorrectP1P2);
        }

        var offset = (apdu.P1 << 8) | apdu.P2;
        if (offset > file.Content.Length)
        {
            return CardResponse.Status(StatusWords.WrongOffset);
        }

        return ReadData(file.Content.AsSpan(offset), apdu.Le ?? 0);
    }

    // TS 102 221 §11.1.5: P1 = record number, P2 = 04 (absolute mode, current EF).
    private CardResponse ReadRecord(ChannelState channel, CommandApdu apdu)
    {
        if (channel.File is not { } file)
        {
            return CardResponse.Status(StatusWords.NoCurrentEf);
        }

        if (file.Structure != EfStructure.LinearFixed)
        {
            return CardResponse.Status(StatusWords.IncompatibleFileStructure);
        }

        if (apdu.P2 != 0x04)
        {
            return CardResponse.Status(StatusWords.IncorrectP1P2);
        }

        if (apdu.P1 == 0 || apdu.P1 > file.Records.Count)
        {
            return CardResponse.Status(StatusWords.RecordNotFound);
        }

        return ReadData(file.Records[apdu.P1 - 1], apdu.Le ?? 0);
    }

    // Le = 00 reads what there is. With the wrong-length quirk a T=0 card insists on the exact Le (6Cxx);
    // otherwise a shorter Le truncates and a longer one returns what there is with 6282.
    private CardResponse ReadData(ReadOnlySpan<byte> available, int le)
    {
        if ((_quirks & ModemQuirks.WrongLength6C) != 0 && le != (available.Length & 0xFF))
        {
            return CardResponse.Status((ushort)((StatusWords.WrongLeSw1 << 8) | (available.Length & 0xFF)));
        }

        if (le == 0 || le == available.Length)
        {
            return new CardResponse(available[..Math.Min(available.Length, 256)].ToArray(), StatusWords.Ok);
        }

        return le < available.Length
            ? new CardResponse(available[..le].ToArray(), StatusWords.Ok)
            : new CardResponse(available.ToArray(), StatusWords.EndOfFileReached);
    }

    // TS 31.103 §7.1.2.1 / TS 33.102 §6.3.3: open SQN with AK, verify MAC-A (failure 9862), check freshness
    // (failure: DC 0E AUTS), then DB 08 RES 10 CK 10 IK.
    private CardResponse Authenticate(ChannelState channel, CommandApdu apdu)
    {
        if (channel.Application is null)
        {
            return CardResponse.Status(StatusWords.ConditionsNotSatisfied);
        }

        if (apdu.P1 != 0x00 || apdu.P2 != AuthenticateImsAkaContext)
        {
            return CardResponse.Status(StatusWords.IncorrectP1P2);
        }

        var data = apdu.Data;
        if (data.Length != 34)
        {
            return CardResponse.Status(StatusWords.WrongLength);
        }

        if (data[0] != Milenage.BlockLength || data[17] != Milenage.BlockLength)
        {
            return CardResponse.Status(StatusWords.IncorrectData);
        }

        var rand = data.Slice(1, Milenage.BlockLength);
        var autn = data.Slice(18, Milenage.BlockLength);
        Span<byte> sqn = stackalloc byte[Milenage.SqnLength];
        Span<byte> xmac = stackalloc byte[Milenage.MacLength];
        _milenage.F5(rand, sqn);
        for (var i = 0; i < sqn.Length; i++)
        {
            sqn[i] ^= autn[i];
        }

        var amf = autn.Slice(Milenage.SqnLength, Milenage.AmfLength);
        _milenage.F1(rand, sqn, amf, xmac);
        if (!CryptographicOperations.FixedTimeEquals(xmac, autn.Slice(Milenage.SqnLength + Milenage.AmfLength, Milenage.MacLength)))
        {
            return CardResponse.Status(StatusWords.AuthenticationError);
        }

        if (!_sqn.TryAccept(Milenage.ReadSqn(sqn)))
        {
            var response = new byte[2 + Milenage.AutsLength];
            response[0] = AuthenticateSyncFailureTag;
            response[1] = Milenage.AutsLength;
            Span<byte> sqnMs = stackalloc byte[Milenage.SqnLength];
            Milenage.WriteSqn(_sqn.SqnMs, sqnMs);
            _milenage.ComputeAuts(rand, sqnMs, response.AsSpan(2));
            return new CardResponse(response, StatusWords.Ok, Sensitive: true);
        }

        var result = new byte[1 + 1 + Milenage.MacLength + 1 + Milenage.BlockLength + 1 + Milenage.BlockLength];
        Span<byte> ak = stackalloc byte[Milenage.SqnLength];
        var span = result.AsSpan();
        span[0] = AuthenticateSuccessTag;
        span[1] = Milenage.MacLength;
        span[2 + Milenage.MacLength] = Milenage.BlockLength;
        span[3 + Milenage.MacLength + Milenage.BlockLength] = Milenage.BlockLength;
        _milenage.F2345(rand,
            span.Slice(2, Milenage.MacLength),
            span.Slice(3 + Milenage.MacLength, Milenage.BlockLength),
            span.Slice(4 + Milenage.MacLength + Milenage.BlockLength, Milenage.BlockLength),
            ak);
        return new CardResponse(result, StatusWords.Ok, Sensitive: true);
    }

    // TS 102 221 §11.1.1.3: FCP template 62 { 82 descriptor, 83 FID, 8A life cycle, 80 size }.
    private static byte[] EfFcp(ElementaryFile file)
    {
        byte[] descriptor = file.Structure == EfStructure.Transparent
            ? [0x82, 0x02, 0x41, 0x21]
            : [0x82, 0x05, 0x42, 0x21, (byte)(file.RecordLength >> 8), (byte)file.RecordLength, (byte)file.Records.Count];
        byte[] body =
        [
            .. descriptor,
            0x83, 0x02, (byte)(file.Fid >> 8), (byte)file.Fid,
            0x8A, 0x01, 0x05,
            0x80, 0x02, (byte)(file.Size >> 8), (byte)file.Size,
        ];
        return [0x62, (byte)body.Length, .. body];
    }

    private static byte[] AdfFcp(UiccApplication application)
    {
        byte[] body = [0x82, 0x02, 0x78, 0x21, 0x84, (byte)application.Aid.Length, .. application.Aid, 0x8A, 0x01, 0x05];
        return [0x62, (byte)body.Length, .. body];
    }

    private static byte[] MfFcp()
    {
        byte[] body = [0x82, 0x02, 0x78, 0x21, 0x83, 0x02, 0x3F, 0x00, 0x8A, 0x01, 0x05];
        return [0x62, (byte)body.Length, .. body];
    }

    private sealed class ChannelState
    {
        public bool Open { get; set; }

        public UiccApplication? Application { get; set; }

        public ElementaryFile? File { get; set; }

        /// <summary>Response data held for GET RESPONSE after a 61xx.</summary>
        public CardResponse? Pending { get; set; }

        public void Clear()
        {
            Open = false;
            Application = null;
            File = null;
            Pending = null;
        }
    }
}
