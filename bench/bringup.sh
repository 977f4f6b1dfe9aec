#!/usr/bin/env bash
# Time from opening the AT port to "IMS PDN up, ISIM read" against `imue-testbed modem` on a real pseudo-terminal with
# no artificial delay (median of runs), read from the daemon's own log timestamps: "AT channel ... Opening" to
# "modem ready". Usage: bench/bringup.sh [--runs N]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=7
[ "${1:-}" = "--runs" ] && runs=$2
scripts/ensure-packages.sh gcc zlib1g-dev
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet publish src/ImUeAgent/ImUeAgent.csproj -r linux-x64 -c Release -o artifacts/publish/linux-x64 -nologo -clp:ErrorsOnly
dotnet publish src/ImUeAgent.Testbed/ImUeAgent.Testbed.csproj -c Release -o artifacts/publish/testbed -nologo -clp:ErrorsOnly
agent=$PWD/artifacts/publish/linux-x64/imue-agent
testbed=$PWD/artifacts/publish/testbed/imue-testbed

ms() { date -d "$1" +%s%3N; }
totals=(); probes=()
for _ in $(seq 1 "$runs"); do
  work=$(mktemp -d /tmp/imue-bench-bringup.XXXXXX)
  "$testbed" modem > "$work/modem.out" 2>/dev/null &
  modem=$!
  timeout 30 grep -q -m1 '^ready' <(tail -F "$work/modem.out" 2>/dev/null)
  pty=$(awk '/^pty /{print $2; exit}' "$work/modem.out")
  mkdir -p "$work/state"
  printf '{ "Daemon": { "StateDirectory": "%s/state" }, "Api": { "SocketPath": "%s/api.sock" }, "Modem": { "Port": "pty:%s", "ProfileDirectory": "%s/hardware/modems" }, "Ims": { "Register": false } }\n' \
    "$work" "$work" "$pty" "$PWD" > "$work/agent.json"
  "$agent" run --config "$work/agent.json" 2> "$work/agent.log" &
  ag=$!
  "$agent" status --socket "$work/api.sock" --wait modem-ready --timeout 30 > /dev/null
  kill -TERM "$ag"; wait "$ag" || true
  kill -TERM "$modem"; wait "$modem" || true
  open=$(grep -m1 'AT channel on .*: Opening' "$work/agent.log" | cut -d' ' -f1)
  probe=$(grep -m1 'modem bring-up: Probe' "$work/agent.log" | cut -d' ' -f1)
  ready=$(grep -m1 'modem ready:' "$work/agent.log" | cut -d' ' -f1)
  totals+=($(( $(ms "$ready") - $(ms "$open") )))
  probes+=($(( $(ms "$ready") - $(ms "$probe") )))
  rm -rf "$work"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
echo "port open -> IMS PDN up, ISIM read: median $(median "${totals[@]}") ms over $runs runs (all: ${totals[*]})"
echo "  of which probe -> ready (the AT round trips): median $(median "${probes[@]}") ms; the rest is the channel's initial resynchronisation (AT + quiet gap)"
