#!/usr/bin/env bash
# The main job on the embedded default (README Quick start): builds imue-agent (Native AOT) and imue-testbed, starts
# the testbed (emulated modem on a real pseudo-terminal + software IMS core with its IM server) and two devices:
#   alice  the emulated modem's device: power-on -> modem bring-up, IMS PDN, ISIM over AT+CGLA, IMS AKA, REGISTER;
#   bob    a second device (a digest account, no modem), offline at first.
# alice messages bob while he is offline (the IM server stores it), bob comes online and gets the deferred messages
# pushed over MSRP, bob answers, alice sends a large message (MSRP), and both stop with SIGTERM (de-registration).
#   ./demo.sh            run the scenario and stop
#   ./demo.sh --keep     leave everything running until Ctrl-C (try `imue-agent status --socket ...` meanwhile)
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
"$testbed" all --listen 127.0.0.1:0 --agent-config "$work/agent.json" --state-dir "$work" --digest-user bob:bob-demo-pw \
  --log "$work/sip.jsonl" --modem-transcript "$work/modem.log" > "$work/testbed.out" 2> "$work/testbed.err" &
pids+=($!)
timeout 30 grep -q -m1 '^ready' <(tail -F "$work/testbed.out" 2>/dev/null)
grep -E '^(sip|modem pty)' "$work/testbed.out" | sed 's/^/   /'
echo "== the agent configuration it printed ($work/agent.json):"
sed 's/^/   /' "$work/agent.json"

echo "== a configuration with a typo is refused with the file, line and key (exit 2):"
printf '{ "Daemon": {\n  "LogLevl": "Debug" } }\n' > "$work/typo.json"
"$agent" run --config "$work/typo.json" || echo "   (exit code $?)"

echo "== start alice's agent (the emulated modem's device)"
"$agent" run --config "$work/agent.json" 2> "$work/agent.log" &
agent_pid=$!
pids+=($agent_pid)
echo "== wait until alice is registered (imue-agent status --wait registered)"
"$agent" status --socket "$work/api.sock" --wait registered --timeout 60

echo "== how she got there (the agent's status changes, from its log):"
grep -o 'status: .*' "$work/agent.log" | sed 's/^/   /'

echo "== what the IMS core saw (from its JSON log):"
grep -o '"direction":"[a-z]*","transport":"[a-z]*","remote":"[^"]*","startLine":"[^"]*"' "$work/sip.jsonl" \
  | sed 's/"direction":"\([a-z]*\)","transport":"\([a-z]*\)","remote":"[^"]*","startLine":"\(.*\)"/   \1 \2  \3/'

alice_uri=sip:001010123456789@ims.mnc001.mcc001.3gppnetwork.org
bob_uri=sip:bob@ims.mnc001.mcc001.3gppnetwork.org
echo "== bob is offline; alice sends him two messages (stored by the IM server, imue-agent send --wait):"
"$agent" send --socket "$work/api.sock" --wait --text "Hi Bob, call me when you land" "$bob_uri" | sed 's/^/   /'
"$agent" send --socket "$work/api.sock" --wait --text "The meeting moved to 3 pm" "$bob_uri" | sed 's/^/   /'

echo "== bob's device comes online (digest account on the same core, no modem)"
mkdir -p "$work/bob"
sed -e "s#\"StateDirectory\": \"[^\"]*\"#\"StateDirectory\": \"$work/bob\"#" \
    -e "s#\"SocketPath\": \"[^\"]*\"#\"SocketPath\": \"$work/bob/api.sock\"#" \
    -e "s#\"Port\": \"[^\"]*\"#\"Port\": \"\", \"PcscfAddresses\": [ \"127.0.0.1\" ]#" \
    -e "s#\"Transport\": \"udp\"#\"Transport\": \"udp\", \"Digest\": { \"Username\": \"bob@ims.mnc001.mcc001.3gppnetwork.org\", \"PasswordFile\": \"$work/bob/password\", \"PublicIdentity\": \"$bob_uri\" }#" \
    "$work/agent.json" > "$work/bob/agent.json"
(umask 077; echo "bob-demo-pw" > "$work/bob/password")
"$agent" run --config "$work/bob/agent.json" 2> "$work/bob/agent.log" &
bob_pid=$!
pids+=($bob_pid)
"$agent" status --socket "$work/bob/api.sock" --wait registered --timeout 60 | grep -E '^(daemon|IMS)' | sed 's/^/   /'
echo "== bob's inbox: the deferred messages the IM server pushed over MSRP when he registered (imue-agent inbox --ack):"
until [ "$("$agent" inbox --socket "$work/bob/api.sock" | wc -l)" -ge 2 ]; do sleep 0.2; done
"$agent" inbox --socket "$work/bob/api.sock" --ack | sed 's/^/   /'

echo "== bob answers; alice sends a 6 KB file (above 1300 bytes: large message mode, INVITE + MSRP SEND + BYE)"
"$agent" send --socket "$work/bob/api.sock" --wait --text "Landed. Calling you in 5" "$alice_uri" | sed 's/^/   /'
head -c 6144 /dev/urandom > "$work/photo.bin"
"$agent" send --socket "$work/api.sock" --wait --file "$work/photo.bin" --content-type application/octet-stream "$bob_uri" | sed 's/^/   /'
until [ "$("$agent" inbox --socket "$work/bob/api.sock" | wc -l)" -ge 1 ]; do sleep 0.2; done
until [ "$("$agent" inbox --socket "$work/api.sock" | wc -l)" -ge 1 ]; do sleep 0.2; done
echo "   alice's inbox:"; "$agent" inbox --socket "$work/api.sock" --ack | sed 's/^/     /'
echo "   bob's inbox:";   "$agent" inbox --socket "$work/bob/api.sock" --ack | sed 's/^/     /'
echo "== the messaging the core saw (MESSAGE, INVITE/MSRP, the deferred push):"
grep -o '"direction":"[a-z]*","transport":"[a-z]*","remote":"[^"]*","startLine":"\(MESSAGE\|INVITE\|BYE\)[^"]*"' "$work/sip.jsonl" \
  | sed 's/"direction":"\([a-z]*\)".*"startLine":"\(.*\)"/   \1  \2/'

if [ "$keep" = 1 ]; then
  echo "== running; try: $agent chat --socket $work/api.sock $bob_uri   (Ctrl-C stops everything)"
  wait "$agent_pid"
  exit 0
fi
echo "== stop both agents with SIGTERM (as systemctl stop does): they de-register first"
kill -TERM "$agent_pid" "$bob_pid"
wait "$agent_pid" && wait "$bob_pid" && echo "== agents stopped cleanly (exit 0); their last words to the core:"
grep '"direction":"in"' "$work/sip.jsonl" | grep -o '"startLine":"REGISTER[^"]*".*"Expires","[0-9]*"' \
  | sed 's/.*"startLine":"\([^"]*\)".*"Expires","\([0-9]*\)"/   \1 (Expires: \2)/' | tail -n 2
