// SPDX-License-Identifier: MIT
using System.Globalization;
using ImUeAgent.Modem.At;
using ImUeAgent.Modem.BringUp;
using ImUeAgent.Modem.Profiles;
using ImUeAgent.Uicc;
using ImUeAgent.Uicc.Apdu;
using ImUeAgent.Uicc.Isim;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImUeAgent.Modem.Uicc;

/// <summary>Why an APDU exchange through the modem failed (closed set, STYLE.md §4).</summary>
public enum AtUiccError
{
    /// <summary>The modem answered the command with ERROR or +CME ERROR.</summary>
    CommandRejected,

    /// <summary>No final result within the profile's UICC timeout (the command is never sent twice).</summary>
    TimedOut,

    /// <summary>The AT channel broke while the command was queued or in flight.</summary>
    ChannelUnavailable,

    /// <summary>The answer could not be read (<see cref="AtUiccException.ReplyError"/> says why).</summary>
    MalformedReply,

    /// <summary>A session id this channel did not open, or one already closed.</summary>
    UnknownSession,

    /// <summary>MANAGE CHANNEL or the SELECT of the application on the +CSIM path answered an error status word.</summary>
    CardRejected,
}

/// <summary>An APDU exchange through the modem failed; the message names the command, never its data.</summary>
public sealed class AtUiccException : Exception
{
    public AtUiccException()
        : this(AtUiccError.CommandRejected, "UICC access through the modem failed")
    {
    }

    public AtUiccException(string message)
        : this(AtUiccError.CommandRejected, message)
    {
    }

    public AtUiccException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public AtUiccException(AtUiccError error, string message, UiccReplyError replyError = UiccReplyError.None, ushort? statusWord = null)
        : base(message)
    {
        Error = error;
        ReplyError = replyError;
        StatusWord = statusWord;
    }

    public AtUiccError Error { get; }

    public UiccReplyError ReplyError { get; }

    public ushort? StatusWord { get; }
}

/// <summary>
/// <see cref="IUiccChannel"/> over an <see cref="AtChannel"/> (STYLE.md §11, the channel part): +CCHO / +CGLA / +CCHC
/// (27.007 §8.43-§8.46) on logical channels, +CSIM (§8.17) on the basic channel. Where the firmware has no +CGLA
/// (profile <see cref="UiccQuirks.SupportsCgla"/> false, or +CGLA answering ERROR / "+CME ERROR: operation not
/// supported") the host opens the logical channel itself with MANAGE CHANNEL over +CSIM, selects the application and
/// sets the channel in CLA (ETSI TS 102 221 §11.1.17, §10.1.1). Every APDU command uses the profile's UICC timeout and
/// is never retransmitted; AUTHENTICATE and GET RESPONSE are sensitive (RES, CK and IK come back in their answers), so
/// logs and transcripts see only their length.
/// </summary>
public sealed class AtUiccChannel : IUiccChannel
{
    private readonly AtChannel _channel;
    private readonly UiccQuirks _quirks;
    private readonly TimeSpan _timeout;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<int, Session> _sessions = [];
    private bool _cglaRefused;

    /// <param name="channel">The AT channel (owned by the caller).</param>
    /// <param name="profile">The modem's profile: <see cref="ModemProfile.Uicc"/> quirks and the UICC timeout.</param>
    /// <param name="logger">Where to log; only headers and lengths, never APDU data.</param>
    public AtUiccChannel(AtChannel channel, ModemProfile profile, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(profile);
        _channel = channel;
        _quirks = profile.Uicc;
        _timeout = TimeSpan.FromMilliseconds(profile.Timeouts.UiccMilliseconds);
        _logger = logger ?? NullLogger.Instance;
        _cglaRefused = !_quirks.SupportsCgla;
        ReadOptions = new UiccReadOptions { Select = (SelectResponse)_quirks.SelectP2 };
    }

