// SPDX-License-Identifier: MIT
using ImUeAgent.Modem.BringUp;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Modem;

/// <summary>
/// Log messages of bring-up, the modem service and the UICC channel (event ids 500-599). No PIN, no APDU data, no
/// IMPI: identities and keys never reach a log.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(500, LogLevel.Information, "modem bring-up: {Phase}")]
    public static partial void PhaseEntered(this ILogger logger, ModemPhase phase);

    [LoggerMessage(501, LogLevel.Information, "modem ready: profile {Profile}, IMS PDN cid {Cid}, {PcscfCount} P-CSCF address(es) ({Source})")]
    public static partial void BringUpReady(this ILogger logger, string profile, int cid, int pcscfCount, PcscfSource source);

    [LoggerMessage(502, LogLevel.Warning, "modem bring-up failed in {Phase}: {Message} ({Reason})")]
    public static partial void BringUpFailed(this ILogger logger, ModemPhase phase, string message, ModemFailureReason reason);

    [LoggerMessage(503, LogLevel.Information, "modem is {Manufacturer} {Model} {Revision}: profile {Profile}")]
    public static partial void ProfileSelected(this ILogger logger, string manufacturer, string model, string revision, string profile);

    [LoggerMessage(504, LogLevel.Warning, "{Command} answered {Answer}; going on without it")]
    public static partial void OptionalCommandFailed(this ILogger logger, string command, string answer);

    [LoggerMessage(505, LogLevel.Information, "SIM busy; asking again within {IntervalMs} ms")]
    public static partial void SimBusy(this ILogger logger, double intervalMs);

    [LoggerMessage(506, LogLevel.Information, "SIM asks for its PIN: entering the configured PIN")]
    public static partial void SimPinEntered(this ILogger logger);

    [LoggerMessage(507, LogLevel.Information, "module IMS client: {Status} (field value '{Value}')")]
    public static partial void ModuleImsClient(this ILogger logger, ModuleImsClientStatus status, string value);

    [LoggerMessage(508, LogLevel.Warning, "module IMS client is on: switching it off{Restart}")]
    public static partial void ModuleImsClientDisabling(this ILogger logger, string restart);

    [LoggerMessage(509, LogLevel.Warning, "module IMS client is on and may register beside this agent (set DisableModuleImsClient to switch it off)")]
    public static partial void ModuleImsClientLeftOn(this ILogger logger);

    [LoggerMessage(510, LogLevel.Information, "network registration: {Status}")]
    public static partial void RegistrationChanged(this ILogger logger, At.Urc.RegistrationStatus status);

    [LoggerMessage(511, LogLevel.Information, "IMS PDN cid {Cid} is already active with APN {Apn}: kept")]
    public static partial void PdnAlreadyActive(this ILogger logger, int cid, string apn);

    [LoggerMessage(512, LogLevel.Warning, "+CGCONTRDP line skipped ({Error})")]
    public static partial void ContextLineSkipped(this ILogger logger, ReplyParseError error);

    [LoggerMessage(513, LogLevel.Warning, "no usable ISIM ({Detail}): identities derived from the IMSI")]
    public static partial void IsimUnavailable(this ILogger logger, string detail);

    [LoggerMessage(514, LogLevel.Information, "modem event {Trigger}: bring-up resumes at {Phase}")]
    public static partial void RecoveryTriggered(this ILogger logger, string trigger, ModemPhase phase);

    [LoggerMessage(515, LogLevel.Information, "modem bring-up retried in {DelayMs} ms ({Failures} failure(s) in a row)")]
    public static partial void RetryScheduled(this ILogger logger, double delayMs, int failures);

    [LoggerMessage(516, LogLevel.Warning, "modem recovery: {Action} through the board's power lines")]
    public static partial void PowerAction(this ILogger logger, string action);

    [LoggerMessage(517, LogLevel.Error, "modem recovery: {Action} failed")]
    public static partial void PowerActionFailed(this ILogger logger, string action, Exception exception);

    [LoggerMessage(518, LogLevel.Information, "AT channel reopened with the settings of profile {Profile}")]
    public static partial void ChannelReplaced(this ILogger logger, string profile);

    [LoggerMessage(519, LogLevel.Error, "modem state subscriber failed")]
    public static partial void StateHandlerFailed(this ILogger logger, Exception exception);

    [LoggerMessage(520, LogLevel.Critical, "modem service supervisor failed")]
    public static partial void ServiceFailed(this ILogger logger, Exception exception);

    [LoggerMessage(521, LogLevel.Information, "module restarted (AT+CFUN=1,1): waiting up to {TimeoutMs} ms for it to come back")]
    public static partial void ModuleRestarting(this ILogger logger, double timeoutMs);

    [LoggerMessage(522, LogLevel.Warning, "modem power board {Board} cannot be opened")]
    public static partial void PowerBoardUnavailable(this ILogger logger, string board, Exception exception);

    [LoggerMessage(530, LogLevel.Debug, "UICC application {Aid} opened on session {Session} ({Via})")]
    public static partial void UiccChannelOpened(this ILogger logger, string aid, int session, string via);

    [LoggerMessage(531, LogLevel.Debug, "UICC session {Session} closed ({Via})")]
    public static partial void UiccChannelClosed(this ILogger logger, int session, string via);

    [LoggerMessage(532, LogLevel.Warning, "+CGLA refused ({Answer}): logical channels now go over +CSIM")]
    public static partial void UiccCglaRefused(this ILogger logger, string answer);

    [LoggerMessage(533, LogLevel.Warning, "UICC session {Session} could not be closed: {Detail}")]
    public static partial void UiccCloseFailed(this ILogger logger, int session, string detail);
}
