#!/usr/bin/env bash
# Runs every test of mashang: go vet, gofmt, and the whole suite on SQLite and
# PostgreSQL, with the real Dovecot (IMAP), Chromium (browser tests) and
# HAProxy (three instances behind a proxy, on a PostgreSQL of their own).
# What is missing is installed from Debian's packages; a throwaway PostgreSQL
# cluster is started on a free loopback port and removed afterwards.
# When PostgreSQL cannot start, this fails: its tests are never skipped here.
#
# Usage: scripts/test.sh [go test args…]   (default: ./...)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

need_pkgs=()
pg_bin=""
find_pg() { pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true); }
find_pg
[ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ] || need_pkgs+=(postgresql)
command -v dovecot >/dev/null 2>&1 || need_pkgs+=(dovecot-imapd)
command -v chromium >/dev/null 2>&1 || need_pkgs+=(chromium)
command -v pdftotext >/dev/null 2>&1 || need_pkgs+=(poppler-utils)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need_pkgs+=(haproxy)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need_pkgs+=(fonts-noto-cjk)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "installing: ${need_pkgs[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
  find_pg
fi
[ -n "$pg_bin" ] || { echo "PostgreSQL could not be installed" >&2; exit 1; }

# A throwaway cluster, owned by the postgres user when we are root.
pg_dir=$(mktemp -d /tmp/mashang-pg.XXXXXX)
chmod 755 "$pg_dir"
run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$pg_dir"
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])' 2>/dev/null || echo 55432)
cleanup() {
  run_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap cleanup EXIT
run_pg "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
run_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w -t 60 \
  -o "-h 127.0.0.1 -p $port -k $pg_dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >/dev/null \
  || { echo "PostgreSQL did not start:" >&2; cat "$pg_dir/log" >&2; exit 1; }
export MASHANG_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
export MASHANG_REQUIRE_POSTGRES=1
echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"

unformatted=$(gofmt -l cmd internal)
if [ -n "$unformatted" ]; then echo "gofmt would change:"; echo "$unformatted"; exit 1; fi
go vet ./...
full=0
if [ $# -eq 0 ]; then set -- ./...; full=1; fi
go test -count=1 -timeout 20m "$@"

# The whole suite also fuzzes the parsers of outside input for a few seconds
# each (their seed corpora in testdata/fuzz run with the tests above).
if [ "$full" = 1 ]; then
  fuzztime="${MASHANG_FUZZTIME:-3s}"
  for target in ./internal/mailin:FuzzParse ./internal/web:FuzzDecodeJSON ./internal/org:FuzzReadTable \
                ./internal/calendar:FuzzParseYear ./internal/receipt:FuzzNormalize ./internal/letters:FuzzTemplateParse; do
    go test -run '^$' -fuzz "^${target#*:}\$" -fuzztime "$fuzztime" "${target%%:*}"
  done
fi