    /// <summary>
    /// How to select and read EFs through this modem: the profile's <see cref="UiccQuirks.SelectP2"/> (04: FCP,
    /// 0C: no data, reads sized by 6C xx), for <see cref="IsimApplication.OpenAsync(IUiccChannel, UiccReadOptions, ILogger?, CancellationToken)"/>.
    /// </summary>
    public UiccReadOptions ReadOptions { get; }

    /// <summary>True once the channel uses +CSIM for logical channels (profile, or +CGLA refused).</summary>
    public bool UsesSimAccessFallback
    {
        get
        {
            lock (_gate)
            {
                return _cglaRefused;
            }
        }
    }

    /// <inheritdoc/>
    public async ValueTask<int> OpenLogicalChannelAsync(ReadOnlyMemory<byte> aid, CancellationToken cancellationToken)
    {
        if (aid.Length is < 1 or > CommandApdu.MaxAidLength)
        {
            throw new ArgumentException($"an AID is 1 to {CommandApdu.MaxAidLength} bytes, got {aid.Length}", nameof(aid));
        }

        if (UsesSimAccessFallback)
        {
            var channelNumber = await OpenWithManageChannelAsync(aid, cancellationToken).ConfigureAwait(false);
            return Register(channelNumber, new Session(SessionKind.SimAccess, channelNumber, aid.ToArray()));
        }

        var aidHex = Convert.ToHexString(aid.Span);
        var command = new AtCommand($"AT+CCHO=\"{aidHex}\"", "+CCHO")
        {
            AcceptsUnprefixedLines = _quirks.CchoReply != CchoReply.Prefixed,
            Timeout = _timeout,
            NoRetransmit = true,
        };
        var response = await SendAsync(command, cancellationToken).ConfigureAwait(false);
        RequireOk(response, "+CCHO");
        var error = UiccReplies.TryParseOpenChannel(response.Lines, _quirks.CchoReply, out var session);
        if (error != UiccReplyError.None)
        {
            throw new AtUiccException(AtUiccError.MalformedReply, $"+CCHO answer has no session id ({error})", error);
        }

        _logger.UiccChannelOpened(aidHex, session, "+CCHO");
        return Register(session, new Session(SessionKind.LogicalAccess, session, aid.ToArray()));
    }

