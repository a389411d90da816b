#!/usr/bin/env bash
# Measures intake through a deployment of N instances on one PostgreSQL:
# a PostgreSQL server of its own with its default durability (fsync on,
# synchronous_commit on), N `mashang serve` (N > 1: behind HAProxy, as the
# cluster test runs them), and `mashang bench intake --url` posting through
# the proxy. Prints the bench's figures, the peak resident memory (VmHWM) of
# each instance, and the database's size per 100,000 cases.
#
# Usage: scripts/bench-cluster.sh BINARY [INSTANCES] [REPORTS] [CLIENTS]
#   e.g. scripts/bench-cluster.sh ./mashang 3 30000 64
set -euo pipefail
bin=$(readlink -f "$1") n=${2:-1} reports=${3:-20000} clients=${4:-64}
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
haproxy=$(command -v haproxy || echo /usr/sbin/haproxy)
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
work=$(mktemp -d /tmp/mashang-bench-cluster.XXXXXX)
chmod 755 "$work"
run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  run_pg "$pg_bin/pg_ctl" -D "$work/pg" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
pg_port=$(free_port)
run_pg "$pg_bin/initdb" -D "$work/pg" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
run_pg "$pg_bin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w -o "-h 127.0.0.1 -p $pg_port -k $work -c max_connections=200" start >/dev/null
run_pg "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -qc "CREATE DATABASE bench" >/dev/null
db="postgres://postgres@127.0.0.1:$pg_port/bench?sslmode=disable"
export MASHANG_DATABASE_URL=$db MASHANG_IDENTITY_KEY_FILE=$work/identity.key MASHANG_LOG_KEY_FILE=$work/log.key
MASHANG_DATA=$work/migrate "$bin" migrate >/dev/null
size() { run_pg "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d bench -tAc "SELECT pg_database_size('bench')"; }
before=$(size)
servers=""
for i in $(seq 1 "$n"); do
  port=$(free_port)
  MASHANG_DATA=$work/s$i "$bin" serve --addr "127.0.0.1:$port" --no-rate-limit --backup-interval off --trusted-proxies 127.0.0.1 --log-level error \
    2>"$work/s$i.log" >/dev/null &
  pids+=($!)
  until curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do sleep 0.2; done
  servers+="    server s$i 127.0.0.1:$port check"$'\n'
  url="http://127.0.0.1:$port"
done
if [ "$n" -gt 1 ]; then
  proxy=$(free_port)
  cat >"$work/haproxy.cfg" <<EOF
global
    maxconn 4000
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    option forwardfor
frontend public
    bind 127.0.0.1:$proxy
    default_backend mashang
backend mashang
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    default-server inter 1s fall 2 rise 2
$servers
EOF
  "$haproxy" -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
  pids+=($!)
  until curl -fs "http://127.0.0.1:$proxy/healthz" >/dev/null 2>&1; do sleep 0.2; done
  url="http://127.0.0.1:$proxy"
fi
echo "instances: $n ($( [ "$n" -gt 1 ] && echo "behind HAProxy $("$haproxy" -v | head -1 | awk '{print $3}')" || echo "direct" )); PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') with fsync on, synchronous_commit on"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin" bench intake --url "$url" --reports "$reports" --clients "$clients"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq 1 "$n"); do
  pid=${pids[$((i-1))]}
  echo "instance s$i: peak resident memory $(awk '/VmHWM/{print int($2/1024)}' /proc/$pid/status) MB, now $(awk '/VmRSS/{print int($2/1024)}' /proc/$pid/status) MB"
done
after=$(size)
cases=$(run_pg "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d bench -tAc "SELECT COUNT(*) FROM cases")
echo "database: $cases cases, $(( (after - before) >> 20 )) MB added, $(( (after - before) * 100000 / (cases > 0 ? cases : 1) >> 20 )) MB per 100,000 cases (pg_database_size, indexes and WAL-free heap)"
