#!/usr/bin/env bash
# `npm run platform`: starts the local stack and all five services, each as its own process, waits
# until every /health/ready answers 200, and prints the URLs. In the foreground by default
# (Ctrl-C stops the services); `--detach` returns once everything is ready
# (stop with `npm run platform:stop`).
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"

DETACH=false
[ "${1:-}" = "--detach" ] && DETACH=true

[ -x node_modules/.bin/nx ] || { log "installing npm dependencies"; npm install --no-audit --no-fund; }
bash tools/stack/start.sh

set -a
# shellcheck disable=SC1091
source tools/platform/dev.env
# shellcheck disable=SC1091
source "$ROOT/.stack/env"
set +a

log "applying migrations"
node -r @swc-node/register apps/auth-service/src/database/migrate.ts
node -r @swc-node/register apps/config-service/src/database/migrate.ts
node -r @swc-node/register apps/analytics-service/src/database/migrate.ts

mkdir -p "$RUN_DIR"
for entry in "${SERVICES[@]}"; do
  app=${entry%%:*} port=${entry##*:}
  pidfile=$RUN_DIR/$app.pid
  if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then log "$app already running"; continue; fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then log "ERROR: port $port for $app is taken"; exit 1; fi
  PORT=$port setsid node -r @swc-node/register "apps/$app/src/main.ts" >"$RUN_DIR/$app.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
done

started=$SECONDS
for entry in "${SERVICES[@]}"; do
  app=${entry%%:*} port=${entry##*:}
  until curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; do
    if ! kill -0 "$(cat "$RUN_DIR/$app.pid")" 2>/dev/null; then
      log "ERROR: $app exited; its log ($RUN_DIR/$app.log) ends with:"; tail -n 20 "$RUN_DIR/$app.log" >&2
      bash tools/platform/stop.sh --services-only; exit 1
    fi
    if [ $((SECONDS - started)) -gt 90 ]; then
      log "ERROR: $app not ready after 90 s (see $RUN_DIR/$app.log)"; bash tools/platform/stop.sh --services-only; exit 1
    fi
    sleep 0.5
  done
done

log "Phoenix is up (ready in $((SECONDS - started)) s after the stack):"
for entry in "${SERVICES[@]}"; do
  app=${entry%%:*} port=${entry##*:}
  printf '  %-18s http://127.0.0.1:%s   (docs http://127.0.0.1:%s/docs, log %s)\n' "$app" "$port" "$port" "$RUN_DIR/$app.log"
done

if ! $DETACH; then
  log "press Ctrl-C to stop the services (the stack keeps running; npm run platform:stop stops both)"
  trap 'bash tools/platform/stop.sh --services-only; exit 0' INT TERM
  while sleep 1; do :; done
fi
