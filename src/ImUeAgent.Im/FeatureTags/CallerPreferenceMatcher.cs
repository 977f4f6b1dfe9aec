// SPDX-License-Identifier: MIT
using System.Globalization;
using ImUeAgent.Sip.Message;

namespace ImUeAgent.Im.FeatureTags;

/// <summary>RFC 3841 §7.2 caller-preference matching of one feature set (a Contact's, or a local application's)
/// against the request's Reject-Contact and Accept-Contact predicates. Feature tags are compared by
/// <see cref="FeatureParameter.TagName"/>, so "+g.3gpp.app_ref" and "+g.3gpp.app%5fref" are the same tag.</summary>
public static class CallerPreferenceMatcher
{
    /// <summary>RFC 3841 §7.2.2: the feature set is rejected when it explicitly has every feature tag of a
    /// Reject-Contact predicate and matches it.</summary>
    public static bool IsRejected(IReadOnlyList<FeatureParameter> featureSet, IReadOnlyList<CallerPreferenceValue> rejectContact)
    {
        ArgumentNullException.ThrowIfNull(featureSet);
        ArgumentNullException.ThrowIfNull(rejectContact);
        foreach (CallerPreferenceValue predicate in rejectContact)
        {
            if (predicate.Features.Count == 0)
            {
                continue;
            }

            bool all = true;
            foreach (FeatureParameter term in predicate.Features)
            {
                FeatureParameter? have = Find(featureSet, term);
                if (have is null || !TermMatches(term, have))
                {
                    all = false;
                    break;
                }
            }

            if (all)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>RFC 3841 §7.2.4: the caller preference score Qa of a feature set, or null when a predicate with
    /// "require" discards it. For each Accept-Contact predicate: a term whose tag the feature set lacks is treated as
    /// matching (the set is assumed to accept any value of a feature it does not mention); a term whose tag it has
    /// must match. A predicate that does not match discards the set when it has "require", else it leaves the
    /// set's matching set. A matching predicate scores the fraction of its terms the set explicitly has; with
    /// "explicit" anything below 1 discards the set when "require" is present too, and scores 0 otherwise (explicit
    /// matches are preferred, others may still be tried). Qa is the mean score over the matching set, 0 when it is
    /// empty.</summary>
    public static double? Score(IReadOnlyList<FeatureParameter> featureSet, IReadOnlyList<CallerPreferenceValue> acceptContact)
    {
        ArgumentNullException.ThrowIfNull(featureSet);
        ArgumentNullException.ThrowIfNull(acceptContact);
        double sum = 0;
        int matching = 0;
        foreach (CallerPreferenceValue predicate in acceptContact)
        {
            if (predicate.Features.Count == 0)
            {
                continue;
            }

            bool matches = true;
            int present = 0;
            foreach (FeatureParameter term in predicate.Features)
            {
                FeatureParameter? have = Find(featureSet, term);
                if (have is null)
                {
                    continue;
                }

                present++;
                if (!TermMatches(term, have))
                {
                    matches = false;
                    break;
                }
            }

            if (!matches)
            {
                if (predicate.Require)
                {
                    return null;
                }

                continue;
            }

            double score = (double)present / predicate.Features.Count;
            if (predicate.Explicit && present < predicate.Features.Count)
            {
                if (predicate.Require)
                {
                    return null;
                }

                score = 0;
            }

            sum += score;
            matching++;
        }

        return matching == 0 ? 0 : sum / matching;
    }

    /// <summary>Whether one predicate term matches the feature set's parameter for the same tag (RFC 3840 §9 value
    /// forms): no value means TRUE; "&lt;…&gt;" string values compare case-sensitively; "#" numeric values compare
    /// by value ("#=n", "#&gt;=n", "#&lt;=n", "#a:b"); otherwise both are comma lists of tokens (case-insensitive),
    /// a "!" item negates, and any predicate item satisfied by the set's values is a match.</summary>
    public static bool TermMatches(FeatureParameter term, FeatureParameter featureSetValue)
    {
        ArgumentNullException.ThrowIfNull(term);
        ArgumentNullException.ThrowIfNull(featureSetValue);
        string want = term.Value ?? "TRUE";
        string have = featureSetValue.Value ?? "TRUE";
        if (want.StartsWith('<') || have.StartsWith('<'))
        {
            return string.Equals(want, have, StringComparison.Ordinal);
        }

        if (want.StartsWith('#'))
        {
            return TryNumber(have, out double n) && NumericMatches(want, n);
        }

        string[] haveItems = have.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        foreach (string item in want.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            bool negated = item.StartsWith('!');
            string token = negated ? item[1..] : item;
            bool contained = Array.Exists(haveItems, h => string.Equals(h, token, StringComparison.OrdinalIgnoreCase));
            if (contained != negated)
            {
                return true;
            }
        }

        return false;
    }

    private static FeatureParameter? Find(IReadOnlyList<FeatureParameter> set, FeatureParameter term)
    {
        foreach (FeatureParameter f in set)
        {
            if (f.IsSameTag(term))
            {
                return f;
            }
        }

        return null;
    }

    private static bool TryNumber(string text, out double value)
    {
        string t = text.TrimStart('#').TrimStart('=');
        return double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    private static bool NumericMatches(string want, double n)
    {
        string w = want[1..];
        if (w.StartsWith(">=", StringComparison.Ordinal))
        {
            return double.TryParse(w[2..], NumberStyles.Float, CultureInfo.InvariantCulture, out double min) && n >= min;
        }

        if (w.StartsWith("<=", StringComparison.Ordinal))
        {
            return double.TryParse(w[2..], NumberStyles.Float, CultureInfo.InvariantCulture, out double max) && n <= max;
        }

        if (w.StartsWith('='))
        {
            return double.TryParse(w[1..], NumberStyles.Float, CultureInfo.InvariantCulture, out double eq) && n.Equals(eq);
        }

        int colon = w.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0)
        {
            return double.TryParse(w[..colon], NumberStyles.Float, CultureInfo.InvariantCulture, out double lo)
                && double.TryParse(w[(colon + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out double hi)
                && n >= lo && n <= hi;
        }

        return double.TryParse(w, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && n.Equals(v);
    }
}

/// <summary>A local application registered behind this UE's contact, with the feature tags it registered.</summary>
public sealed record LocalApplication
{
    public LocalApplication(string id, IReadOnlyList<FeatureParameter> featureSet)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(featureSet);
        Id = id;
        FeatureSet = featureSet;
    }

    public string Id { get; }

    public IReadOnlyList<FeatureParameter> FeatureSet { get; }
}

public enum ApplicationSelectionOutcome : byte
{
    /// <summary>An application matched the caller preferences (highest Qa, earliest registered on a tie).</summary>
    Matched,
    /// <summary>No preference selected an application (none sent, or every score 0): the default one takes it.</summary>
    Default,
    /// <summary>Every application was rejected or discarded and there is no default.</summary>
    NoApplication,
}

public sealed record ApplicationSelection(LocalApplication? Application, ApplicationSelectionOutcome Outcome, double Score);

/// <summary>Picks the local application for an incoming request by RFC 3841 §7.2 (Reject-Contact, then
/// Accept-Contact scoring with explicit/require), the way a proxy picks contacts; the default application takes
/// requests that no preference points elsewhere, and those whose preferences discard every application (the network
/// already delivered them to this UE).</summary>
public sealed class ApplicationSelector
{
    private readonly LocalApplication[] _applications;
    private readonly LocalApplication? _default;

    public ApplicationSelector(IEnumerable<LocalApplication> applications, string? defaultApplicationId = null)
    {
        ArgumentNullException.ThrowIfNull(applications);
        _applications = [.. applications];
        if (defaultApplicationId is not null)
        {
            _default = Array.Find(_applications, a => string.Equals(a.Id, defaultApplicationId, StringComparison.Ordinal))
                ?? throw new ArgumentException("The default application is not among the applications", nameof(defaultApplicationId));
        }
    }

    public ApplicationSelection Select(SipMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Select(CallerPreferences.ReadAcceptContact(request), CallerPreferences.ReadRejectContact(request));
    }

    public ApplicationSelection Select(IReadOnlyList<CallerPreferenceValue> acceptContact, IReadOnlyList<CallerPreferenceValue> rejectContact)
    {
        ArgumentNullException.ThrowIfNull(acceptContact);
        ArgumentNullException.ThrowIfNull(rejectContact);
        LocalApplication? best = null;
        double bestScore = 0;
        foreach (LocalApplication app in _applications)
        {
            if (CallerPreferenceMatcher.IsRejected(app.FeatureSet, rejectContact))
            {
                continue;
            }

            if (CallerPreferenceMatcher.Score(app.FeatureSet, acceptContact) is { } score && score > bestScore)
            {
                best = app;
                bestScore = score;
            }
        }

        if (best is not null)
        {
            return new ApplicationSelection(best, ApplicationSelectionOutcome.Matched, bestScore);
        }

        return _default is null
            ? new ApplicationSelection(null, ApplicationSelectionOutcome.NoApplication, 0)
            : new ApplicationSelection(_default, ApplicationSelectionOutcome.Default, 0);
    }
}
