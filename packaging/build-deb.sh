#!/usr/bin/env bash
# Usage: packaging/build-deb.sh ARCH PUBLISH_DIR OUT_DIR
# Lays out the .deb from a published imue-agent (binary plus native libraries beside it) and builds
# OUT_DIR/imue-agent_<version>_<ARCH>.deb. ARCH is a Debian architecture (arm64, amd64). Prints the package path.
set -euo pipefail

arch=${1:?ARCH (arm64|amd64)}
publish=${2:?PUBLISH_DIR}
out=${3:?OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$repo/Directory.Build.props" | head -n1)
[ -n "$version" ] || { echo "build-deb: no <Version> in Directory.Build.props" >&2; exit 1; }
[ -x "$publish/imue-agent" ] || { echo "build-deb: $publish/imue-agent missing: publish first" >&2; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
chmod 0755 "$root"

# The binary lives with its native libraries (NativeAOT loads them from its own directory); /usr/bin has a link.
install -d -m 0755 "$root/usr/lib/imue-agent" "$root/usr/bin"
install -m 0755 "$publish/imue-agent" "$root/usr/lib/imue-agent/imue-agent"
for lib in "$publish"/*.so; do
  [ -e "$lib" ] || continue
  install -m 0644 "$lib" "$root/usr/lib/imue-agent/"
done
ln -s ../lib/imue-agent/imue-agent "$root/usr/bin/imue-agent"

install -D -m 0644 "$here/systemd/imue-agent.service" "$root/usr/lib/systemd/system/imue-agent.service"
install -D -m 0644 "$here/sysusers.d/imue-agent.conf" "$root/usr/lib/sysusers.d/imue-agent.conf"
install -D -m 0644 "$here/tmpfiles.d/imue-agent.conf" "$root/usr/lib/tmpfiles.d/imue-agent.conf"
install -D -m 0644 "$repo/hardware/udev/70-imue-agent-modem.rules" "$root/usr/lib/udev/rules.d/70-imue-agent-modem.rules"
install -D -m 0644 "$here/agent.json" "$root/etc/imue-agent/agent.json"
if [ -d "$repo/hardware/modems" ]; then
  install -d -m 0755 "$root/usr/share/imue-agent"
  cp -r "$repo/hardware/modems" "$root/usr/share/imue-agent/modems"
  [ -d "$repo/hardware/boards" ] && cp -r "$repo/hardware/boards" "$root/usr/share/imue-agent/boards"
  find "$root/usr/share/imue-agent" -type d -exec chmod 0755 {} + -o -type f -exec chmod 0644 {} +
fi
install -D -m 0644 "$repo/README.md" "$root/usr/share/doc/imue-agent/README.md"
install -D -m 0644 "$here/deb/copyright" "$root/usr/share/doc/imue-agent/copyright"

install -d -m 0755 "$root/DEBIAN"
install -m 0755 "$here/deb/postinst" "$here/deb/prerm" "$here/deb/postrm" "$root/DEBIAN/"
install -m 0644 "$here/deb/conffiles" "$root/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@INSTALLED_SIZE@/$size/" \
  "$here/deb/control.in" > "$root/DEBIAN/control"
chmod 0644 "$root/DEBIAN/control"

mkdir -p "$out"
deb="$out/imue-agent_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
