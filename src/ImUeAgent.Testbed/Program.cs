// SPDX-License-Identifier: MIT
using ImUeAgent.Testbed;

return await TestbedCli.RunAsync(args).ConfigureAwait(false);
