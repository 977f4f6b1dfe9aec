// SPDX-License-Identifier: MIT
using ImUeAgent.Cli;

return await AgentCli.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
