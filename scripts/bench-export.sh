#!/usr/bin/env bash
# Measures the case export on a large county: rows, bytes, time, and the
# server's resident memory (VmRSS, sampled every 100 ms) before, at its peak
# and after, for CSV and XLSX.
#
# Usage: scripts/bench-export.sh BINARY DATA_DIR
#   (DATA_DIR made by: BINARY demo --cases 200000 --seed 1 --data DATA_DIR)
set -euo pipefail
bin=$1 data=$2
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
"$bin" serve --data "$data" --addr "127.0.0.1:$port" --backup-interval off --log-level error &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
until curl -fs "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.2; done
tok=$(curl -fs -XPOST "http://127.0.0.1:$port/api/v1/auth/token" -H 'Content-Type: application/json' \
  -d '{"username":"director","password":"mashang-demo-only"}' | python3 -c 'import json,sys;print(json.load(sys.stdin)["token"])')
rss() { awk '/VmRSS/{print int($2/1024)}' "/proc/$pid/status"; }
for fmt in csv xlsx; do
  before=$(rss)
  peakfile=$(mktemp)
  ( peak=0; while kill -0 $pid 2>/dev/null; do r=$(rss); [ "$r" -gt "$peak" ] && peak=$r && echo $peak > "$peakfile"; sleep 0.1; done ) &
  sampler=$!
  start=$(date +%s.%N)
  out=$(mktemp)
  curl -fs -H "Authorization: Bearer $tok" "http://127.0.0.1:$port/api/v1/cases/export?format=$fmt" -o "$out"
  end=$(date +%s.%N)
  kill $sampler 2>/dev/null; wait $sampler 2>/dev/null || true
  if [ "$fmt" = csv ]; then rows=$(( $(wc -l < "$out") - 1 )); else rows=$(unzip -p "$out" 'xl/worksheets/*.xml' | grep -o '</row>' | wc -l); rows=$((rows - 1)); fi
  printf '%s: %d rows, %d MB, %.1f s, server RSS %d MB before, %d MB peak, %d MB after\n' \
    "$fmt" "$rows" $(( $(stat -c %s "$out") >> 20 )) "$(echo "$end - $start" | bc)" "$before" "$(cat "$peakfile" 2>/dev/null || echo "$before")" "$(rss)"
  rm -f "$out" "$peakfile"
done
