#!/usr/bin/env bash
# `npm run platform`: starts the local stack and all five services, each as its own process, waits
# until every /health/ready answers 200, and prints the URLs. In the foreground by default
# (Ctrl-C stops the services); `--detach` returns once everything is ready
# (stop with `npm run platform:stop`).
#
# It also runs one local VPN node: node-daemon with wireguard-go and nftables inside the network
# namespace `phx-node` (NODE_NETNS), reachable at 198.18.0.2:51820, with an "internet" namespace
# `phx-inet` behind it (layout: tools/platform/netns.ts, tools/client/README.md). The reference
# client's `up` links its own namespace `phx-client` to it. Without root, `ip netns`,
# /dev/net/tun or wireguard-go, it says why and runs node-daemon as before (WG_MODE=off: registers
# and pulses, touches no network). PHOENIX_NODE_NETNS=0 asks for that explicitly.
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

# ---------------------------------------------------------------- the web app (apps/web)
# Built to static files and served by tools/platform/web-server.ts (its CSP, /config.json) on
# 127.0.0.1:$WEB_PORT; auth-service and config-service answer CORS for exactly that origin, and
# Stripe sends the browser back there.
WEB_PORT=${PHOENIX_WEB_PORT:-4200}
WEB_ORIGIN=http://127.0.0.1:$WEB_PORT
log "building the web app (apps/web → dist/apps/web)"
node node_modules/vite/bin/vite.js build --config apps/web/vite.config.mts --logLevel warn >"$RUN_DIR/web-build.log" 2>&1 \
  || { log "ERROR: the web app did not build:"; tail -n 30 "$RUN_DIR/web-build.log" >&2; exit 1; }

# ---------------------------------------------------------------- the blocklist's source
# blocklist.compile fetches its hosts list from the stack's nginx (/upstream/hosts), a real server
# that answers its conditional GETs: the StevenBlack list of the shared test data when it is there,
# else a small committed sample. (These settings are job-worker's here, not dev.env's: the
# integration tests read dev.env, and no test's job-worker may compile into the stack's origin.)
# BLOCKED_EXAMPLE: a name the list blocks, for the hint printed at the end.
UPSTREAM_HOSTS=$(cd "$ROOT/.." && pwd)/shared/data/stevenblack-hosts BLOCKED_EXAMPLE=ad.doubleclick.net
[ -r "$UPSTREAM_HOSTS" ] || UPSTREAM_HOSTS=$ROOT/tools/platform/blocklist-sample.hosts BLOCKED_EXAMPLE=ads.example
mkdir -p "$STACK_DIR/upstream"
ln -sfn "$UPSTREAM_HOSTS" "$STACK_DIR/upstream/hosts"

# ---------------------------------------------------------------- the local VPN node's namespace
# As root, install what the node needs from Debian's packages (tools/deps/debian.sh, as tools/stack
# does for the servers); without them the namespace check below says what is missing.
if [ "${PHOENIX_NODE_NETNS:-1}" != "0" ] && [ "$(id -u)" -eq 0 ]; then
  # shellcheck source=tools/deps/debian.sh
  source "$ROOT/tools/deps/debian.sh"
  deps_ensure node || log "could not install the VPN node's packages; the VPN node may be skipped"
fi
NODE_VARS=()
NODE_LAB=false
node_daemon_running() { [ -s "$RUN_DIR/node-daemon.pid" ] && kill -0 "$(cat "$RUN_DIR/node-daemon.pid")" 2>/dev/null; }
netns_cli() { node -r @swc-node/register tools/platform/node-netns.ts "$@"; }
if [ "${PHOENIX_NODE_NETNS:-1}" = "0" ]; then
  log "local VPN node: off (PHOENIX_NODE_NETNS=0); node-daemon runs with WG_MODE=off"
elif ! problems=$(netns_cli check 2>&1); then
  log "local VPN node: cannot run one in a network namespace here — node-daemon runs with WG_MODE=off (registers and pulses, no tunnel):"
  printf '%s\n' "$problems" | sed 's/^/[platform]   - /' >&2
elif node_daemon_running; then
  log "local VPN node: node-daemon already running"
  ip netns list 2>/dev/null | grep -q '^phx-node\b' && NODE_LAB=true
