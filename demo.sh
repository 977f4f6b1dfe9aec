#!/usr/bin/env bash
# The main job on the embedded default (README Quick start): builds imue-agent (Native AOT) and imue-testbed, starts
# them against each other on this machine and shows the agent's life from start to a clean stop.
#   ./demo.sh            run the scenario and stop
#   ./demo.sh --keep     leave the agent running until Ctrl-C
# What the scenario covers grows with the product; today: the emulated modem on a real pseudo-terminal and the
# agent's AT console and Milenage tool against it, then the daemon with a validated configuration, systemd-style
# readiness and status over its local API, and a clean SIGTERM shutdown. (The daemon driving the modem and IMS
# registration arrive with the modem and IMS issues.)
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
echo "== build imue-testbed"
dotnet publish src/ImUeAgent.Testbed/ImUeAgent.Testbed.csproj -c Release -o artifacts/publish/testbed -nologo -clp:ErrorsOnly
testbed=artifacts/publish/testbed/imue-testbed

work=$(mktemp -d /tmp/imue-demo.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

echo "== start the emulated modem (imue-testbed modem) on a new pseudo-terminal"
"$testbed" modem --transcript "$work/modem-transcript.log" > "$work/modem.out" &
pids+=($!)
timeout 30 grep -q -m1 '^ready' <(tail -F "$work/modem.out" 2>/dev/null)
pty=$(awk '/^pty /{print $2; exit}' "$work/modem.out")
echo "   modem on $pty"

echo "== a field engineer's look at it: imue-agent at --port pty:$pty ..."
"$agent" at --port "pty:$pty" ATI AT+CGSN AT+CIMI 'AT+CPIN?'

echo "== the card's AKA values for the TS 35.208 test set 1 keys the emulated ISIM holds (imue-agent milenage)"
"$agent" milenage --k 465b5ce8b199b49faa5f0a2ee238a6bc --opc cd63cb71954a9f4e48a5994e37a02baf \
  --rand 23553cbe9637a89d218ae64dae47bf35 --sqn ff9bb4d0b607 --amf b9b9

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

echo "== start the agent daemon"
"$agent" run --config "$work/agent.json" &
agent_pid=$!
pids+=($agent_pid)
echo "== ask it how it is, over its local API (imue-agent status)"
"$agent" status --socket "$work/api.sock" --wait running --timeout 20
if [ "$keep" = 1 ]; then
  echo "== agent running as pid $agent_pid; Ctrl-C to stop"
  wait "$agent_pid"
  exit 0
fi
echo "== stop it with SIGTERM (as systemctl stop does)"
kill -TERM "$agent_pid"
wait "$agent_pid" && echo "== agent stopped cleanly (exit 0)"
