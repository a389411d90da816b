#!/usr/bin/env bash
# Builds the Debian package of mashang: dist/mashang_VERSION_ARCH.deb.
#
# The package holds the one binary (/usr/bin/mashang), the systemd
# unit (its own user, hardening options, data in /var/lib/mashang), the
# configuration /etc/mashang/mashang.env (a conffile), mashang-admin (runs a
# command as the service's user with its configuration), and the README.
# The maintainer scripts make the user and the identity key on install.
# It is assembled with dpkg-deb, Debian's own tool, from packaging/deb.
#
# Usage: scripts/package-deb.sh            (VERSION=1.2.3 to name the version;
#                                           DIST=dir to write elsewhere than dist/)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
command -v dpkg-deb >/dev/null || { echo "package-deb: dpkg-deb is needed (apt-get install dpkg)" >&2; exit 1; }

version=${VERSION:-}
if [ -z "$version" ]; then
  # Debian versions start with a digit: 0.0.0+gitDATE.COMMIT when untagged.
  version="0.0.0+git$(git log -1 --format=%cd --date=format:%Y%m%d%H%M 2>/dev/null || date -u +%Y%m%d%H%M).$(git rev-parse --short=12 HEAD 2>/dev/null || echo local)"
fi
arch=$(go env GOARCH)
dist=${DIST:-dist}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
chmod 0755 "$root"
mkdir -p "$root/DEBIAN" "$root/usr/bin" "$root/usr/sbin" "$root/lib/systemd/system" "$root/etc/mashang" "$root/usr/share/doc/mashang"

# CGO_ENABLED=0 in the environment makes a fully static binary; by default the
# build shares the test suite's build cache.
go build -ldflags "-s -w -X mashang/internal/cli.Version=$version" -o "$root/usr/bin/mashang" ./cmd/mashang
depends="passwd"
if [ "$(go env CGO_ENABLED)" = 1 ]; then depends="libc6, $depends"; fi
install -m 0755 packaging/deb/mashang-admin "$root/usr/sbin/mashang-admin"
install -m 0644 packaging/deb/mashang.service "$root/lib/systemd/system/mashang.service"
install -m 0640 packaging/deb/mashang.env "$root/etc/mashang/mashang.env"
install -m 0644 README.md BENCHMARKS.md "$root/usr/share/doc/mashang/"
for s in postinst prerm postrm; do install -m 0755 "packaging/deb/$s" "$root/DEBIAN/$s"; done
echo /etc/mashang/mashang.env > "$root/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: mashang
Version: $version
Architecture: $arch
Maintainer: mashang maintainers <mashang@localhost>
Section: web
Priority: optional
Installed-Size: $size
Depends: $depends
Description: accountability office system (马上办): reports of officials' inaction
 Registers reports of officials' inaction from the web, hotline, letters,
 walk-ins and e-mail; accepts, transfers, investigates, decides
 accountability, answers the reporter and publishes. One binary with
 embedded SQLite, or PostgreSQL; runs as the systemd service mashang.
CONTROL
mkdir -p "$dist"
out="$dist/mashang_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
echo "$out"
