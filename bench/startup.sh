#!/usr/bin/env bash
# Process-level figures of the x64 AOT daemon: file size, exec -> READY=1 (median of runs), RSS after idling 10 s.
# Usage: bench/startup.sh [--runs N] [--idle-seconds S]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-packages.sh gcc zlib1g-dev
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet publish src/ImUeAgent/ImUeAgent.csproj -r linux-x64 -c Release -o artifacts/publish/linux-x64 -nologo -clp:ErrorsOnly
dotnet run -c Release --project tests/ImUeAgent.Benchmarks -- startup --binary artifacts/publish/linux-x64/imue-agent "$@"