else
  netns_cli down
  if netns_cli up; then
    NODE_VARS=(
      NODE_NETNS=phx-node WG_MODE=userspace WG_INTERFACE=phx-wgn WG_LISTEN_PORT=51820
      NODE_PUBLIC_HOST=198.18.0.2 NODE_LOCATION="${PHOENIX_NODE_LOCATION:-de-fra}" NODE_CAPACITY=100
      TUNNEL_CIDR_V4=100.64.0.0/16 TUNNEL_CIDR_V6=fd00:70:1::/64 EGRESS_INTERFACE=phx-ninet
      NODE_ADMIN_TCP_PORTS= NODE_STATE_DIR="$RUN_DIR/node-netns" RECONCILE_INTERVAL_SEC=10
    )
    NODE_LAB=true
    log "local VPN node: namespace phx-node (endpoint 198.18.0.2:51820, location ${PHOENIX_NODE_LOCATION:-de-fra}, \"internet\" phx-inet 198.18.0.10)"
  else
    log "local VPN node: could not create its namespaces — node-daemon runs with WG_MODE=off"
    netns_cli down || true
  fi
fi

for entry in "${SERVICES[@]}"; do
  app=${entry%%:*} port=${entry##*:}
  pidfile=$RUN_DIR/$app.pid
  if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then log "$app already running"; continue; fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then log "ERROR: port $port for $app is taken"; exit 1; fi
  extra=()
  [ "$app" = node-daemon ] && extra=("${NODE_VARS[@]}")
  # Each service reaches Redis as its side's user only (README "Redis users"); REDIS_URL in
  # .stack/env is the admin's, for tooling.
  case $app in
    # The identity side alone sends mail (its notifications worker): SMTP_URL is the stack's sink.
    auth-service) redis_url=$REDIS_URL_IDENTITY; extra+=("SMTP_URL=$SMTP_URL" "WEB_ORIGIN=$WEB_ORIGIN"
      "STRIPE_CHECKOUT_SUCCESS_URL=$WEB_ORIGIN/account?checkout=success" "STRIPE_CHECKOUT_CANCEL_URL=$WEB_ORIGIN/account?checkout=cancel" "STRIPE_PORTAL_RETURN_URL=$WEB_ORIGIN/account") ;;
    config-service) redis_url=$REDIS_URL_NETWORK; extra+=("WEB_ORIGIN=$WEB_ORIGIN") ;;
    node-daemon) redis_url=$REDIS_URL_NODE ;;
    analytics-service) redis_url=$REDIS_URL_ANALYTICS ;;
    # Publishes a blocklist at start when none is (BLOCKLIST_ORIGIN_DIR is the stack's, .stack/env).
    job-worker) redis_url=$REDIS_URL_JOBS
      extra+=("BLOCKLIST_SOURCE_URL=${PHOENIX_BLOCKLIST_SOURCE_URL:-$BLOCKLIST_PUBLIC_URL/upstream/hosts}" BLOCKLIST_COMPILE_AT_START=if-missing) ;;
  esac
  extra+=("REDIS_URL=$redis_url")
  PORT=$port setsid env "${extra[@]}" node -r @swc-node/register "apps/$app/src/main.ts" >"$RUN_DIR/$app.log" 2>&1 </dev/null &
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
    if [ $((SECONDS - started)) -gt 120 ]; then
      log "ERROR: $app not ready after 120 s (see $RUN_DIR/$app.log)"; bash tools/platform/stop.sh --services-only; exit 1
    fi
    sleep 0.5
  done
done

# The web app's server, once the services it points at answer.
web_running() { [ -s "$RUN_DIR/web.pid" ] && kill -0 "$(cat "$RUN_DIR/web.pid")" 2>/dev/null; }
if web_running; then
  log "web server already running"
