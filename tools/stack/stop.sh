#!/usr/bin/env bash
# Stops the local stack started by tools/stack/start.sh — only the processes it started, by the
# pids it recorded. Data under .stack/ is kept; `--wipe` deletes it as well.
set -euo pipefail
source "$(dirname "$0")/common.sh"

stop_pidfile nginx "$STACK_DIR/nginx/nginx.pid" group
stop_pidfile "SMTP sink" "$STACK_DIR/smtp/smtp.pid" group
stop_pidfile "Firebase Auth emulator" "$STACK_DIR/firebase/emulator.pid" group
stop_pidfile ClickHouse "$STACK_DIR/clickhouse/clickhouse.pid"
stop_pidfile Redis "$STACK_DIR/redis/redis.pid"
bash "$(dirname "$0")/redis-cluster.sh" stop
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
if [ -n "$PGBIN" ] && [ -s "$STACK_DIR/postgres/data/postmaster.pid" ]; then
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$PGBIN/pg_ctl" -D "$STACK_DIR/postgres/data" -m fast -w stop >/dev/null || true
  else "$PGBIN/pg_ctl" -D "$STACK_DIR/postgres/data" -m fast -w stop >/dev/null || true; fi
  log "PostgreSQL stopped"
fi
rm -f "$STACK_DIR/env"
if [ "${1:-}" = "--wipe" ]; then rm -rf "$STACK_DIR"; log "wiped $STACK_DIR"; fi
