#!/usr/bin/env bash
# Pager messages per second between two published agents through `imue-testbed all` (the card's device sends, a
# digest account's device receives), over the local API as an application would: N messages are queued on the
# sender (each committed to its outbox before the answer), and the clock stops when the receiver's inbox holds all N.
# Usage: bench/messaging.sh [--messages N] [--runs R]
set -euo pipefail
cd "$(dirname "$0")/.."
messages=200
runs=3
while [ $# -gt 0 ]; do
  case "$1" in
    --messages) messages=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "messaging.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
scripts/ensure-packages.sh gcc zlib1g-dev python3
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet publish src/ImUeAgent/ImUeAgent.csproj -r linux-x64 -c Release -o artifacts/publish/linux-x64 -nologo -clp:ErrorsOnly
dotnet publish src/ImUeAgent.Testbed/ImUeAgent.Testbed.csproj -c Release -o artifacts/publish/testbed -nologo -clp:ErrorsOnly
agent=$PWD/artifacts/publish/linux-x64/imue-agent
testbed=$PWD/artifacts/publish/testbed/imue-testbed

rates=()
for run in $(seq 1 "$runs"); do
  work=$(mktemp -d /tmp/imue-bench-msg.XXXXXX)
  "$testbed" all --listen 127.0.0.1:0 --agent-config "$work/agent.json" --state-dir "$work" --log /dev/null \
    --digest-user bob:bench-pw > "$work/tb.out" 2>/dev/null &
  tb=$!
  timeout 30 grep -q -m1 '^ready' <(tail -F "$work/tb.out" 2>/dev/null)
  mkdir -p "$work/bob"
  python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
c = json.load(open(f"{work}/agent.json"))
c["Daemon"]["StateDirectory"] = f"{work}/bob"
c["Daemon"]["LogLevel"] = "Warning"
c["Api"]["SocketPath"] = f"{work}/bob/api.sock"
c["Modem"] = {"Port": "", "PcscfAddresses": ["127.0.0.1"]}
c["Ims"]["Digest"] = {"Username": "bob@ims.mnc001.mcc001.3gppnetwork.org", "Password": "bench-pw",
                      "PublicIdentity": "sip:bob@ims.mnc001.mcc001.3gppnetwork.org"}
json.dump(c, open(f"{work}/bob/agent.json", "w"))
a = json.load(open(f"{work}/agent.json"))
a["Daemon"]["LogLevel"] = "Warning"
json.dump(a, open(f"{work}/agent.json", "w"))
PY
  "$agent" run --config "$work/agent.json" 2>/dev/null &
  alice=$!
  "$agent" run --config "$work/bob/agent.json" 2>/dev/null &
  bob=$!
  "$agent" status --socket "$work/api.sock" --wait registered --timeout 60 > /dev/null
  "$agent" status --socket "$work/bob/api.sock" --wait registered --timeout 60 > /dev/null
  rate=$(python3 - "$work" "$messages" <<'PY'
import json, socket, sys, time
work, n = sys.argv[1], int(sys.argv[2])
def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(path); return s
def call(s, obj):
    s.sendall(json.dumps(obj).encode() + b"\0")
def replies(s):
    buf = b""
    while True:
        while b"\0" in buf:
            msg, buf = buf.split(b"\0", 1)
            yield json.loads(msg)
        chunk = s.recv(65536)
        if not chunk:
            return
        buf += chunk
watch = connect(f"{work}/bob/api.sock")
call(watch, {"method": "org.imue.Agent.WatchInbox", "more": True})
send = connect(f"{work}/api.sock")
start = time.monotonic()
for i in range(n):
    call(send, {"method": "org.imue.Agent.SendMessage", "parameters": {"to": ["sip:bob@ims.mnc001.mcc001.3gppnetwork.org"], "text": f"bench {i}"}})
sent = 0
for r in replies(send):
    if "error" in r: sys.exit(f"send failed: {r}")
    sent += 1
    if sent == n: break
got = 0
for r in replies(watch):
    if "error" in r: sys.exit(f"watch failed: {r}")
    got += 1
    if got == n: break
elapsed = time.monotonic() - start
print(f"{n / elapsed:.1f}")
PY
)
  rates+=("$rate")
  kill -TERM "$alice" "$bob"; wait "$alice" "$bob" || true
  kill -TERM "$tb"; wait "$tb" || true
  rm -rf "$work"
done
sorted=$(printf '%s\n' "${rates[@]}" | sort -n)
median=$(printf '%s\n' "$sorted" | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
echo "pager messages per second, device to device through the testbed: median ${median} over $runs runs of $messages (all: $(echo $sorted | tr '\n' ' '))"