    /// <inheritdoc/>
    public async ValueTask<ReadOnlyMemory<byte>> TransmitAsync(int session, ReadOnlyMemory<byte> commandApdu, CancellationToken cancellationToken)
    {
        CheckApdu(commandApdu);
        var state = Find(session);
        if (state.Kind == SessionKind.LogicalAccess)
        {
            var apdu = commandApdu.ToArray();
            if (_quirks.HostSetsChannelInCla)
            {
                // 27.007 §8.45: the MT sets the channel bits; this firmware wants the host to. The session id is then
                // taken as the channel number, as on the firmware that needs it.
                ClassByte.ApplyLogicalChannel(apdu, ChannelNumberOf(session));
            }

            var command = ApduCommand(UiccReplies.FormatGenericLogicalAccess(state.Handle, apdu), "+CGLA", apdu);
            var response = await SendAsync(command, cancellationToken).ConfigureAwait(false);
            if (!IsCglaRefusal(response))
            {
                return ReadApdu(response, "+CGLA", apdu);
            }

            // The firmware has no +CGLA after all: move this session to a channel the host manages over +CSIM.
            _logger.UiccCglaRefused(response.ToString());
            state = await MoveToSimAccessAsync(session, state, cancellationToken).ConfigureAwait(false);
        }

        var onChannel = commandApdu.ToArray();
        ClassByte.ApplyLogicalChannel(onChannel, state.Handle);
        return await TransmitOnBasicAsync(onChannel, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask CloseLogicalChannelAsync(int session, CancellationToken cancellationToken)
    {
        Session state;
        lock (_gate)
        {
            if (!_sessions.Remove(session, out state!))
            {
                throw new AtUiccException(AtUiccError.UnknownSession, $"session {session} is not open on this channel");
            }
        }

        if (state.Kind == SessionKind.LogicalAccess)
        {
            await CloseWithCchcAsync(state.Handle, cancellationToken).ConfigureAwait(false);
            return;
        }

        await CloseWithManageChannelAsync(state.Handle, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public ValueTask<ReadOnlyMemory<byte>> TransmitBasicAsync(ReadOnlyMemory<byte> commandApdu, CancellationToken cancellationToken)
    {
        CheckApdu(commandApdu);
        return TransmitOnBasicAsync(commandApdu.ToArray(), cancellationToken);
    }

    /// <summary>INS of commands whose answer can carry RES, CK or IK: AUTHENTICATE and the GET RESPONSE after it.</summary>
    internal static bool IsSensitive(ReadOnlySpan<byte> apdu) => apdu.Length >= 2 && apdu[1] is CommandApdu.InsAuthenticate or CommandApdu.InsGetResponse;

    /// <summary>True for a +CGLA/+CSIM command line carrying AUTHENTICATE or GET RESPONSE (raw commands from the CLI).</summary>
    internal static bool IsSensitiveCommandLine(string commandLine)
    {
        var quote = commandLine.IndexOf('"', StringComparison.Ordinal);
        if (quote < 0 || !(commandLine.StartsWith("AT+CGLA=", StringComparison.OrdinalIgnoreCase) || commandLine.StartsWith("AT+CSIM=", StringComparison.OrdinalIgnoreCase)))
        {
            return false;
        }

        var hex = commandLine.AsSpan(quote + 1);
        if (hex.Length < 4)
        {
            return false;
        }

        return byte.TryParse(hex.Slice(2, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var ins)
            && ins is CommandApdu.InsAuthenticate or CommandApdu.InsGetResponse;
    }

    private async ValueTask<ReadOnlyMemory<byte>> TransmitOnBasicAsync(byte[] apdu, CancellationToken cancellationToken)
    {
        var command = ApduCommand(UiccReplies.FormatGenericSimAccess(apdu), "+CSIM", apdu);
        var response = await SendAsync(command, cancellationToken).ConfigureAwait(false);
        return ReadApdu(response, "+CSIM", apdu);
    }

    private async ValueTask<Session> MoveToSimAccessAsync(int session, Session state, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _cglaRefused = true;
        }

        // Give the modem's handle back (+CCHC always), then open a channel the host addresses itself.
        try
        {
            await CloseWithCchcAsync(state.Handle, cancellationToken).ConfigureAwait(false);
        }
        catch (AtUiccException exception) when (exception.Error is AtUiccError.CommandRejected)
        {
            _logger.UiccCloseFailed(state.Handle, exception.Message);
        }

        var channelNumber = await OpenWithManageChannelAsync(state.Aid, cancellationToken).ConfigureAwait(false);
        var moved = new Session(SessionKind.SimAccess, channelNumber, state.Aid);
        lock (_gate)
        {
            _sessions[session] = moved;
        }

        return moved;
    }

    /// <summary>ETSI TS 102 221 §11.1.17 MANAGE CHANNEL (open, the card assigns the number), then SELECT by AID on it.</summary>
    private async ValueTask<int> OpenWithManageChannelAsync(ReadOnlyMemory<byte> aid, CancellationToken cancellationToken)
    {
        byte[] open = [0x00, 0x70, 0x00, 0x00, 0x01];
        var answer = await TransmitChainedAsync(open, cancellationToken).ConfigureAwait(false);
        if (answer.Data.Length != 1 || answer.Data.Span[0] is 0 or > ClassByte.MaxLogicalChannel)
        {
            throw new AtUiccException(AtUiccError.CardRejected, $"MANAGE CHANNEL open answered {answer.Data.Length} byte(s) without a channel number", statusWord: answer.StatusWord);
        }

        var channelNumber = answer.Data.Span[0];
        try
        {
            // SELECT by DF name; P2 from the profile (04: FCP, 0C: no data). Le is left out (102 221 §11.1.1.1 allows it empty).
            var select = new byte[5 + aid.Length];
            select[1] = CommandApdu.InsSelect;
            select[2] = 0x04;
            select[3] = (byte)_quirks.SelectP2;
            select[4] = (byte)aid.Length;
            aid.Span.CopyTo(select.AsSpan(5));
            ClassByte.ApplyLogicalChannel(select, channelNumber);
            await TransmitChainedAsync(select, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await CloseWithManageChannelAsync(channelNumber, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        _logger.UiccChannelOpened(Convert.ToHexString(aid.Span), channelNumber, "MANAGE CHANNEL");
        return channelNumber;
    }

    private async ValueTask CloseWithManageChannelAsync(int channelNumber, CancellationToken cancellationToken)
    {
        byte[] close = [0x00, 0x70, 0x80, (byte)channelNumber, 0x00];
        var raw = await TransmitOnBasicAsync(close, cancellationToken).ConfigureAwait(false);
        if (!ResponseApdu.TryParse(raw, out var response) || !response.IsSuccess)
        {
            throw new AtUiccException(AtUiccError.CardRejected, $"MANAGE CHANNEL close of channel {channelNumber} refused", statusWord: response.StatusWord);
        }

        _logger.UiccChannelClosed(channelNumber, "MANAGE CHANNEL");
    }

    private async ValueTask CloseWithCchcAsync(int session, CancellationToken cancellationToken)
    {
        var command = new AtCommand(string.Create(CultureInfo.InvariantCulture, $"AT+CCHC={session}"), "+CCHC") { Timeout = _timeout, NoRetransmit = true };
        var response = await SendAsync(command, cancellationToken).ConfigureAwait(false);
        RequireOk(response, "+CCHC");
        _logger.UiccChannelClosed(session, "+CCHC");
    }

    /// <summary>Exchanges the channel's own commands on the basic channel, completing 61xx / 6Cxx (102 221 §7.3.1.1.4).</summary>
    private async ValueTask<ResponseApdu> TransmitChainedAsync(byte[] apdu, CancellationToken cancellationToken)
    {
        var current = apdu;
        var collected = new List<byte>();
        for (var exchange = 0; exchange < 8; exchange++)
        {
            var raw = await TransmitOnBasicAsync(current, cancellationToken).ConfigureAwait(false);
            if (!ResponseApdu.TryParse(raw, out var response))
            {
                throw new AtUiccException(AtUiccError.MalformedReply, $"{Describe(apdu)}: answer without SW1 SW2", UiccReplyError.TooShort);
            }

            switch (response.Kind)
            {
                case StatusWordKind.MoreDataAvailable:
                    collected.AddRange(response.Data.Span);
                    current = CommandApdu.GetResponse(response.Sw2 == 0 ? 256 : response.Sw2);
                    current[0] = ClassByte.WithLogicalChannel(0, ClassByte.GetLogicalChannel(apdu[0]));
                    continue;
                case StatusWordKind.WrongLength:
                    current = CommandApdu.WithLe(current, response.Sw2 == 0 ? 256 : response.Sw2);
                    continue;
                default:
                    if (!response.IsSuccess)
                    {
                        throw new AtUiccException(AtUiccError.CardRejected, $"{Describe(apdu)} answered SW {StatusWords.Format(response.StatusWord)}", statusWord: response.StatusWord);
                    }

                    collected.AddRange(response.Data.Span);
                    return new ResponseApdu(collected.ToArray(), response.StatusWord);
            }
        }

        throw new AtUiccException(AtUiccError.CardRejected, $"{Describe(apdu)}: still 61xx/6Cxx after 8 exchanges");
    }

    private AtCommand ApduCommand(string text, string prefix, ReadOnlySpan<byte> apdu) => new(text, prefix)
    {
        Timeout = _timeout,
        NoRetransmit = true,
        IsSensitive = IsSensitive(apdu),
    };

    private async ValueTask<AtResponse> SendAsync(AtCommand command, CancellationToken cancellationToken)
    {
        var response = await _channel.SendAsync(command, cancellationToken).ConfigureAwait(false);
        return response.Result switch
        {
            AtResultCode.TimedOut => throw new AtUiccException(AtUiccError.TimedOut, $"{CommandName(command)} got no answer within {_timeout.TotalSeconds:0.#} s"),
            AtResultCode.ChannelUnavailable => throw new AtUiccException(AtUiccError.ChannelUnavailable, $"{CommandName(command)}: the AT channel is unavailable"),
            _ => response,
        };
    }

    private static ReadOnlyMemory<byte> ReadApdu(AtResponse response, string name, ReadOnlySpan<byte> apdu)
    {
        RequireOk(response, name, apdu);
        var error = UiccReplies.TryParseApduResponse(response.Lines, name, out var bytes);
        if (error != UiccReplyError.None)
        {
            throw new AtUiccException(AtUiccError.MalformedReply, $"{name} answer to {Describe(apdu)} unreadable ({error})", error);
        }

        return bytes;
    }

    private static void RequireOk(AtResponse response, string name, ReadOnlySpan<byte> apdu = default)
    {
        if (!response.IsOk)
        {
            var what = apdu.IsEmpty ? name : $"{name} with {Describe(apdu)}";
            throw new AtUiccException(AtUiccError.CommandRejected, $"{what} answered {AtWords.Describe(response)}");
        }
    }

    /// <summary>27.007 +CGLA missing: ERROR, or +CME ERROR: 4 (operation not supported).</summary>
    private static bool IsCglaRefusal(AtResponse response)
        => response.Result == AtResultCode.Error || (response.Result == AtResultCode.CmeError && response.ErrorCode == 4);

    private static string Describe(ReadOnlySpan<byte> apdu)
    {
        if (apdu.Length < 4)
        {
            return "APDU";
        }

        var name = apdu[1] switch
        {
            CommandApdu.InsSelect => "SELECT",
            CommandApdu.InsReadBinary => "READ BINARY",
            CommandApdu.InsReadRecord => "READ RECORD",
            CommandApdu.InsGetResponse => "GET RESPONSE",
            CommandApdu.InsAuthenticate => "AUTHENTICATE",
            0x70 => "MANAGE CHANNEL",
            var ins => $"INS {ins:X2}",
        };
        return $"{name} (CLA {apdu[0]:X2} P1 {apdu[2]:X2} P2 {apdu[3]:X2})";
    }

    private static string CommandName(AtCommand command)
    {
        var text = command.Text;
        var end = text.IndexOf('=', StringComparison.Ordinal);
        return end < 0 ? text : text[..end];
    }

    private static void CheckApdu(ReadOnlyMemory<byte> apdu)
    {
        if (apdu.Length is < 4 or > 261)
        {
            throw new ArgumentException($"a short command APDU is 4 to 261 bytes, got {apdu.Length}", nameof(apdu));
        }
    }

    private static int ChannelNumberOf(int session)
    {
        if ((uint)session > ClassByte.MaxLogicalChannel)
        {
            throw new AtUiccException(AtUiccError.UnknownSession, $"session {session} cannot be a logical channel number (profile hostSetsChannelInCla)");
        }

        return session;
    }

    private int Register(int session, Session state)
    {
        lock (_gate)
        {
            _sessions[session] = state;
        }

        return session;
    }

    private Session Find(int session)
    {
        lock (_gate)
        {
            return _sessions.TryGetValue(session, out var state)
                ? state
                : throw new AtUiccException(AtUiccError.UnknownSession, $"session {session} is not open on this channel");
        }
    }

    private enum SessionKind
    {
        /// <summary>Opened with +CCHO; APDUs go with +CGLA to the modem's handle.</summary>
        LogicalAccess,

        /// <summary>Opened with MANAGE CHANNEL over +CSIM; the handle is the channel number, set in CLA by the host.</summary>
        SimAccess,
    }

    private sealed record Session(SessionKind Kind, int Handle, byte[] Aid);
}
