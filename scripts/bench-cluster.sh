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
# Environment:
#   PROXY=1   put HAProxy in front even of one instance (the fair comparison
#             with several: the same hop for every report)
#   SAMPLE=1  also print where the time went: the CPU seconds of PostgreSQL,
#             each instance, HAProxy and the bench client during the run
#             (and per report), PostgreSQL's transactions per report, and
#             what its sessions were doing (pg_stat_activity sampled every
#             100 ms: wait events, and the statement of the waiting ones)
#   INSTANCE_GOMAXPROCS=N  run each instance with GOMAXPROCS=N
#   BALANCE=leastconn      HAProxy's balance algorithm (default roundrobin)
#   PGSTATS=1 load pg_stat_statements and print, per kind of statement, its
#             calls, planning and execution time during the run
#   PERF=FILE record the whole machine with `perf record -a -g` while the
#             bench runs (then e.g. `perf report -i FILE --sort comm`)
set -euo pipefail
bin=$(readlink -f "$1") n=${2:-1} reports=${3:-20000} clients=${4:-64}
proxied=$([ "$n" -gt 1 ] || [ "${PROXY:-0}" = 1 ] && echo 1 || echo 0)
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
run_pg "$pg_bin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w -o "-h 127.0.0.1 -p $pg_port -k $work -c max_connections=200 ${PGSTATS:+-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_planning=on}" start >/dev/null
run_pg "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -qc "CREATE DATABASE bench" >/dev/null
db="postgres://postgres@127.0.0.1:$pg_port/bench?sslmode=disable"
export MASHANG_DATABASE_URL=$db MASHANG_IDENTITY_KEY_FILE=$work/identity.key MASHANG_LOG_KEY_FILE=$work/log.key
MASHANG_DATA=$work/migrate "$bin" migrate >/dev/null
size() { run_pg "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d bench -tAc "SELECT pg_database_size('bench')"; }
before=$(size)
if [ -n "${PGSTATS:-}" ]; then
  "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d bench -qc "CREATE EXTENSION pg_stat_statements" >/dev/null
fi
servers=""
for i in $(seq 1 "$n"); do
  port=$(free_port)
  GOMAXPROCS=${INSTANCE_GOMAXPROCS:-} MASHANG_DATA=$work/s$i "$bin" serve --addr "127.0.0.1:$port" --no-rate-limit --backup-interval off --trusted-proxies 127.0.0.1 --log-level error \
    2>"$work/s$i.log" >/dev/null &
  pids+=($!)
  until curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do sleep 0.2; done
  servers+="    server s$i 127.0.0.1:$port check"$'\n'
  url="http://127.0.0.1:$port"
done
if [ "$proxied" = 1 ]; then
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
    balance ${BALANCE:-roundrobin}
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
echo "instances: $n ($( [ "$proxied" = 1 ] && echo "behind HAProxy $("$haproxy" -v | head -1 | awk '{print $3}')" || echo "direct" )); PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') with fsync on, synchronous_commit on"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
[ -n "${PGSTATS:-}" ] && "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d bench -qtAc "SELECT pg_stat_statements_reset()" >/dev/null
if [ -n "${PERF:-}" ]; then
  perf record -a -g -F 999 -o "$PERF" 2>/dev/null &
  perfpid=$!
fi
if [ "${SAMPLE:-0}" = 1 ]; then
  # CPU ticks of a process (utime+stime, and with kids=1 of its reaped children).
  ticks() { awk -v k="${2:-0}" '{t=$14+$15; if (k) t+=$16+$17; print t}' "/proc/$1/stat" 2>/dev/null || echo 0; }
  pgmaster=$(head -1 "$work/pg/postmaster.pid")
  # PostgreSQL: the postmaster with its exited backends, plus the live ones.
  pgticks() { local t; t=$(ticks "$pgmaster" 1); for c in $(pgrep -P "$pgmaster"); do t=$((t + $(ticks "$c"))); done; echo "$t"; }
  xacts() { run_pg "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d bench -tAc "SELECT xact_commit FROM pg_stat_database WHERE datname = 'bench'"; }
  pg0=$(pgticks); x0=$(xacts)
  declare -A s0; for i in $(seq 1 "$n"); do s0[$i]=$(ticks "${pids[$((i-1))]}"); done
  hp0=0; [ "$proxied" = 1 ] && hp0=$(ticks "${pids[$n]}")
  "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d bench -tA -F'|' >"$work/waits" 2>/dev/null <<'SQL' &
SELECT state, coalesce(wait_event_type, 'CPU'), coalesce(wait_event, '-'), CASE WHEN state = 'active' THEN left(regexp_replace(query, '\s+', ' ', 'g'), 40) ELSE '' END
FROM pg_stat_activity WHERE datname = 'bench' AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND state <> 'idle'
UNION ALL SELECT 'sample', '', '', ''
\watch 0.1
SQL
  sampler=$!
  pids+=($sampler)
  ( "$bin" bench intake --url "$url" --reports "$reports" --clients "$clients"; times >"$work/benchtimes" )
  kill "$sampler" 2>/dev/null || true
  pg1=$(pgticks); x1=$(xacts)
  cpu() { awk -v t="$1" -v r="$reports" 'BEGIN{printf "%.2f s (%.0f µs a report)", t/100, t*10000/r}'; }
  echo "CPU during the run:"
  echo "  PostgreSQL: $(cpu $((pg1 - pg0)))"
  for i in $(seq 1 "$n"); do echo "  instance s$i: $(cpu $(( $(ticks "${pids[$((i-1))]}") - ${s0[$i]} )))"; done
  [ "$proxied" = 1 ] && echo "  HAProxy: $(cpu $(( $(ticks "${pids[$n]}") - hp0 )))"
  bt=$(awk 'NR==2{split($1,u,"m"); split($2,s,"m"); printf "%d", (u[1]*60+u[2]+s[1]*60+s[2])*100}' "$work/benchtimes")
  echo "  bench client: $(cpu "$bt")"
  echo "PostgreSQL transactions committed: $((x1 - x0)) ($(awk -v x=$((x1 - x0)) -v r="$reports" 'BEGIN{printf "%.1f", r/x}') reports a transaction)"
  samples=$(grep -c '^sample' "$work/waits" || true)
  echo "PostgreSQL sessions not idle, average over $samples samples (state | wait type | wait event | statement):"
  grep -v '^sample' "$work/waits" | grep -v '^$' | sort | uniq -c | sort -rn | head -15 |
    awk -v s="$samples" '{c=$1; $1=""; printf "  %5.2f %s\n", c/(s?s:1), $0}'
else
  "$bin" bench intake --url "$url" --reports "$reports" --clients "$clients"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "${PGSTATS:-}" ]; then
  echo "PostgreSQL statements (calls, planning ms, execution ms; multi-row variants together):"
  "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d bench -tA -F' | ' -c "SELECT sum(calls), round(sum(total_plan_time)::numeric), round(sum(total_exec_time)::numeric), left(regexp_replace(query, '\s+', ' ', 'g'), 50) AS q FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'bench') GROUP BY q ORDER BY sum(total_plan_time + total_exec_time) DESC LIMIT 14" | sed 's/^/  /'
fi
if [ -n "${PERF:-}" ]; then kill -INT "$perfpid"; wait "$perfpid" 2>/dev/null || true; fi
for i in $(seq 1 "$n"); do
  pid=${pids[$((i-1))]}
  echo "instance s$i: peak resident memory $(awk '/VmHWM/{print int($2/1024)}' /proc/$pid/status) MB, now $(awk '/VmRSS/{print int($2/1024)}' /proc/$pid/status) MB"
done
after=$(size)
cases=$(run_pg "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d bench -tAc "SELECT COUNT(*) FROM cases")
echo "database: $cases cases, $(( (after - before) >> 20 )) MB added, $(( (after - before) * 100000 / (cases > 0 ? cases : 1) >> 20 )) MB per 100,000 cases (pg_database_size, indexes and WAL-free heap)"
