// SPDX-License-Identifier: MIT
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace ImUeAgent.Configuration;

/// <summary>A configuration file that cannot be used; <see cref="Exception.Message"/> names file, line, key and fault.</summary>
internal sealed class ConfigException(string message) : Exception(message);

/// <summary>
/// Reads agent.json: one pass over the bytes with <see cref="Utf8JsonReader"/> (comments and trailing commas
/// allowed, duplicates and unknown keys rejected with their line), then binding through the source generator and
/// range checks through the generated options validator. Every failure is one <see cref="ConfigException"/>.
/// </summary>
internal static class ConfigLoader
{
    /// <summary>Config files are small; anything larger is a mistake (a log file passed by accident).</summary>
    private const int MaxFileBytes = 1 << 20;

    public static AgentConfig Load(string path)
    {
        var bytes = ReadFile(path);
        var (values, lines) = Flatten(path, bytes, AgentConfigSchema.Root);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();

        AgentConfig config;
        try
        {
            config = configuration.Get<AgentConfig>(o => o.ErrorOnUnknownConfiguration = true) ?? new AgentConfig();
        }
        catch (InvalidOperationException ex)
        {
            throw new ConfigException(DescribeBindingFailure(path, ex, values, lines));
        }

        var result = new AgentConfigValidator().Validate(null, config);
        if (result.Failed)
        {
            throw new ConfigException(DescribeValidationFailure(path, result.Failures, values, lines));
        }

        return config;
    }