else
  if (exec 3<>"/dev/tcp/127.0.0.1/$WEB_PORT") 2>/dev/null; then log "ERROR: port $WEB_PORT for the web app is taken (set PHOENIX_WEB_PORT)"; bash tools/platform/stop.sh --services-only; exit 1; fi
  # Through the per-service gateways when the stack runs them (they drop the client address).
  WEB_PORT=$WEB_PORT AUTH_URL=${PHOENIX_AUTH_GATEWAY_URL:-http://127.0.0.1:3001} CONFIG_URL=${PHOENIX_CONFIG_GATEWAY_URL:-http://127.0.0.1:3002} \
    setsid node -r @swc-node/register tools/platform/web-server.ts >"$RUN_DIR/web.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/web.pid"
  for _ in $(seq 1 60); do curl -fsS "$WEB_ORIGIN/config.json" >/dev/null 2>&1 && break; sleep 0.5; done
  curl -fsS "$WEB_ORIGIN/config.json" >/dev/null 2>&1 || { log "ERROR: the web server did not answer (see $RUN_DIR/web.log)"; bash tools/platform/stop.sh --services-only; exit 1; }
fi

# The first blocklist: job-worker enqueued a compile at start if none was published (or it is
# signed with another key); wait until one verifies under the key (bounded), then tell the client
# where it is and which key to pin.
BLOCKLIST_KEY=$(node -r @swc-node/register apps/job-worker/src/blocklist/blocklist-key.ts)
if version=$(node -r @swc-node/register apps/job-worker/src/blocklist/blocklist-key.ts --wait-published "$BLOCKLIST_ORIGIN_DIR" 90); then
  BLOCKLIST_STATUS="version $version published"
else
  BLOCKLIST_STATUS="none signed with this key published yet: see the blocklist queue in Bull Board and $RUN_DIR/job-worker.log"
fi
# The reference client reads this when given no --blocklist-url/--blocklist-key (tools/client/README.md).
cat >"$RUN_DIR/blocklist.env" <<ENV
# Written by tools/platform/run.sh: the platform's published blocklist, for npm run client -- blocklist update.
PHOENIX_BLOCKLIST_URL=$BLOCKLIST_PUBLIC_URL
PHOENIX_BLOCKLIST_PUBLIC_KEY=$BLOCKLIST_KEY
ENV

for url in "$PHOENIX_AUTH_GATEWAY_URL/.well-known/private-token-issuer-directory" "$PHOENIX_CONFIG_GATEWAY_URL/locations"; do
  curl -fsS -o /dev/null "$url" 2>/dev/null || log "WARNING: $url does not answer 200 through its gateway (see $STACK_DIR/nginx/gateway-access.log)"
done
# The per-service gateways (the stack's nginx, in front of 3001-3003): the reference client uses
# these when given no --auth-url/--config-url/--analytics-url (tools/client/README.md).
cat >"$RUN_DIR/gateways.env" <<ENV
# Written by tools/platform/run.sh: the gateways in front of the services, for npm run client.
PHOENIX_AUTH_URL=$PHOENIX_AUTH_GATEWAY_URL
PHOENIX_CONFIG_URL=$PHOENIX_CONFIG_GATEWAY_URL
PHOENIX_ANALYTICS_URL=$PHOENIX_ANALYTICS_GATEWAY_URL
ENV

log "Phoenix is up (ready in $((SECONDS - started)) s after the stack, $SECONDS s in all):"
printf '  %-18s %s   (public routes only; client address dropped; sign-in and issuance rate-limited)\n' 'auth gateway' "$PHOENIX_AUTH_GATEWAY_URL"
printf '  %-18s %s   (GET /locations, /vpn/…; client address dropped)\n' 'config gateway' "$PHOENIX_CONFIG_GATEWAY_URL"
printf '  %-18s %s   (POST /v1/events; client address dropped)\n' 'analytics gateway' "$PHOENIX_ANALYTICS_GATEWAY_URL"
for entry in "${SERVICES[@]}"; do
  app=${entry%%:*} port=${entry##*:}
  printf '  %-18s http://127.0.0.1:%s   (docs http://127.0.0.1:%s/docs, log %s)\n' "$app" "$port" "$port" "$RUN_DIR/$app.log"
done
printf '  %-18s %s   (the account pages: sign up, start the trial, get a config; log %s)\n' 'web' "$WEB_ORIGIN" "$RUN_DIR/web.log"
printf '  %-18s http://127.0.0.1:3004/admin/queues   (Bearer ADMIN_TOKEN, or any user name and the token as password; dev: dev-admin-token-job-worker)\n' 'schedules'
printf '  %-18s %s   (the SMTP sink: every mail auth-service sends, one file each)\n' 'mail' "${PHOENIX_MAIL_DIR:-.stack/mail}/new"
printf '  %-18s %s/blocklist/latest.json   (%s; public key %s; source %s)\n' 'blocklist' "$BLOCKLIST_PUBLIC_URL" "$BLOCKLIST_STATUS" "$BLOCKLIST_KEY" "$UPSTREAM_HOSTS"
printf '  %-18s npm run client -- blocklist update && npm run client -- blocklist check %s\n' '' "$BLOCKED_EXAMPLE"
if $NODE_LAB; then
  printf '  %-18s namespace phx-node, WireGuard 198.18.0.2:51820, tunnel gateway 100.64.0.1 / fd00:70:1::1\n' 'VPN node'
  printf '  %-18s npm run client -- --help   (walkthrough: tools/client/README.md)\n' 'client'
fi

if ! $DETACH; then
  log "press Ctrl-C to stop the services (the stack keeps running; npm run platform:stop stops both)"
  trap 'bash tools/platform/stop.sh --services-only; exit 0' INT TERM
  while sleep 1; do :; done
fi
