#!/usr/bin/env bash
# Installs what the integration tests need (redis-server, promtool/prometheus,
# chromium for the console's browser tests; PostgreSQL 15 is expected under
# /usr/lib/postgresql/15/bin), then runs the
# whole test suite with the race detector. The tests start their own servers
# on free loopback ports and stop them by PID.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v jq >/dev/null 2>&1 || need+=(jq)
[ -x /usr/lib/postgresql/15/bin/postgres ] || need+=(postgresql-15)
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 ||
  command -v google-chrome >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "missing ${need[*]}: integration tests will skip (or fail with TASKQ_REQUIRE_INTEGRATION=1)" >&2
  fi
fi
# Debian starts services on install; our tests start their own.
if command -v systemctl >/dev/null 2>&1; then systemctl stop redis-server prometheus >/dev/null 2>&1 || true; fi

exec go test -race -count=1 -timeout 15m "$@" ./...
