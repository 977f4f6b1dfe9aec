#!/usr/bin/env bash
# The test command (README Quick start; .ci/run calls exactly this). On a fresh machine it installs what the tests
# need, restores NuGet packages, publishes the x64 AOT binary, smoke-checks it, then runs the whole xUnit suite
# (unit, end-to-end against the published binary, packaging).
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages the suite uses: the AOT linker and zlib headers, systemd-analyze (unit checks), dpkg-deb, SIPp, Kamailio (MSRP relay).
scripts/ensure-packages.sh gcc zlib1g-dev systemd dpkg-dev sip-tester kamailio kamailio-extra-modules baresip

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet restore ImUeAgent.sln
dotnet restore src/ImUeAgent/ImUeAgent.csproj -r linux-x64

echo "== publish imue-agent (linux-x64, Native AOT)"
dotnet publish src/ImUeAgent/ImUeAgent.csproj -r linux-x64 -c Release --no-restore -o artifacts/publish/linux-x64 -nologo -clp:ErrorsOnly
bin=artifacts/publish/linux-x64/imue-agent
echo "== publish imue-testbed (the emulated modem and IMS core the end-to-end tests run against)"
dotnet publish src/ImUeAgent.Testbed/ImUeAgent.Testbed.csproj -c Release --no-restore -o artifacts/publish/testbed -nologo -clp:ErrorsOnly

echo "== smoke: --version, then run and stop with SIGTERM"
"$bin" --version
smoke=$(mktemp -d)
trap 'rm -rf "$smoke"' EXIT
printf '{ "Daemon": { "StateDirectory": "%s" }, "Api": { "SocketPath": "%s/api.sock" } }\n' "$smoke" "$smoke" > "$smoke/agent.json"
"$bin" run --config "$smoke/agent.json" 2> "$smoke/log" &
pid=$!
if ! "$bin" status --socket "$smoke/api.sock" --wait running --timeout 20; then
  cat "$smoke/log"; echo "smoke: daemon did not start" >&2; kill -9 $pid; exit 1
fi
kill -TERM $pid
wait $pid && echo "smoke: daemon stopped cleanly on SIGTERM" || { cat "$smoke/log"; echo "smoke: bad exit after SIGTERM" >&2; exit 1; }

echo "== arm64: cross-compile, check under qemu-aarch64, package (the packaging tests inspect the .deb)"
./build-arm64.sh
export IMUE_REQUIRE_ARM64=1

echo "== tests"
dotnet build ImUeAgent.sln --no-restore -nologo -clp:ErrorsOnly
set +e
dotnet test --solution ImUeAgent.sln --no-build 2>&1 | tee artifacts/test-output.txt
status=${PIPESTATUS[0]}
set -e
# One plain closing line for CI: "N passed, N failed, N skipped".
awk '/^  failed: /{f+=$2} /^  succeeded: /{p+=$2} /^  skipped: /{s+=$2} END{printf "%d passed, %d failed, %d skipped\n", p, f, s}' artifacts/test-output.txt
exit "$status"
