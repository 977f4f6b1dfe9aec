#!/usr/bin/env bash
# Time from process start to "registered" against `imue-testbed all` (median of runs), and the daemon's idle wakeups
# per minute while registered (context switches of all its threads, from /proc, over a quiet minute).
# Usage: bench/registration.sh [--runs N] [--idle-seconds S] [--settle-seconds S]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=7
idle=60
settle=60
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --idle-seconds) idle=$2; shift 2 ;;
    --settle-seconds) settle=$2; shift 2 ;;
    *) echo "registration.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
scripts/ensure-packages.sh gcc zlib1g-dev
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet publish src/ImUeAgent/ImUeAgent.csproj -r linux-x64 -c Release -o artifacts/publish/linux-x64 -nologo -clp:ErrorsOnly
dotnet publish src/ImUeAgent.Testbed/ImUeAgent.Testbed.csproj -c Release -o artifacts/publish/testbed -nologo -clp:ErrorsOnly
agent=$PWD/artifacts/publish/linux-x64/imue-agent
testbed=$PWD/artifacts/publish/testbed/imue-testbed

snapshot() { # "tid switches" per thread (voluntary + involuntary)
  for t in /proc/"$1"/task/*; do
    echo "$(basename "$t") $(awk '/ctxt_switches/{s+=$2} END{print s+0}' "$t/status" 2>/dev/null)"
  done
}

times=()
for run in $(seq 1 "$runs"); do
  work=$(mktemp -d /tmp/imue-bench-reg.XXXXXX)
  "$testbed" all --listen 127.0.0.1:0 --agent-config "$work/agent.json" --state-dir "$work" > "$work/tb.out" 2>/dev/null &
  tb=$!
  timeout 30 grep -q -m1 '^ready' <(tail -F "$work/tb.out" 2>/dev/null)
  start=$(date +%s%N)
  "$agent" run --config "$work/agent.json" 2>/dev/null &
  ag=$!
  "$agent" status --socket "$work/api.sock" --wait registered --timeout 30 > /dev/null
  end=$(date +%s%N)
  times+=($(( (end - start) / 1000000 )))
  if [ "$run" = "$runs" ]; then
    # Per-thread deltas: thread-pool threads that retire during the window must not make the sum go down.
    # Registration leaves the runtime busy for a while (thread-pool workers retire after ~20 s of idleness, the
    # gate thread stops polling after them): measure the steady state a registered device lives in.
    sleep "$settle"
    snapshot "$ag" > "$work/before"
    sleep "$idle"
    snapshot "$ag" > "$work/after"
    delta=$(awk 'NR==FNR{b[$1]=$2; next} {d += $2 - ($1 in b ? b[$1] : 0)} END{print d+0}' "$work/before" "$work/after")
    wakeups=$(( delta * 60 / idle ))
    rss=$(awk '/VmRSS/{print $2}' /proc/$ag/status)
  fi
  kill -TERM "$ag"; wait "$ag" || true
  kill -TERM "$tb"; wait "$tb" || true
  rm -rf "$work"
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
median=$(printf '%s\n' "$sorted" | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
echo "start -> registered: median ${median} ms over $runs runs (all: $(echo $sorted | tr '\n' ' '))"
echo "idle while registered: ${wakeups} context switches per minute (all threads, ${idle} s window after ${settle} s settling); VmRSS ${rss} kB"
