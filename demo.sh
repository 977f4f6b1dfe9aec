#!/usr/bin/env bash
# The main job on the embedded default (README Quick start): builds imue-agent (Native AOT) and imue-testbed, starts
# them against each other on this machine and shows the agent's life from start to a clean stop.
#   ./demo.sh            run the scenario and stop
#   ./demo.sh --keep     leave the agent running until Ctrl-C
# What the scenario covers grows with the product; today: the daemon with a validated configuration, systemd-style
# readiness and status, and a clean SIGTERM shutdown. (Modem emulation and IMS registration arrive with the
# modem and IMS issues.)
set -euo pipefail
cd "$(dirname "$0")"

keep=0
[ "${1:-}" = "--keep" ] && keep=1

scripts/ensure-packages.sh gcc zlib1g-dev
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

echo "== build imue-agent (Native AOT, linux-x64)"
dotnet publish src/ImUeAgent/ImUeAgent.csproj -r linux-x64 -c Release -o artifacts/publish/linux-x64 -nologo -clp:ErrorsOnly
agent=artifacts/publish/linux-x64/imue-agent
"$agent" --version

work=$(mktemp -d /tmp/imue-demo.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/state"
cat > "$work/agent.json" <<JSON
{
  "Daemon": { "StateDirectory": "$work/state", "LogLevel": "Information", "ShutdownTimeoutSeconds": 4 },
  "Api": { "SocketPath": "$work/api.sock" }
}
JSON

echo "== a configuration with a typo is refused with the file, line and key (exit 2):"
printf '{ "Daemon": {\n  "LogLevl": "Debug" } }\n' > "$work/typo.json"
"$agent" run --config "$work/typo.json" || echo "(exit code $?)"

echo "== start the agent"
"$agent" run --config "$work/agent.json" &
pids+=($!)
echo "== ask it how it is, over its local API (imue-agent status)"
"$agent" status --socket "$work/api.sock" --wait running --timeout 20
if [ "$keep" = 1 ]; then
  echo "== agent running as pid ${pids[0]}; Ctrl-C to stop"
  wait "${pids[0]}"
  exit 0
fi
echo "== stop it with SIGTERM (as systemctl stop does)"
kill -TERM "${pids[0]}"
wait "${pids[0]}" && echo "== agent stopped cleanly (exit 0)"
pids=()
