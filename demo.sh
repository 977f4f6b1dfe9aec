#!/usr/bin/env bash
# The main job on the embedded default (README Quick start): builds imue-agent (Native AOT) and imue-testbed, starts
# the testbed (emulated modem on a real pseudo-terminal + software IMS core) and the agent against it, and shows the
# device going from power-on to "registered": modem bring-up, IMS PDN, ISIM read over AT+CGLA, IMS AKA, REGISTER,
# reg-event subscription; then a clean SIGTERM (de-registration).
#   ./demo.sh            run the scenario and stop
#   ./demo.sh --keep     leave everything running until Ctrl-C (try `imue-agent status --socket ...` meanwhile)
# Messaging between two devices arrives with the OMA SIMPLE IM issue.
set -euo pipefail
cd "$(dirname "$0")"

keep=0
[ "${1:-}" = "--keep" ] && keep=1

scripts/ensure-packages.sh gcc zlib1g-dev
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

echo "== build imue-agent (Native AOT, linux-x64) and imue-testbed"
dotnet publish src/ImUeAgent/ImUeAgent.csproj -r linux-x64 -c Release -o artifacts/publish/linux-x64 -nologo -clp:ErrorsOnly
dotnet publish src/ImUeAgent.Testbed/ImUeAgent.Testbed.csproj -c Release -o artifacts/publish/testbed -nologo -clp:ErrorsOnly
agent=artifacts/publish/linux-x64/imue-agent
testbed=artifacts/publish/testbed/imue-testbed
"$agent" --version

work=$(mktemp -d /tmp/imue-demo.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

echo "== start the testbed: emulated modem (pty) + IMS core (P-CSCF/S-CSCF/HSS on loopback)"
"$testbed" all --listen 127.0.0.1:0 --agent-config "$work/agent.json" --state-dir "$work" \
  --log "$work/sip.jsonl" --modem-transcript "$work/modem.log" > "$work/testbed.out" 2> "$work/testbed.err" &
pids+=($!)
timeout 30 grep -q -m1 '^ready' <(tail -F "$work/testbed.out" 2>/dev/null)
grep -E '^(sip|modem pty)' "$work/testbed.out" | sed 's/^/   /'
echo "== the agent configuration it printed ($work/agent.json):"
sed 's/^/   /' "$work/agent.json"

echo "== a configuration with a typo is refused with the file, line and key (exit 2):"
printf '{ "Daemon": {\n  "LogLevl": "Debug" } }\n' > "$work/typo.json"
"$agent" run --config "$work/typo.json" || echo "   (exit code $?)"

echo "== start the agent daemon"
"$agent" run --config "$work/agent.json" 2> "$work/agent.log" &
agent_pid=$!
pids+=($agent_pid)
echo "== wait until the device is registered (imue-agent status --wait registered)"
"$agent" status --socket "$work/api.sock" --wait registered --timeout 60

echo "== how it got there (the agent's status changes, from its log):"
grep -o 'status: .*' "$work/agent.log" | sed 's/^/   /'

echo "== what the IMS core saw (from its JSON log):"
grep -o '"direction":"[a-z]*","transport":"[a-z]*","remote":"[^"]*","startLine":"[^"]*"' "$work/sip.jsonl" \
  | sed 's/"direction":"\([a-z]*\)","transport":"\([a-z]*\)","remote":"[^"]*","startLine":"\(.*\)"/   \1 \2  \3/'

if [ "$keep" = 1 ]; then
  echo "== running; status: $agent status --socket $work/api.sock   (Ctrl-C stops everything)"
  wait "$agent_pid"
  exit 0
fi
echo "== stop the agent with SIGTERM (as systemctl stop does): it de-registers first"
kill -TERM "$agent_pid"
wait "$agent_pid" && echo "== agent stopped cleanly (exit 0); its last words to the core:"
grep '"direction":"in"' "$work/sip.jsonl" | grep -o '"startLine":"REGISTER[^"]*".*"Expires","[0-9]*"' \
  | sed 's/.*"startLine":"\([^"]*\)".*"Expires","\([0-9]*\)"/   \1 (Expires: \2)/' | tail -n 1
