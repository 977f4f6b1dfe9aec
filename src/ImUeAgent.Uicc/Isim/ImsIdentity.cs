// SPDX-License-Identifier: MIT
namespace ImUeAgent.Uicc.Isim;

/// <summary>
/// The IMS identities of the subscriber: private identity (IMPI), public identities (IMPU, the first one is the
/// default, TS 31.103 §4.2.4) and home network domain. <see cref="ToString"/> redacts the IMPI (DESIGN.md).
/// </summary>
public sealed class ImsIdentity
{
    /// <summary>Creates the identities; at least one IMPU.</summary>
    public ImsIdentity(string impi, IReadOnlyList<string> impus, string homeDomain, bool derivedFromImsi = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(impi);
        ArgumentNullException.ThrowIfNull(impus);
        ArgumentException.ThrowIfNullOrEmpty(homeDomain);
        if (impus.Count == 0)
        {
            throw new ArgumentException("at least one IMPU is needed", nameof(impus));
        }

        Impi = impi;
        Impus = impus;
        HomeDomain = homeDomain;
        IsDerivedFromImsi = derivedFromImsi;
    }

    /// <summary>IMS private user identity (an NAI, e.g. <c>user@ims.example.net</c>).</summary>
    public string Impi { get; }

    /// <summary>IMS public user identities (SIP or tel URIs); the first is the default.</summary>
    public IReadOnlyList<string> Impus { get; }

    /// <summary>Home network domain name, the Request-URI of REGISTER (TS 24.229 §5.1.1.2).</summary>
    public string HomeDomain { get; }

    /// <summary>
    /// True when derived from the IMSI (no ISIM, TS 23.003 §13.3/§13.4B): the IMPU is a temporary public identity,
    /// barred for anything but registration.
    /// </summary>
    public bool IsDerivedFromImsi { get; }

    /// <summary>
    /// Derives the identities from an IMSI when there is no ISIM (TS 23.003 §13.2, §13.3, §13.4B): home domain
    /// <c>ims.mnc&lt;MNC&gt;.mcc&lt;MCC&gt;.3gppnetwork.org</c> with the MNC written as 3 digits (a 2-digit MNC gets a
    /// leading zero), IMPI <c>&lt;IMSI&gt;@&lt;domain&gt;</c>, temporary IMPU <c>sip:&lt;IMPI&gt;</c>.
    /// </summary>
    /// <param name="imsi">6 to 15 digits: MCC (3), MNC (2 or 3), MSIN.</param>
    /// <param name="mncLength">MNC length, 2 or 3: from EF_AD byte 4 (TS 31.102 §4.2.18) or configuration.</param>
    public static ImsIdentity FromImsi(string imsi, int mncLength = 2)
    {
        ArgumentNullException.ThrowIfNull(imsi);
        if (mncLength is not (2 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(mncLength), mncLength, "MNC length is 2 or 3 digits");
        }

        if (imsi.Length is < 6 or > 15 || !imsi.AsSpan().ContainsOnlyDigits())
        {
            throw new ArgumentException($"an IMSI is 6 to 15 decimal digits, got {imsi.Length} characters", nameof(imsi));
        }

        var mcc = imsi.AsSpan(0, 3);
        var mnc = imsi.AsSpan(3, mncLength);
        var domain = mncLength == 2
            ? $"ims.mnc0{mnc}.mcc{mcc}.3gppnetwork.org"
            : $"ims.mnc{mnc}.mcc{mcc}.3gppnetwork.org";
        var impi = $"{imsi}@{domain}";
        return new ImsIdentity(impi, [$"sip:{impi}"], domain, derivedFromImsi: true);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"IMPI redacted, {Impus.Count} IMPU(s), domain {HomeDomain}{(IsDerivedFromImsi ? " (derived from IMSI)" : string.Empty)}";
}

internal static class DigitExtensions
{
    public static bool ContainsOnlyDigits(this ReadOnlySpan<char> value) => !value.ContainsAnyExceptInRange('0', '9');
}
