#!/usr/bin/env bash
# tools/stack/redis-cluster.sh start|stop [--wipe]|env
#
# A real local Redis Cluster beside the stack's Redis (README "Redis Cluster"): three masters,
# `redis-server --cluster-enabled yes` on 127.0.0.1 ports $REDIS_CLUSTER_PORTS (56381-56383; their
# cluster bus on the port + 100), each with its own directory under .stack/redis-cluster/<port>/
# (append-only file on, nodes.conf), joined by `redis-cli --cluster create … --cluster-replicas 0`.
# Every node loads the stack's aclfile (.stack/redis/users.acl): the same per-side users.
#
#   start  starts what is not running (idempotent; a cluster created before keeps its slots), reloads
#          the users on every node when the aclfile changed, waits for cluster_state:ok, and writes
#          REDIS_CLUSTER_NODES and REDIS_CLUSTER_URL[_<SIDE>] (redis+cluster:// URLs) to .stack/env.
#          Needs the stack's Redis users: tools/stack/start.sh runs it with PHOENIX_REDIS_CLUSTER=1.
#   stop   stops the nodes by the pids they recorded and removes those lines; --wipe deletes the data.
#   env    for a running cluster: reloads its users when the aclfile changed and (re)writes its
#          .stack/env lines (start.sh runs it after rewriting the file); otherwise removes them.
set -euo pipefail
# shellcheck source=tools/stack/common.sh
source "$(dirname "$0")/common.sh"

CLUSTER_DIR=$STACK_DIR/redis-cluster
ACLFILE=$STACK_DIR/redis/users.acl
SECRETS=$STACK_DIR/secrets
ENV_FILE=$STACK_DIR/env
REDIS_SIDES=(IDENTITY NETWORK NODE ANALYTICS JOBS)

load_secrets() {
  if [ ! -s "$SECRETS" ] || [ ! -s "$ACLFILE" ]; then die "the Redis Cluster needs the stack's Redis users: run tools/stack/start.sh first (PHOENIX_REDIS_CLUSTER=1 bash tools/stack/start.sh starts both)"; fi
  # shellcheck disable=SC1090
  source "$SECRETS"
}
node_admin() { local port=$1; shift; REDISCLI_AUTH=$REDIS_ADMIN_PASSWORD redis-cli -p "$port" "$@"; }
node_ready() { [ "$(node_admin "$1" ping 2>/dev/null)" = PONG ]; }
cluster_field() { node_admin "$1" cluster info 2>/dev/null | tr -d '\r' | sed -n "s/^$2://p"; }
cluster_ok() {
  local p
  for p in "${REDIS_CLUSTER_PORTS[@]}"; do
    [ "$(cluster_field "$p" cluster_state)" = ok ] || return 1
    [ "$(cluster_field "$p" cluster_known_nodes)" = "${#REDIS_CLUSTER_PORTS[@]}" ] || return 1
  done
}
running() {
  local p
  for p in "${REDIS_CLUSTER_PORTS[@]}"; do pid_alive "$CLUSTER_DIR/$p/redis.pid" || return 1; done
}

start_node() {
  local port=$1 dir=$CLUSTER_DIR/$1
  mkdir -p "$dir"
  if pid_alive "$dir/redis.pid"; then return; fi
  port_busy "$port" && die "port $port is taken by another process (set PHOENIX_REDIS_CLUSTER_PORTS)"
  port_busy $((port + 100)) && die "port $((port + 100)) (cluster bus of $port) is taken by another process (set PHOENIX_REDIS_CLUSTER_PORTS)"
  # Append-only file on, as the stack's Redis: spent tokens must survive a restart.
  redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --dir "$dir" \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --appendonly yes --save '' \
    --aclfile "$ACLFILE" --cluster-enabled yes --cluster-config-file "$dir/nodes.conf" \
    --cluster-port $((port + 100)) --cluster-node-timeout 5000 </dev/null >/dev/null 2>&1
  wait_for "Redis Cluster node $port" 30 node_ready "$port" || die "Redis Cluster node $port did not start (see $dir/redis.log)"
}

# The users of a running node come from the aclfile it loaded; reload them when it changed since.
reload_users() {
  local sum; sum=$(sha256sum "$ACLFILE" | cut -d' ' -f1)
  [ "$(cat "$CLUSTER_DIR/users.sha256" 2>/dev/null)" = "$sum" ] && return
  local p
  for p in "${REDIS_CLUSTER_PORTS[@]}"; do
    [ "$(node_admin "$p" acl load 2>&1)" = OK ] || die "Redis Cluster node $p refused $ACLFILE (see $CLUSTER_DIR/$p/redis.log)"
  done
  echo "$sum" >"$CLUSTER_DIR/users.sha256"
}

