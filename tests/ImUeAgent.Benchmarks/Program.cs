// SPDX-License-Identifier: MIT
using BenchmarkDotNet.Running;
using ImUeAgent.Benchmarks.Startup;

// `startup ...` measures the published daemon as a process (bench/startup.sh); everything else is BenchmarkDotNet:
// pick benchmarks with --filter, e.g. --filter '*SipParse*'.
if (args.Length > 0 && args[0] == "startup")
{
    return await DaemonStartupProbe.RunAsync(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(DaemonStartupProbe).Assembly).Run(args);
return 0;