    private static byte[] ReadFile(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (stream.Length > MaxFileBytes)
            {
                throw new ConfigException($"{path}: configuration file is {stream.Length} bytes; the limit is {MaxFileBytes}");
            }

            var bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
            return bytes;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ConfigException($"{path}: configuration file not found");
        }
        catch (UnauthorizedAccessException)
        {
            throw new ConfigException($"{path}: configuration file cannot be read: permission denied");
        }
        catch (IOException ex)
        {
            throw new ConfigException($"{path}: configuration file cannot be read: {ex.Message}");
        }
    }

    /// <summary>
    /// Turns the JSON tree into configuration keys ("Daemon:LogLevel") checked against the schema, remembering the
    /// line of each key for later messages.
    /// </summary>
    internal static (Dictionary<string, string?> Values, Dictionary<string, int> Lines) Flatten(
        string path, ReadOnlySpan<byte> json, ConfigSchema schema)
    {
        if (json.Trim(" \t\r\n"u8).IsEmpty)
        {
            throw new ConfigException($"{path}: configuration file is empty; it must hold a JSON object");
        }

        var walker = new Walker(path, json);
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var lines = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var reader = new Utf8JsonReader(json, new JsonReaderOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            MaxDepth = 16,
        });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new ConfigException($"{path}:{walker.Line(reader.TokenStartIndex)}: the top level must be a JSON object");
            }

            walker.ReadObject(ref reader, prefix: "", schema, values, lines);
            if (reader.Read())
            {
                throw new ConfigException($"{path}:{walker.Line(reader.TokenStartIndex)}: unexpected content after the top-level object");
            }
        }
        catch (JsonException ex)
        {
            var line = (ex.LineNumber ?? 0) + 1;
            var column = (ex.BytePositionInLine ?? 0) + 1;
            throw new ConfigException($"{path}:{line}:{column}: malformed JSON: {FirstSentence(ex.Message)}");
        }

        return (values, lines);
    }

    private static string DescribeBindingFailure(
        string path, InvalidOperationException ex, Dictionary<string, string?> values, Dictionary<string, int> lines)
    {
        // The generated binder says "Failed to convert configuration value '<v>' at '<key>' to type '<T>'.".
        if (!TryBetween(ex.Message, "at '", "'", out var key, out var rest) || !TryBetween(rest, "to type '", "'", out var type, out _))
        {
            return $"{path}: {ex.Message}";
        }

        values.TryGetValue(key, out var value);
        var expected = type switch
        {
            "System.Int32" or "System.Int64" or "System.UInt16" or "System.UInt32" => "a whole number",
            "System.Boolean" => "true or false",
            "System.Double" => "a number",
            "System.TimeSpan" => "a time span such as 00:00:30",
            _ when type.EndsWith(".LogLevel", StringComparison.Ordinal) =>
                "one of Trace, Debug, Information, Warning, Error, Critical, None",
            _ => $"a value of type {type}",
        };
        return $"{Where(path, key, lines)}{DisplayKey(key)}: '{value}' is not {expected}";
    }

    private static string DescribeValidationFailure(
        string path, IEnumerable<string> failures, Dictionary<string, string?> values, Dictionary<string, int> lines)
    {
        var builder = new StringBuilder();
        foreach (var failure in failures)
        {
            // Generated validator: "<Member>: The field <Type>.<Section>.<Member> <what is wrong>." (or "The
            // <Type>.<Section>.<Member> field is required."). Reduce it to
            // the configuration key and what is wrong.
            if (builder.Length > 0)
            {
                builder.Append('\n');
            }

            if (!TrySplitValidationFailure(failure, out var display, out var problem))
            {
                builder.Append(path).Append(": ").Append(failure);
                continue;
            }

            var firstDot = display.IndexOf('.', StringComparison.Ordinal);
            var key = (firstDot < 0 ? display : display[(firstDot + 1)..]).Replace('.', ':');
            problem = problem.TrimEnd('.');
            var shown = values.TryGetValue(key, out var value) ? $" (got '{value}')" : " (not set)";
            builder.Append(Where(path, key, lines)).Append(DisplayKey(key)).Append(": ")
                .Append(problem).Append(shown);
        }

        return builder.ToString();
    }

    private static string Where(string path, string key, Dictionary<string, int> lines) =>
        lines.TryGetValue(key, out var line) ? $"{path}:{line}: " : $"{path}: ";

    internal static string DisplayKey(string key) => key.Replace(':', '.');

    private static string FirstSentence(string message)
    {
        // System.Text.Json appends "[Path: $ |] LineNumber: n | BytePositionInLine: m."; the location is already given.
        foreach (var marker in (ReadOnlySpan<string>)[" Path:", " LineNumber:"])
        {
            var cut = message.IndexOf(marker, StringComparison.Ordinal);
            if (cut >= 0)
            {
                return message[..cut];
            }
        }

        return message;
    }

    /// <summary>The text between the first <paramref name="start"/> and the next <paramref name="end"/>.</summary>
    private static bool TryBetween(string text, string start, string end, out string value, out string rest)
    {
        value = rest = "";
        var from = text.IndexOf(start, StringComparison.Ordinal);
        if (from < 0)
        {
            return false;
        }

        from += start.Length;
        var to = text.IndexOf(end, from, StringComparison.Ordinal);
        if (to <= from)
        {
            return false;
        }

        value = text[from..to];
        rest = text[(to + end.Length)..];
        return true;
    }

    /// <summary>"Member: The field Type.Section.Member problem" or "Member: The Type.Section.Member field problem".</summary>
    private static bool TrySplitValidationFailure(string failure, out string display, out string problem)
    {
        display = problem = "";
        var colon = failure.IndexOf(": The ", StringComparison.Ordinal);
        if (colon < 0)
        {
            return false;
        }

        var text = failure[(colon + ": The ".Length)..];
        if (text.StartsWith("field ", StringComparison.Ordinal))
        {
            text = text["field ".Length..];
        }

        var space = text.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0)
        {
            return false;
        }

        display = text[..space];
        problem = text[(space + 1)..];
        if (problem.StartsWith("field ", StringComparison.Ordinal))
        {
            problem = problem["field ".Length..];
        }

        return true;
    }

    private readonly ref struct Walker(string path, ReadOnlySpan<byte> json)
    {
        private readonly ReadOnlySpan<byte> _json = json;

        public int Line(long offset)
        {
            var upTo = _json[..(int)Math.Min(offset, _json.Length)];
            return upTo.Count((byte)'\n') + 1;
        }

        public void ReadObject(
            ref Utf8JsonReader reader, string prefix, ConfigSchema schema,
            Dictionary<string, string?> values, Dictionary<string, int> lines)
        {
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                var name = reader.GetString()!;
                var line = Line(reader.TokenStartIndex);
                var key = prefix.Length == 0 ? name : $"{prefix}:{name}";
                if (!seen.Add(name))
                {
                    throw new ConfigException($"{path}:{line}: {DisplayKey(key)}: key appears twice");
                }

                if (!schema.TryGetChild(name, out var child))
                {
                    var where = prefix.Length == 0 ? "at the top level" : $"in {DisplayKey(prefix)}";
                    throw new ConfigException(
                        $"{path}:{line}: {DisplayKey(key)}: unknown key; known keys {where}: {string.Join(", ", schema.Keys)}");
                }

                lines[key] = line;
                reader.Read();
                if (child.IsSection)
                {
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        throw new ConfigException($"{path}:{line}: {DisplayKey(key)}: must be an object {{ ... }}");
                    }

                    ReadObject(ref reader, key, child, values, lines);
                }
                else if (reader.TokenType == JsonTokenType.StartArray)
                {
                    var index = 0;
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        var itemKey = $"{key}:{index++}";
                        lines[itemKey] = Line(reader.TokenStartIndex);
                        values[itemKey] = Scalar(ref reader, itemKey, line);
                    }
                }
                else
                {
                    values[key] = Scalar(ref reader, key, line);
                }
            }
        }

        private string? Scalar(ref Utf8JsonReader reader, string key, int line) => reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Number => Encoding.UTF8.GetString(reader.ValueSpan),
            JsonTokenType.True => "true",
            JsonTokenType.False => "false",
            JsonTokenType.Null => null,
            _ => throw new ConfigException($"{path}:{line}: {DisplayKey(key)}: must be a value, not an object or array"),
        };
    }
}
