// SPDX-License-Identifier: MIT
using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using ImUeAgent.Daemon;
using Microsoft.Extensions.Logging;

namespace ImUeAgent.Cli;

/// <summary>
/// The command line of `imue-agent`. Every subcommand returns one of <see cref="ExitCodes"/>; a command line that
/// does not parse prints what is wrong and exits 2.
/// </summary>
internal static class AgentCli
{
    private const string Overview = """
        imue-agent: the device's IMS UE agent and OMA SIMPLE IM client.

        It owns the cellular modem's AT port, brings up the IMS PDN, authenticates with the ISIM (IMS AKA),
        registers to the operator's IMS core over SIP and sends and receives instant messages. `run` is the daemon
        that systemd starts; the other commands are tools for field engineers and scripts.

        Exit codes: 0 success; 1 failure at run time; 2 usage or configuration error (the message names the file,
        the key and what is wrong).

        Examples:
          imue-agent run --config /etc/imue-agent/agent.json
          imue-agent run --config ./agent.json --log-level Debug
          imue-agent status
          imue-agent status --wait running --timeout 30
          imue-agent at --port /dev/ttyUSB2 ATI 'AT+CEREG?'
          imue-agent at --port tcp:192.168.1.1:2000          (interactive console)
          imue-agent modem info --port /dev/ttyUSB2 --json
          imue-agent aka --port /dev/ttyUSB2 --rand RAND --autn AUTN
          imue-agent milenage --k K --opc OPC --rand RAND --sqn SQN --amf AMF
          imue-agent --version
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var root = Build(output, error);
        var parse = root.Parse(args);
        var invocation = new InvocationConfiguration
        {
            Output = output,
            Error = error,
            // The daemon handles SIGTERM/SIGINT itself through the host lifetime (clean shutdown, STOPPING=1).
            ProcessTerminationTimeout = null,
        };

        if (parse.Errors.Count > 0 && parse.Action is not HelpAction && parse.Action is not VersionAction)
        {
            foreach (var parseError in parse.Errors)
            {
                await error.WriteLineAsync($"imue-agent: {parseError.Message}").ConfigureAwait(false);
            }

            await error.WriteLineAsync("Try 'imue-agent --help' or 'imue-agent <command> --help'.").ConfigureAwait(false);
            return ExitCodes.UsageOrConfig;
        }

        return await parse.InvokeAsync(invocation).ConfigureAwait(false);
    }

    internal static RootCommand Build(TextWriter output, TextWriter error)
    {
        var root = new RootCommand(Overview);
        foreach (var option in root.Options)
        {
            if (option is VersionOption version)
            {
                version.Action = new VersionAction(output);
            }
        }

        root.Subcommands.Add(RunCommand(error));
        root.Subcommands.Add(StatusCommand.Create(output, error));
        root.Subcommands.Add(ModemCommands.CreateModem(output, error));
        root.Subcommands.Add(AtConsoleCommand.Create(output, error));
        root.Subcommands.Add(ModemCommands.CreateAka(output, error));
        root.Subcommands.Add(MilenageCommand.Create(output));
        root.Subcommands.Add(MessagingCommands.CreateSend(output, error));
        root.Subcommands.Add(MessagingCommands.CreateInbox(output, error));
        root.Subcommands.Add(MessagingCommands.CreateChat(Console.In, output, error));
        return root;
    }

    private static Command RunCommand(TextWriter error)
    {
        var config = new Option<string>("--config", "-c")
        {
            Description = "The agent's JSON configuration file (default /etc/imue-agent/agent.json).",
            DefaultValueFactory = _ => "/etc/imue-agent/agent.json",
            HelpName = "FILE",
        };
        var logLevel = new Option<LogLevel?>("--log-level")
        {
            Description = "Override Daemon.LogLevel: Trace, Debug, Information, Warning, Error, Critical or None.",
            HelpName = "LEVEL",
        };

        var command = new Command("run", """
            Run the daemon in the foreground until SIGTERM or SIGINT. Under systemd (Type=notify) it reports
            READY=1, STATUS= lines and STOPPING=1, pings the watchdog when WatchdogSec= is set, and logs in the
            journal's format; otherwise it logs one readable line per event to stderr. A bad configuration stops it
            before start with exit code 2.
            """)
        {
            config,
            logLevel,
        };
        command.SetAction((parse, _) =>
            AgentDaemon.RunAsync(parse.GetValue(config)!, parse.GetValue(logLevel), error));
        return command;
    }

    /// <summary>`--version`: the product version and the IM release token that goes into User-Agent (Appendix F).</summary>
    private sealed class VersionAction(TextWriter output) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            output.WriteLine($"{ProductInfo.ProductName} {ProductInfo.Version}");
            output.WriteLine($"IM release: {ProductInfo.ImClientReleaseToken}");
            output.WriteLine($"User-Agent: {ProductInfo.UserAgent}");
            return ExitCodes.Ok;
        }
    }
}
