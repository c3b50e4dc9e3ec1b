#!/usr/bin/env bash
# Stops the local stack started by tools/stack/start.sh — only the processes it started, by the
# pids it recorded. Data under .stack/ is kept; `--wipe` deletes it as well.
set -euo pipefail
source "$(dirname "$0")/common.sh"

stop_pidfile() { # NAME PIDFILE [GROUP]
  local name=$1 file=$2 group=${3:-}
  if ! pid_alive "$file"; then rm -f "$file"; return; fi
  local pid; pid=$(head -n1 "$file")
  if [ -n "$group" ]; then kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"; else kill -TERM "$pid"; fi
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name did not stop in 20 s; killing it"
    if [ -n "$group" ]; then kill -KILL -- "-$pid" 2>/dev/null || true; else kill -KILL "$pid" || true; fi
  fi
  rm -f "$file"
  log "$name stopped"
}

stop_pidfile nginx "$STACK_DIR/nginx/nginx.pid" group
stop_pidfile "SMTP sink" "$STACK_DIR/smtp/smtp.pid" group
stop_pidfile "Firebase Auth emulator" "$STACK_DIR/firebase/emulator.pid" group
stop_pidfile ClickHouse "$STACK_DIR/clickhouse/clickhouse.pid"
stop_pidfile Redis "$STACK_DIR/redis/redis.pid"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
if [ -n "$PGBIN" ] && [ -s "$STACK_DIR/postgres/data/postmaster.pid" ]; then
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$PGBIN/pg_ctl" -D "$STACK_DIR/postgres/data" -m fast -w stop >/dev/null || true
  else "$PGBIN/pg_ctl" -D "$STACK_DIR/postgres/data" -m fast -w stop >/dev/null || true; fi
  log "PostgreSQL stopped"
fi
rm -f "$STACK_DIR/env"
if [ "${1:-}" = "--wipe" ]; then rm -rf "$STACK_DIR"; log "wiped $STACK_DIR"; fi
