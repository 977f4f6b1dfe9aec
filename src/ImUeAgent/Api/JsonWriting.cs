// SPDX-License-Identifier: MIT
using System.Text.Json;

namespace ImUeAgent.Api;

/// <summary>Optional members of API replies: written when there is a value, left out otherwise.</summary>
internal static class JsonWriting
{
    public static void WriteOptional(this Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    public static void WriteOptional(this Utf8JsonWriter w, string name, DateTimeOffset? value)
    {
        if (value is { } v)
        {
            w.WriteString(name, v);
        }
    }

    public static void WriteOptional(this Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
    }
}
