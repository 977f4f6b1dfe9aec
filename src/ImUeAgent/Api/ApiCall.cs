// SPDX-License-Identifier: MIT
using System.Text.Json;

namespace ImUeAgent.Api;

/// <summary>One parsed call: method name, parameters object (possibly empty), and the varlink flags.</summary>
internal sealed class ApiCall
{
    private ApiCall(string method, JsonElement parameters, bool more, bool oneway)
    {
        Method = method;
        Parameters = parameters;
        More = more;
        Oneway = oneway;
    }

    public string Method { get; }

    public JsonElement Parameters { get; }

    public bool More { get; }

    public bool Oneway { get; }

    /// <summary>Parses one NUL-delimited message; the reason says what is wrong when it is not a call.</summary>
    public static bool TryParse(ReadOnlySpan<byte> message, out ApiCall? call, out string reason)
    {
        call = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(message.ToArray(), new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException ex)
        {
            reason = $"malformed JSON: {ex.Message}";
            return false;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                reason = "a call must be a JSON object";
                return false;
            }

            if (!root.TryGetProperty("method", out var method) || method.ValueKind != JsonValueKind.String
                || string.IsNullOrEmpty(method.GetString()))
            {
                reason = "a call needs a \"method\" string";
                return false;
            }

            var parameters = root.TryGetProperty("parameters", out var p) ? p : default;
            if (parameters.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Object or JsonValueKind.Null))
            {
                reason = "\"parameters\" must be an object";
                return false;
            }

            if (parameters.ValueKind != JsonValueKind.Object)
            {
                using var empty = JsonDocument.Parse("{}");
                parameters = empty.RootElement.Clone();
            }

            call = new ApiCall(method.GetString()!, parameters.Clone(), Flag(root, "more"), Flag(root, "oneway"));
            reason = "";
            return true;
        }
    }

    private static bool Flag(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;
}
