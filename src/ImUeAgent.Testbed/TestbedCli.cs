// SPDX-License-Identifier: MIT
using System.CommandLine;
using System.Reflection;

namespace ImUeAgent.Testbed;

/// <summary>
/// `imue-testbed`: the emulated modem, software IMS core and IM server that CI and device makers run the agent
/// against. Each part registers its subcommand in <see cref="Subcommands"/>.
/// </summary>
internal static class TestbedCli
{
    private const string Overview = """
        imue-testbed: the other side of imue-agent, on one machine, for CI and for device makers without hardware.

        Each part runs in the foreground until SIGTERM or Ctrl-C and logs what it sees.
        Exit codes: 0 success; 1 failure at run time; 2 usage error.
        """;

    /// <summary>Subcommands of the parts of the testbed (modem emulator, IMS core, MSRP endpoint, all together).</summary>
    private static IEnumerable<Command> Subcommands()
    {
        yield return Modem.ModemCommand.Create();
        yield return Core.CoreCommand.Create();
        yield return Msrp.MsrpCommand.Create();
        yield return All.AllCommand.Create();
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand(Overview);
        foreach (var command in Subcommands())
        {
            root.Subcommands.Add(command);
        }

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is not System.CommandLine.Help.HelpAction
            && parse.Action is not System.CommandLine.Invocation.SynchronousCommandLineAction { Terminating: true })
        {
            foreach (var error in parse.Errors)
            {
                await Console.Error.WriteLineAsync($"imue-testbed: {error.Message}").ConfigureAwait(false);
            }

            return 2;
        }

        return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }).ConfigureAwait(false);
    }

    public static string Version =>
        typeof(TestbedCli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            .Split('+')[0] ?? "0.0.0";
}
