#!/usr/bin/env bash
# BenchmarkDotNet benchmarks of the libraries. Usage: bench/run.sh [BenchmarkDotNet args], e.g.
#   bench/run.sh --filter '*Sip*'          (all SIP parse/serialize benchmarks)
#   bench/run.sh --filter '*' --job short  (everything, quicker and rougher)
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet run -c Release --project tests/ImUeAgent.Benchmarks -- "${@:---filter *}"
