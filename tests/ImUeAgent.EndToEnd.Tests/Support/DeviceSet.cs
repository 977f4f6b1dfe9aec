// SPDX-License-Identifier: MIT
namespace ImUeAgent.EndToEnd.Tests.Support;

/// <summary>
/// `imue-testbed all` with digest accounts for the named users (password NAME-pw), the card's device (alice) and one
/// device per user; alice always started, the others when asked. Disposed devices first, then the testbed.
/// </summary>
internal sealed class DeviceSet : IAsyncDisposable
{
    private readonly Dictionary<string, Device> _users;

    private DeviceSet(TestbedAll testbed, Device alice, Dictionary<string, Device> users)
    {
        Testbed = testbed;
        Alice = alice;
        _users = users;
    }

    public TestbedAll Testbed { get; }

    public Device Alice { get; }

    public Device this[string user] => _users[user];

    public static async Task<DeviceSet> StartAsync(string[] users, string[]? options = null, bool startUsers = true)
    {
        string[] arguments = [.. users.SelectMany(u => new[] { "--digest-user", $"{u}:{u}-pw" }), .. options ?? []];
        var testbed = await TestbedAll.StartAsync("udp", arguments);
        var set = new DeviceSet(testbed, Device.Card(testbed), users.ToDictionary(u => u, u => Device.DigestUser(testbed, u, u + "-pw")));
        try
        {
            await set.Alice.StartAsync();
            if (startUsers)
            {
                foreach (var user in users)
                {
                    await set[user].StartAsync();
                }
            }
        }
        catch
        {
            await set.DisposeAsync();
            throw;
        }

        return set;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var device in _users.Values)
        {
            await device.DisposeAsync();
        }

        await Alice.DisposeAsync();
        await Testbed.DisposeAsync();
    }
}
