// SPDX-License-Identifier: MIT
namespace ImUeAgent.Modem.At.Urc;

/// <summary>27.007 §7.2 &lt;stat&gt; (and its +CGREG/+CEREG extensions).</summary>
public enum RegistrationStatus
{
    NotRegistered = 0,
    RegisteredHome = 1,
    Searching = 2,
    Denied = 3,
    Unknown = 4,
    RegisteredRoaming = 5,
    SmsOnlyHome = 6,
    SmsOnlyRoaming = 7,

    /// <summary>+CEREG: attached for emergency bearer services only.</summary>
    EmergencyOnly = 8,
    CsfbNotPreferredHome = 9,
    CsfbNotPreferredRoaming = 10,
}

/// <summary>27.007 §7.3 &lt;AcT&gt;.</summary>
public enum AccessTechnology
{
    Gsm = 0,
    GsmCompact = 1,
    Utran = 2,
    GsmEgprs = 3,
    UtranHsdpa = 4,
    UtranHsupa = 5,
    UtranHsdpaHsupa = 6,
    EUtran = 7,
    EcGsmIot = 8,
    EUtranNbS1 = 9,
    EUtra5Gcn = 10,
    Nr5Gcn = 11,
    NgRan = 12,
    EUtraNrDualConnectivity = 13,
}

/// <summary>
/// A +CREG (27.007 §7.2), +CGREG (§10.1.20) or +CEREG (§10.1.22) report, URC or read answer. Field layout:
/// <c>[&lt;n&gt;,]&lt;stat&gt;[,[&lt;lac|tac&gt;],[&lt;ci&gt;],[&lt;AcT&gt;]</c> (+CGREG adds <c>,[&lt;rac&gt;]</c>)
/// <c>[,&lt;cause_type&gt;,&lt;reject_cause&gt;]</c> (n=3) <c>[,[&lt;Active-Time&gt;],[&lt;Periodic-TAU|RAU&gt;]]</c> (n=4, 5).
/// </summary>
public sealed record NetworkRegistrationReport(
    string Name,
    int? Mode,
    RegistrationStatus Status,
    uint? AreaCode,
    ulong? CellId,
    AccessTechnology? AccessTechnology,
    uint? RoutingAreaCode,
    int? CauseType,
    int? RejectCause,
    string? ActiveTime,
    string? PeriodicUpdateTimer)
{
    /// <summary>Registered for service (home or roaming, SMS-only included; emergency-only is not).</summary>
    public bool IsRegistered => Status is RegistrationStatus.RegisteredHome or RegistrationStatus.RegisteredRoaming
        or RegistrationStatus.SmsOnlyHome or RegistrationStatus.SmsOnlyRoaming
        or RegistrationStatus.CsfbNotPreferredHome or RegistrationStatus.CsfbNotPreferredRoaming;

    /// <summary>Parses a report.</summary>
    /// <param name="line">The whole line, "+CEREG: 1,\"00C3\",\"0000A1B2\",7".</param>
    /// <param name="solicited">True for the read command's answer, which starts with &lt;n&gt;; false for the URC.</param>
    public static bool TryParse(string line, bool solicited, out NetworkRegistrationReport? report, out AtUrcParseError error)
    {
        ArgumentNullException.ThrowIfNull(line);
        report = null;
        var values = AtValueReader.ForLine(line, out var nameSpan);
        var name = nameSpan switch
        {
            "+CREG" => "+CREG",
            "+CGREG" => "+CGREG",
            "+CEREG" => "+CEREG",
            _ => null,
        };
        if (name is null)
        {
            error = AtUrcParseError.WrongName;
            return false;
        }

        int? mode = null;
        if (solicited)
        {
            if (!UrcFields.ReadRequiredInt(ref values, out var n, out error))
            {
                return false;
            }

            mode = n;
        }

        if (!UrcFields.ReadRequiredInt(ref values, out var stat, out error))
        {
            return false;
        }

        if (stat is < 0 or > 255)
        {
            error = AtUrcParseError.OutOfRange;
            return false;
        }

        uint? area = null;
        ulong? cell = null;
        int? act = null;
        ulong? rac = null;
        int? causeType = null;
        int? rejectCause = null;
        string? activeTime = null;
        string? periodic = null;
        var ok = UrcFields.ReadOptionalHex(ref values, 8, out var areaValue, out error)
            && UrcFields.ReadOptionalHex(ref values, 9, out cell, out error)
            && UrcFields.ReadOptionalInt(ref values, out act, out error)
            && (name != "+CGREG" || UrcFields.ReadOptionalHex(ref values, 4, out rac, out error))
            && UrcFields.ReadOptionalInt(ref values, out causeType, out error)
            && UrcFields.ReadOptionalInt(ref values, out rejectCause, out error)
            && UrcFields.ReadOptionalString(ref values, out activeTime, out error)
            && UrcFields.ReadOptionalString(ref values, out periodic, out error);
        if (!ok)
        {
            return false;
        }

        area = (uint?)areaValue;
        if (values.Error != AtValueError.None)
        {
            error = AtUrcParseError.MalformedValues;
            return false;
        }

        report = new NetworkRegistrationReport(
            name, mode, (RegistrationStatus)stat, area, cell, (AccessTechnology?)act, (uint?)rac, causeType, rejectCause, activeTime, periodic);
        error = AtUrcParseError.None;
        return true;
    }
}
