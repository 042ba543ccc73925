#!/usr/bin/env bash
# Runs `go run ./examples/bench` against throwaway local servers:
#   scripts/bench.sh memory|redis|redis+postgres [extra bench flags]
# redis-server (no AOF, no RDB snapshots) and PostgreSQL 15
# (synchronous_commit on, fsync on) are started on free loopback ports in a
# temp dir and stopped by PID on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-memory}
shift || true
tmp=$(mktemp -d /tmp/taskq-bench.XXXXXX)
chmod 755 "$tmp"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

args=(-backend "$backend")
if [[ $backend == redis* ]]; then
  rport=$(freeport)
  redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" --logfile "$tmp/redis.log" &
  pids+=($!)
  for _ in $(seq 100); do redis-cli -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.05; done
  args+=(-redis-url "redis://127.0.0.1:$rport/0")
  echo "redis-server $(redis-server --version | awk '{print $3}') on 127.0.0.1:$rport, appendonly no, save ''" >&2
fi
if [[ $backend == *postgres ]]; then
  pgbin=/usr/lib/postgresql/15/bin
  pport=$(freeport)
  run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
  mkdir -p "$tmp/pg"
  [ "$(id -u)" = 0 ] && chown postgres "$tmp/pg"
  run_pg "$pgbin/initdb" -D "$tmp/pg/data" -U postgres -A trust >/dev/null
  run_pg "$pgbin/postgres" -D "$tmp/pg/data" -p "$pport" -k "$tmp/pg" -c listen_addresses=127.0.0.1 \
    -c synchronous_commit=on -c max_connections=200 -c shared_buffers=256MB >"$tmp/pg.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do "$pgbin/pg_isready" -h 127.0.0.1 -p "$pport" >/dev/null 2>&1 && break; sleep 0.1; done
  args+=(-database-url "postgres://postgres@127.0.0.1:$pport/postgres?sslmode=disable")
  echo "postgres 15 on 127.0.0.1:$pport, synchronous_commit=on, fsync=on" >&2
fi
go run ./examples/bench "${args[@]}" "$@"
