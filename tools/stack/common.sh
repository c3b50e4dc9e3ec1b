# Shared settings of the local stack (sourced by start.sh / stop.sh).
# Ports sit away from the services' defaults so a system Postgres/Redis/ClickHouse keeps working.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STACK_DIR=${PHOENIX_STACK_DIR:-$ROOT/.stack}
PG_PORT=${PHOENIX_PG_PORT:-55432}
REDIS_PORT=${PHOENIX_REDIS_PORT:-56379}
CH_HTTP_PORT=${PHOENIX_CH_HTTP_PORT:-58123}
CH_TCP_PORT=${PHOENIX_CH_TCP_PORT:-59000}
FIREBASE_AUTH_PORT=${PHOENIX_FIREBASE_AUTH_PORT:-59099}
FIREBASE_HUB_PORT=${PHOENIX_FIREBASE_HUB_PORT:-59400}
FIREBASE_PROJECT_ID=${FIREBASE_PROJECT_ID:-demo-phoenix}
SMTP_PORT=${PHOENIX_SMTP_PORT:-52525}
NGINX_PORT=${PHOENIX_NGINX_PORT:-58080}
# The per-service gateways in the same nginx (README "Gateways"), in front of the services' ports.
AUTH_GATEWAY_PORT=${PHOENIX_AUTH_GATEWAY_PORT:-58081}
CONFIG_GATEWAY_PORT=${PHOENIX_CONFIG_GATEWAY_PORT:-58082}
ANALYTICS_GATEWAY_PORT=${PHOENIX_ANALYTICS_GATEWAY_PORT:-58083}
# The local Redis Cluster (tools/stack/redis-cluster.sh, on request): three masters on these ports,
# each with its cluster bus on the port + 100 (the default + 10000 is past 65535 here).
read -r -a REDIS_CLUSTER_PORTS <<<"${PHOENIX_REDIS_CLUSTER_PORTS:-56381 56382 56383}"

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }

# pid_alive FILE: the pid in FILE names a live process.
pid_alive() { [ -s "$1" ] && kill -0 "$(head -n1 "$1")" 2>/dev/null; }

# port_busy PORT: something listens on 127.0.0.1:PORT.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_for DESCRIPTION SECONDS CMD...: retries CMD until it succeeds or time runs out.
wait_for() {
  local what=$1 secs=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.3
  done
  log "$what is up"
}

# stop_pidfile NAME PIDFILE [group]: SIGTERM to the pid recorded in PIDFILE (its process group with
# `group`), SIGKILL after 20 s; removes the file. Nothing recorded or nothing alive: nothing to do.
stop_pidfile() {
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
