// SPDX-License-Identifier: MIT
using System.Reflection;
using ImUeAgent.Configuration;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Tests.Configuration;

public sealed class ConfigLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("imue-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string json, string name = "agent.json")
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, json);
        return path;
    }

    private static string Fails(string path) => Assert.Throws<ConfigException>(() => ConfigLoader.Load(path)).Message;

    [Fact]
    public void Loads_a_commented_file_with_trailing_commas()
    {
        var path = Write("""
            {
              // where the store lives
              "Daemon": {
                "StateDirectory": "/var/lib/x", /* block comment */
                "LogLevel": "Debug",
                "ShutdownTimeoutSeconds": 3,
              },
            }
            """);
        var config = ConfigLoader.Load(path);
        Assert.Equal("/var/lib/x", config.Daemon.StateDirectory);
        Assert.Equal(LogLevel.Debug, config.Daemon.LogLevel);
        Assert.Equal(3, config.Daemon.ShutdownTimeoutSeconds);
    }

    [Fact]
    public void Keys_are_case_insensitive_and_defaults_fill_the_rest()
    {
        var config = ConfigLoader.Load(Write("""{ "daemon": { "loglevel": "warning" } }"""));
        Assert.Equal(LogLevel.Warning, config.Daemon.LogLevel);
        Assert.Equal(4, config.Daemon.ShutdownTimeoutSeconds);
        Assert.Equal("/var/lib/imue-agent", config.Daemon.StateDirectory);
    }

    [Fact]
    public void Missing_file_is_named()
    {
        var path = Path.Combine(_dir, "absent.json");
        Assert.Equal($"{path}: configuration file not found", Fails(path));
    }

    [Fact]
    public void Directory_instead_of_file_is_reported()
    {
        var message = Fails(_dir);
        Assert.StartsWith($"{_dir}: configuration file", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unreadable_file_is_reported()
    {
        Assert.SkipWhen(Environment.UserName == "root", "root can read a file of mode 000");
        var unreadable = Write("{}");
        File.SetUnixFileMode(unreadable, UnixFileMode.None);
        Assert.Equal($"{unreadable}: configuration file cannot be read: permission denied", Fails(unreadable));
    }

    [Theory]
    [InlineData("{\n \"Daemon\": {\n  \"LogLevel\": 1, ", ":3:18: malformed JSON: Expected start of a property name or value, but instead reached end of data.")]
    [InlineData("{\n \"Daemon\": { \"LogLevel\" \"x\" } }", ":2:25: malformed JSON: '\"' is invalid after a property name. Expected a ':'.")]
    [InlineData("", ": configuration file is empty; it must hold a JSON object")]
    [InlineData("[1]", ":1: the top level must be a JSON object")]
    [InlineData("{} {}", ":1:4: malformed JSON: '{' is invalid after a single JSON value. Expected end of data.")]
    public void Malformed_json_names_line_and_column(string json, string expectedSuffix)
    {
        var path = Write(json);
        Assert.Equal(path + expectedSuffix, Fails(path));
    }

    [Fact]
    public void Unknown_key_names_key_line_and_the_known_keys()
    {
        var path = Write("{\n \"Daemon\": {\n  \"LogLevl\": \"Debug\" }}");
        Assert.Equal(
            $"{path}:3: Daemon.LogLevl: unknown key; known keys in Daemon: StateDirectory, LogLevel, ShutdownTimeoutSeconds",
            Fails(path));
    }

    [Fact]
    public void Unknown_section_at_top_level()
    {
        var path = Write("{ \"Deamon\": {} }");
        Assert.Equal($"{path}:1: Deamon: unknown key; known keys at the top level: Daemon, Api, Modem, Ims, Im", Fails(path));
    }

    [Fact]
    public void Duplicate_key_is_rejected()
    {
        var path = Write("{ \"Daemon\": {\n \"LogLevel\": \"Debug\",\n \"loglevel\": \"Trace\" } }");
        Assert.Equal($"{path}:3: Daemon.loglevel: key appears twice", Fails(path));
    }

    [Theory]
    [InlineData("\"ShutdownTimeoutSeconds\": \"soon\"", "Daemon.ShutdownTimeoutSeconds: 'soon' is not a whole number")]
    [InlineData("\"ShutdownTimeoutSeconds\": 2.5", "Daemon.ShutdownTimeoutSeconds: '2.5' is not a whole number")]
    [InlineData("\"LogLevel\": \"Loud\"", "Daemon.LogLevel: 'Loud' is not one of Trace, Debug, Information, Warning, Error, Critical, None")]
    [InlineData("\"StateDirectory\": { \"a\": 1 }", "Daemon.StateDirectory: must be a value, not an object or array")]
    public void Wrong_type_names_key_value_and_expectation(string member, string expected)
    {
        var path = Write($"{{ \"Daemon\": {{\n {member} }} }}");
        Assert.Equal($"{path}:2: {expected}", Fails(path));
    }

    [Fact]
    public void Section_given_as_scalar_is_rejected()
    {
        var path = Write("{ \"Daemon\": 5 }");
        Assert.Equal($"{path}:1: Daemon: must be an object {{ ... }}", Fails(path));
    }

    [Theory]
    [InlineData("\"ShutdownTimeoutSeconds\": 0", "Daemon.ShutdownTimeoutSeconds: must be between 1 and 30 (got '0')")]
    [InlineData("\"ShutdownTimeoutSeconds\": 31", "Daemon.ShutdownTimeoutSeconds: must be between 1 and 30 (got '31')")]
    [InlineData("\"StateDirectory\": \"\"", "Daemon.StateDirectory: is required (got '')")]
    public void Out_of_range_value_names_key_and_bounds(string member, string expected)
    {
        var path = Write($"{{ \"Daemon\": {{\n {member} }} }}");
        Assert.Equal($"{path}:2: {expected}", Fails(path));
    }

    [Theory]
    [InlineData("\"SimPin\": \"12\"", "Modem.SimPin: must be 4 to 8 digits or empty (got '12')")]
    [InlineData("\"PdnType\": \"IPv5\"", "Modem.PdnType: must be one of IPv4v6, IPv4, IPv6 (got 'IPv5')")]
    [InlineData("\"Profile\": \"Quectel EG25\"", "Modem.Profile: must be a profile folder name (a-z, 0-9, '-') or empty (got 'Quectel EG25')")]
    [InlineData("\"ImsApn\": \"ims,x\"", "Modem.ImsApn: must be 1 to 100 printable characters without quotes or commas (got 'ims,x')")]
    [InlineData("\"ImsPdnCid\": 0", "Modem.ImsPdnCid: must be between 1 and 24 (got '0')")]
    [InlineData("\"MncLength\": 4", "Modem.MncLength: must be between 2 and 3 (got '4')")]
    [InlineData("\"DisableModuleImsClient\": \"perhaps\"", "Modem.DisableModuleImsClient: 'perhaps' is not true or false")]
    public void Modem_section_values_are_checked(string member, string expected)
    {
        var path = Write($"{{ \"Modem\": {{\n {member} }} }}");
        Assert.Equal($"{path}:2: {expected}", Fails(path));
    }

    [Fact]
    public void Modem_section_reads_lists_and_defaults()
    {
        var config = ConfigLoader.Load(Write("""{ "Modem": { "Port": "/dev/imue-at", "PcscfAddresses": ["10.0.0.1", "fd00::1"] } }"""));
        Assert.Equal("/dev/imue-at", config.Modem.Port);
        Assert.Equal(["10.0.0.1", "fd00::1"], config.Modem.PcscfAddresses);
        Assert.Equal("ims", config.Modem.ImsApn);
        Assert.Equal(2, config.Modem.ImsPdnCid);
        Assert.True(config.Modem.DisableModuleImsClient);
    }

    [Fact]
    public void Oversized_file_is_refused_before_parsing()
    {
        var path = Write("{" + new string(' ', 1 << 20) + "}");
        Assert.EndsWith("bytes; the limit is 1048576", Fails(path), StringComparison.Ordinal);
    }

    [Fact]
    public void Schema_lists_exactly_the_bindable_properties()
    {
        // The schema is hand-written (the binder generator exposes no key list); this keeps it honest.
        AssertSchemaMatches(typeof(AgentConfig), AgentConfigSchema.Root, "");
    }

    private static void AssertSchemaMatches(Type type, ConfigSchema schema, string path)
    {
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite).ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        Assert.Equal(properties.Keys.Order(StringComparer.Ordinal), schema.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, property) in properties)
        {
            Assert.True(schema.TryGetChild(name, out var child));
            var isMap = property.PropertyType.IsGenericType && property.PropertyType.GetGenericTypeDefinition() == typeof(Dictionary<,>);
            Assert.True(isMap == child.IsMap, $"{path}{name}: schema says map={child.IsMap}");
            if (isMap)
            {
                continue;
            }

            var isSection = property.PropertyType.IsClass && property.PropertyType != typeof(string)
                && !property.PropertyType.IsArray;
            Assert.True(isSection == child.IsSection, $"{path}{name}: schema says section={child.IsSection}");
            if (isSection)
            {
                AssertSchemaMatches(property.PropertyType, child, $"{path}{name}.");
            }
        }
    }

    [Fact]
    public void A_digest_account_binds_as_a_nested_section()
    {
        var config = ConfigLoader.Load(Write("""
            { "Ims": { "NetworkInterface": "rmnet_data1",
                       "Digest": { "Username": "alice", "Password": "pw", "PublicIdentity": "sip:alice@example.net" } } }
            """));
        Assert.Equal("rmnet_data1", config.Ims.NetworkInterface);
        Assert.NotNull(config.Ims.Digest);
        Assert.Equal("alice", config.Ims.Digest.Username);
        Assert.Equal("sip:alice@example.net", config.Ims.Digest.PublicIdentity);
        var account = Daemon.DigestAccount.FromConfig(config.Ims, "agent.json");
        Assert.NotNull(account);
        Assert.Equal("example.net", account.Domain);
        Assert.Null(account.Credentials.Realm);
        Assert.DoesNotContain("pw", account.Credentials.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_digest_section_the_account_is_absent()
    {
        var config = ConfigLoader.Load(Write("""{ "Ims": { "Expires": 3600 } }"""));
        Assert.Null(config.Ims.Digest);
        Assert.Null(Daemon.DigestAccount.FromConfig(config.Ims, "agent.json"));
    }

    [Theory]
    [InlineData("""{ "Ims": { "Digest": { "Username": "a", "Password": "p", "PublicIdentity": "alice" } } }""", "Ims.Digest.PublicIdentity", ":1:")]
    [InlineData("""{ "Ims": { "Digest": { "Username": "a b", "Password": "p", "PublicIdentity": "sip:a@b" } } }""", "Ims.Digest.Username", ":1:")]
    [InlineData("""{ "Ims": { "Digest": { "Password": "p", "PublicIdentity": "sip:a@b" } } }""", "Ims.Digest.Username", "(not set)")]
    [InlineData("""{ "Ims": { "Digest": { "Username": "a", "PublicIdentity": "sip:a@b", "Secret": "x" } } }""", "Ims.Digest.Secret", ":1:")]
    [InlineData("""{ "Ims": { "NetworkInterface": "eth0/../x" } }""", "Ims.NetworkInterface", ":1:")]
    [InlineData("""{ "Ims": { "NetworkInterface": "an-interface-name-too-long" } }""", "Ims.NetworkInterface", ":1:")]
    public void Bad_digest_or_interface_settings_name_the_key(string json, string key, string where)
    {
        var message = Fails(Write(json));
        Assert.Contains(key, message, StringComparison.Ordinal);
        Assert.Contains(where, message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("pw", "file")]
    public void Exactly_one_of_password_and_password_file(string password, string file)
    {
        var passwordFile = file.Length == 0 ? "" : Write("pw\n", "password");
        var config = ConfigLoader.Load(Write($$"""
            { "Ims": { "Digest": { "Username": "a", "Password": "{{password}}", "PasswordFile": "{{passwordFile}}", "PublicIdentity": "sip:a@b" } } }
            """));
        var message = Assert.Throws<ConfigException>(() => Daemon.DigestAccount.FromConfig(config.Ims, "agent.json")).Message;
        Assert.Equal("agent.json: Ims.Digest: set exactly one of Password and PasswordFile", message);
    }

    [Fact]
    public void The_password_file_gives_the_first_line_and_must_be_private()
    {
        var passwordFile = Write("s3cret\nignored\n", "password");
        File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var config = ConfigLoader.Load(Write($$"""
            { "Ims": { "Digest": { "Username": "a", "PasswordFile": "{{passwordFile}}", "PublicIdentity": "sip:a@b", "Domain": "reg.b", "Realm": "b" } } }
            """));
        var account = Daemon.DigestAccount.FromConfig(config.Ims, "agent.json")!;
        Assert.Equal("s3cret", account.Credentials.Password);
        Assert.Equal("reg.b", account.Domain);
        Assert.Equal("b", account.Credentials.Realm);

        File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        var message = Assert.Throws<ConfigException>(() => Daemon.DigestAccount.FromConfig(config.Ims, "agent.json")).Message;
        Assert.StartsWith("agent.json: Ims.Digest.PasswordFile: ", message, StringComparison.Ordinal);
        Assert.Contains("group or others", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Applications_bind_as_a_map_of_ids_to_feature_tags_and_the_default_must_be_one_of_them()
    {
        var config = ConfigLoader.Load(Write("""
            { "Im": { "Applications": { "chat": [ "+g.3gpp.iari-ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.chat\"" ],
                                        "files": [ "+g.3gpp.iari-ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.ft\"" ] },
                      "DefaultApplication": "chat" } }
            """));
        Assert.Equal(["chat", "files"], config.Im.Applications.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("+g.3gpp.iari-ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.ft\"", Assert.Single(config.Im.Applications["files"]));
        var settings = Messaging.MessagingHost.CheckedClientSettings(config, "agent.json");
        Assert.Equal("chat", settings.DefaultApplicationId);
        Assert.Equal(2, settings.Applications.Count);

        config.Im.DefaultApplication = "mail";
        var message = Assert.Throws<ConfigException>(() => Messaging.MessagingHost.CheckedClientSettings(config, "agent.json")).Message;
        Assert.StartsWith("agent.json: Im.DefaultApplication: 'mail' is not one of Im.Applications", message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_application_entry_must_be_a_list_of_tags_not_an_object()
    {
        var message = Fails(Write("""{ "Im": { "Applications": { "chat": { "Tags": [] } } } }"""));
        Assert.Contains("Im.Applications.chat", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Packaged_default_config_loads()
    {
        var path = Path.Combine(RepoPaths.Root, "packaging", "agent.json");
        var config = ConfigLoader.Load(path);
        Assert.Equal("/var/lib/imue-agent", config.Daemon.StateDirectory);
    }
}
