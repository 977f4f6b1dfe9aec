// SPDX-License-Identifier: MIT
namespace ImUeAgent.Configuration;

/// <summary>
/// The shape of the configuration file: which keys exist and which of them are sections. Names compare
/// case-insensitively, as Microsoft.Extensions.Configuration does.
/// </summary>
internal sealed class ConfigSchema
{
    private readonly Dictionary<string, ConfigSchema>? _children;
    private readonly ConfigSchema? _anyKey;

    private ConfigSchema(Dictionary<string, ConfigSchema>? children, ConfigSchema? anyKey = null)
    {
        _children = children;
        _anyKey = anyKey;
    }

    /// <summary>A leaf: a scalar (string, number, boolean, enum name) or an array of scalars.</summary>
    public static ConfigSchema Value { get; } = new(null);

    public bool IsSection => _children is not null || _anyKey is not null;

    /// <summary>True for a map: an object whose keys the user names (e.g. application ids), each of one shape.</summary>
    public bool IsMap => _anyKey is not null;

    /// <summary>An object with keys the user chooses, each holding <paramref name="item"/> (a value or an array of
    /// scalars); bound to a dictionary.</summary>
    public static ConfigSchema Map(ConfigSchema item) => new(null, item);

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
        if (_anyKey is not null && name.Length > 0)
        {
            child = _anyKey;
            return true;
        }

        if (_children is not null && _children.TryGetValue(name, out var found))
        {
            child = found;
            return true;
        }

        child = Value;
        return false;
    }
}
