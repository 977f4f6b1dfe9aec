// SPDX-License-Identifier: MIT
using System.Text.Json;
using ImUeAgent.Configuration;
using ImUeAgent.Im.Settings;

namespace ImUeAgent.Messaging;

/// <summary>
/// The user's IM service settings (5.2.4): the configuration gives the defaults, a change made through the API is
/// written to StateDirectory/im-settings.json (atomically: temporary file, fsync, rename) and wins from then on, so a
/// restart publishes what the user chose last. The file is read by hand (seven booleans): no reflection.
/// </summary>
internal sealed class ImSettingsStore(string stateDirectory, ImSettingsSection defaults)
{
    public const string FileName = "im-settings.json";

    private static readonly string[] Names =
    [
        nameof(ImSettings.IncomingSessionBarring), nameof(ImSettings.IncomingPagerLargeModeBarring), nameof(ImSettings.Invisibility),
        nameof(ImSettings.OfflineDelivery), nameof(ImSettings.SessionModeHistory), nameof(ImSettings.PagerLargeModeHistory),
        nameof(ImSettings.IncomingFileTransferBarring),
    ];

    private string PathName => Path.Combine(stateDirectory, FileName);

    /// <summary>The setting names the API and the file use (camelCase).</summary>
    public static IEnumerable<string> Keys => Names.Select(Camel);

    /// <summary>The saved settings, or the configured defaults when none were saved (or the file is unreadable:
    /// <paramref name="problem"/> says why, and the defaults apply).</summary>
    public ImSettings Load(out string? problem)
    {
        problem = null;
        var settings = FromConfig(defaults);
        if (!File.Exists(PathName))
        {
            return settings;
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(PathName));
            return Apply(settings, document.RootElement, out problem) ?? settings;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            problem = $"{PathName}: {ex.Message}; using the configured settings";
            return settings;
        }
    }

    public void Save(ImSettings settings)
    {
        var temporary = PathName + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough))
        {
            using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            {
                Write(writer, settings);
            }

            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, PathName, overwrite: true);
    }

    /// <summary><paramref name="changes"/> (a JSON object of some of the seven booleans) applied to
    /// <paramref name="current"/>; null with the problem when a key is unknown or not a boolean.</summary>
    public static ImSettings? Apply(ImSettings current, JsonElement changes, out string? problem)
    {
        problem = null;
        if (changes.ValueKind != JsonValueKind.Object)
        {
            problem = "settings must be a JSON object";
            return null;
        }

        var result = current;
        foreach (var property in changes.EnumerateObject())
        {
            if (property.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                problem = $"{property.Name} must be true or false";
                return null;
            }

            var on = property.Value.GetBoolean();
            ImSettings? next = property.Name.ToUpperInvariant() switch
            {
                "INCOMINGSESSIONBARRING" => result with { IncomingSessionBarring = on },
                "INCOMINGPAGERLARGEMODEBARRING" => result with { IncomingPagerLargeModeBarring = on },
                "INVISIBILITY" => result with { Invisibility = on },
                "OFFLINEDELIVERY" => result with { OfflineDelivery = on },
                "SESSIONMODEHISTORY" => result with { SessionModeHistory = on },
                "PAGERLARGEMODEHISTORY" => result with { PagerLargeModeHistory = on },
                "INCOMINGFILETRANSFERBARRING" => result with { IncomingFileTransferBarring = on },
                _ => null,
            };
            if (next is null)
            {
                problem = $"unknown setting '{property.Name}' (known: {string.Join(", ", Keys)})";
                return null;
            }

            result = next;
        }

        return result;
    }

    public static void Write(Utf8JsonWriter w, ImSettings s)
    {
        w.WriteStartObject();
        w.WriteBoolean(Camel(nameof(ImSettings.IncomingSessionBarring)), s.IncomingSessionBarring);
        w.WriteBoolean(Camel(nameof(ImSettings.IncomingPagerLargeModeBarring)), s.IncomingPagerLargeModeBarring);
        w.WriteBoolean(Camel(nameof(ImSettings.Invisibility)), s.Invisibility);
        w.WriteBoolean(Camel(nameof(ImSettings.OfflineDelivery)), s.OfflineDelivery);
        w.WriteBoolean(Camel(nameof(ImSettings.SessionModeHistory)), s.SessionModeHistory);
        w.WriteBoolean(Camel(nameof(ImSettings.PagerLargeModeHistory)), s.PagerLargeModeHistory);
        w.WriteBoolean(Camel(nameof(ImSettings.IncomingFileTransferBarring)), s.IncomingFileTransferBarring);
        w.WriteEndObject();
    }

    private static ImSettings FromConfig(ImSettingsSection c) => new()
    {
        IncomingSessionBarring = c.IncomingSessionBarring,
        IncomingPagerLargeModeBarring = c.IncomingPagerLargeModeBarring,
        Invisibility = c.Invisibility,
        OfflineDelivery = c.OfflineDelivery,
        SessionModeHistory = c.SessionModeHistory,
        PagerLargeModeHistory = c.PagerLargeModeHistory,
        IncomingFileTransferBarring = c.IncomingFileTransferBarring,
    };

    private static string Camel(string name) => char.ToLowerInvariant(name[0]) + name[1..];
}
