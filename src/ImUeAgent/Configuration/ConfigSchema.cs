// SPDX-License-Identifier: MIT
namespace ImUeAgent.Configuration;

/// <summary>
/// The shape of the configuration file: which keys exist and which of them are sections. Names compare
/// case-insensitively, as Microsoft.Extensions.Configuration does.
/// </summary>
internal sealed class ConfigSchema
{
    private readonly Dictionary<string, ConfigSchema>? _children;

    private ConfigSchema(Dictionary<string, ConfigSchema>? children) => _children = children;

    /// <summary>A leaf: a scalar (string, number, boolean, enum name) or an array of scalars.</summary>
    public static ConfigSchema Value { get; } = new(null);

    public bool IsSection => _children is not null;

    public IEnumerable<string> Keys => _children?.Keys ?? Enumerable.Empty<string>();

    public static ConfigSchema Section(params (string Name, ConfigSchema Schema)[] children)
    {
        var map = new Dictionary<string, ConfigSchema>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, schema) in children)
        {
            map.Add(name, schema);
        }

        return new ConfigSchema(map);
    }

    public bool TryGetChild(string name, out ConfigSchema child)
    {
        if (_children is not null && _children.TryGetValue(name, out var found))
        {
            child = found;
            return true;
        }

        child = Value;
        return false;
    }
}
