// SPDX-License-Identifier: MIT
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Uicc;

/// <summary>Source-generated log messages of the UICC library (STYLE.md §15). Never a key, RES, CK, IK or IMPI.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Debug, "EF_DIR lists {Application}")]
    public static partial void ApplicationListed(this ILogger logger, string application);

    [LoggerMessage(2, LogLevel.Warning, "EF_DIR record {Record} skipped: {Error}")]
    public static partial void DirectoryRecordSkipped(this ILogger logger, int record, Files.FileParseError error);

    [LoggerMessage(3, LogLevel.Information, "ISIM {Aid} opened on session {Session}")]
    public static partial void IsimOpened(this ILogger logger, string aid, int session);

    [LoggerMessage(4, LogLevel.Debug, "ISIM EF {FileId:X4} not present")]
    public static partial void OptionalFileAbsent(this ILogger logger, ushort fileId);

    [LoggerMessage(5, LogLevel.Information, "ISIM identities read: {ImpuCount} IMPU(s), {PcscfCount} P-CSCF address(es)")]
    public static partial void IsimIdentitiesRead(this ILogger logger, int impuCount, int pcscfCount);

    [LoggerMessage(6, LogLevel.Information, "ISIM session {Session} closed")]
    public static partial void IsimClosed(this ILogger logger, int session);

    [LoggerMessage(7, LogLevel.Warning, "closing ISIM session {Session} failed")]
    public static partial void IsimCloseFailed(this ILogger logger, int session, Exception exception);

    [LoggerMessage(8, LogLevel.Information, "AKA challenge answered: {Outcome}")]
    public static partial void AkaOutcome(this ILogger logger, Aka.AkaOutcome outcome);

    [LoggerMessage(9, LogLevel.Warning, "ISIM EF {FileId:X4} record {Record} skipped: {Error}")]
    public static partial void RecordSkipped(this ILogger logger, ushort fileId, int record, Files.FileParseError error);

    [LoggerMessage(10, LogLevel.Warning, "soft ISIM: MAC-A did not verify, network not authentic")]
    public static partial void SoftIsimMacFailure(this ILogger logger);

    [LoggerMessage(11, LogLevel.Warning, "soft ISIM: SQN not acceptable ({Reason}), answering with AUTS")]
    public static partial void SoftIsimSqnRejected(this ILogger logger, string reason);

    [LoggerMessage(12, LogLevel.Information, "soft ISIM loaded from {KeyFile}, SQN state in {SqnFile}")]
    public static partial void SoftIsimLoaded(this ILogger logger, string keyFile, string sqnFile);
}
