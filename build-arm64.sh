#!/usr/bin/env bash
# Builds the shippable imue-agent: Native AOT for linux-arm64 (default) or linux-x64 (--arch amd64), the native
# libraries beside it in dist/<rid>/, a check that the ELF is for the right machine, `--version` run on it (under
# qemu-aarch64 for arm64), and dist/imue-agent_<version>_<arch>.deb. Installs the Debian packages it needs when they
# are missing. Rerunning it rebuilds in place.
set -euo pipefail
cd "$(dirname "$0")"

usage() {
  cat <<USAGE
Usage: $0 [--arch arm64|amd64]
  --arch arm64   cross-compile for linux-arm64 with clang/lld and the aarch64 cross binutils (default)
  --arch amd64   build for linux-x64
Outputs: dist/<rid>/imue-agent (+ native .so files), dist/imue-agent_<version>_<arch>.deb
USAGE
}

arch=arm64
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) arch=${2:?--arch needs a value}; shift 2 ;;
    --arch=*) arch=${1#--arch=}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "build-arm64.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

case "$arch" in
  arm64)
    rid=linux-arm64
    elf_machine=AArch64
    packages=(clang lld gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu qemu-user dpkg-dev zlib1g-dev)
    publish_args=(-p:CppCompilerAndLinker=clang -p:LinkerFlavor=lld -p:ObjCopyName=aarch64-linux-gnu-objcopy)
    run=(qemu-aarch64 -L /usr/aarch64-linux-gnu)
    ;;
  amd64)
    rid=linux-x64
    elf_machine="Advanced Micro Devices X86-64"
    packages=(gcc zlib1g-dev dpkg-dev)
    publish_args=()
    run=()
    ;;
  *) echo "build-arm64.sh: --arch must be arm64 or amd64, not '$arch'" >&2; exit 2 ;;
esac

scripts/ensure-packages.sh "${packages[@]}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

out="dist/$rid"
rm -rf "$out"
echo "== publish imue-agent for $rid"
dotnet publish src/ImUeAgent/ImUeAgent.csproj -c Release -r "$rid" -o "$out" -nologo -clp:ErrorsOnly "${publish_args[@]}"
rm -f "$out"/*.dbg

echo "== check ELF machine"
machine=$(readelf -h "$out/imue-agent" | sed -n 's/^ *Machine: *//p')
if [ "$machine" != "$elf_machine" ]; then
  echo "build-arm64.sh: $out/imue-agent is for '$machine', expected '$elf_machine'" >&2
  exit 1
fi
for lib in "$out"/*.so; do
  [ -e "$lib" ] || continue
  lib_machine=$(readelf -h "$lib" | sed -n 's/^ *Machine: *//p')
  [ "$lib_machine" = "$elf_machine" ] || { echo "build-arm64.sh: $lib is for '$lib_machine'" >&2; exit 1; }
done
echo "$out/imue-agent: $machine"

echo "== run --version${run:+ under ${run[0]}}"
"${run[@]}" "$out/imue-agent" --version

echo "== package"
deb=$(packaging/build-deb.sh "$arch" "$out" dist)
echo "$deb"

echo "== sizes"
printf '%10s  %s\n' "$(stat -c %s "$out/imue-agent")" "$out/imue-agent"
for lib in "$out"/*.so; do [ -e "$lib" ] && printf '%10s  %s\n' "$(stat -c %s "$lib")" "$lib"; done
printf '%10s  %s\n' "$(stat -c %s "$deb")" "$deb"