create_cluster() {
  cluster_ok && { log "Redis Cluster already formed"; return; }
  local p assigned=0
  for p in "${REDIS_CLUSTER_PORTS[@]}"; do
    assigned=$((assigned + $(cluster_field "$p" cluster_slots_assigned)))
  done
  if [ "$assigned" -eq 0 ]; then
    local hosts=()
    for p in "${REDIS_CLUSTER_PORTS[@]}"; do hosts+=("127.0.0.1:$p"); done
    log "creating the Redis Cluster on ${hosts[*]}"
    REDISCLI_AUTH=$REDIS_ADMIN_PASSWORD redis-cli --cluster create "${hosts[@]}" --cluster-replicas 0 --cluster-yes \
      >"$CLUSTER_DIR/create.log" 2>&1 || die "redis-cli --cluster create failed (see $CLUSTER_DIR/create.log)"
  fi
  # Restarted nodes find each other from their nodes.conf; a fresh cluster agrees over the bus.
  wait_for "Redis Cluster (cluster_state:ok)" 30 cluster_ok \
    || die "the Redis Cluster did not reach cluster_state:ok (nodes' logs: $CLUSTER_DIR/*/redis.log; \`bash tools/stack/redis-cluster.sh stop --wipe\` starts over)"
}

# The cluster's lines of .stack/env, replacing any earlier ones (mode 0600: it holds passwords).
write_env() {
  [ -f "$ENV_FILE" ] || die "$ENV_FILE is missing: run tools/stack/start.sh"
  local nodes="" p side
  for p in "${REDIS_CLUSTER_PORTS[@]}"; do nodes+="${nodes:+,}127.0.0.1:$p"; done
  umask 077
  {
    grep -v '^REDIS_CLUSTER_' "$ENV_FILE" || true
    echo "REDIS_CLUSTER_NODES=$nodes"
    echo "REDIS_CLUSTER_URL=redis+cluster://default:$REDIS_ADMIN_PASSWORD@$nodes"
    for side in "${REDIS_SIDES[@]}"; do
      local var="REDIS_${side}_PASSWORD"
      echo "REDIS_CLUSTER_URL_$side=redis+cluster://phoenix_$(echo "$side" | tr '[:upper:]' '[:lower:]'):${!var}@$nodes"
    done
  } >"$ENV_FILE.next"
  mv -f "$ENV_FILE.next" "$ENV_FILE"
}

remove_env() {
  [ -f "$ENV_FILE" ] || return 0
  umask 077
  { grep -v '^REDIS_CLUSTER_' "$ENV_FILE" || true; } >"$ENV_FILE.next"
  mv -f "$ENV_FILE.next" "$ENV_FILE"
}

case "${1:-}" in
  start)
    if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then die "the Redis Cluster needs redis-server and redis-cli (tools/deps/debian.sh)"; fi
    load_secrets
    mkdir -p "$CLUSTER_DIR"
    was_running=0
    for p in "${REDIS_CLUSTER_PORTS[@]}"; do
      if pid_alive "$CLUSTER_DIR/$p/redis.pid"; then was_running=$((was_running + 1)); fi
      start_node "$p"
    done
    # Nodes just started loaded the aclfile as it is now; any that ran before may hold older users.
    if [ "$was_running" -eq 0 ]; then sha256sum "$ACLFILE" | cut -d' ' -f1 >"$CLUSTER_DIR/users.sha256"; else reload_users; fi
    create_cluster
    write_env
    log "Redis Cluster ready on 127.0.0.1:${REDIS_CLUSTER_PORTS[*]} (REDIS_CLUSTER_URL* in $ENV_FILE)"
    ;;
  stop)
    for p in "${REDIS_CLUSTER_PORTS[@]}"; do stop_pidfile "Redis Cluster node $p" "$CLUSTER_DIR/$p/redis.pid"; done
    remove_env
    if [ "${2:-}" = "--wipe" ]; then rm -rf "$CLUSTER_DIR"; log "wiped $CLUSTER_DIR"; fi
    ;;
  env)
    running || { remove_env; exit 0; }
    load_secrets
    reload_users
    write_env
    ;;
  *)
    echo "usage: $0 start | stop [--wipe] | env" >&2
    exit 2
    ;;
esac
