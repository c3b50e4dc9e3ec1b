#!/usr/bin/env bash
# Starts the local stack of real servers Phoenix needs, idempotently:
#   PostgreSQL (Debian's), Redis, ClickHouse (Debian's clickhouse-server), Firebase Auth emulator,
#   an SMTP sink (Debian's python3-aiosmtpd) that keeps every mail it receives in .stack/mail/,
#   nginx (Debian's nginx-light) serving the blocklist's CDN origin .stack/blocklist-origin/ and the
#   per-service gateways in front of auth-service, config-service and analytics-service;
#   with PHOENIX_REDIS_CLUSTER=1 also a three-master Redis Cluster (tools/stack/redis-cluster.sh).
# Data and logs live under .stack/ (git-ignored); connection URLs go to .stack/env, which the apps
# (tools/platform) and the integration tests read. Stop with tools/stack/stop.sh.
set -euo pipefail
source "$(dirname "$0")/common.sh"

# The servers' Debian packages (the list and the installer are tools/deps/debian.sh's).
# shellcheck source=tools/deps/debian.sh
source "$ROOT/tools/deps/debian.sh"
ensure_packages() { deps_ensure stack || die "the local stack needs the Debian packages above"; }

secret() { head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

mkdir -p "$STACK_DIR"
ensure_packages

# Passwords are made once per checkout and kept in .stack/secrets (mode 0600). One missing from
# an older checkout's file (the Redis users' came later) is added; existing ones never change.
SECRETS=$STACK_DIR/secrets
REDIS_SIDES=(IDENTITY NETWORK NODE ANALYTICS JOBS)
umask 077
touch "$SECRETS"
for name in PG_ADMIN PG_IDENTITY PG_NETWORK REDIS_ADMIN "${REDIS_SIDES[@]/#/REDIS_}"; do
  grep -q "^${name}_PASSWORD=" "$SECRETS" || echo "${name}_PASSWORD=$(secret)" >>"$SECRETS"
done
umask 022
# shellcheck disable=SC1090
source "$SECRETS"

# ---------------------------------------------------------------- PostgreSQL
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
PGDIR=$STACK_DIR/postgres
# Postgres refuses to run as root: as root we run it as Debian's `postgres` user.
if [ "$(id -u)" -eq 0 ]; then as_pg() { runuser -u postgres -- "$@"; }; else as_pg() { "$@"; }; fi
start_postgres() {
  mkdir -p "$PGDIR/run"
  [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$PGDIR"
  if [ ! -s "$PGDIR/data/PG_VERSION" ]; then
    log "initialising PostgreSQL cluster in $PGDIR/data"
    local pw; pw=$(mktemp); echo "$PG_ADMIN_PASSWORD" >"$pw"
    [ "$(id -u)" -eq 0 ] && chown postgres "$pw"
    as_pg "$PGBIN/initdb" -D "$PGDIR/data" -U postgres --pwfile="$pw" \
      --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$PGDIR/initdb.log"
    rm -f "$pw"
  fi
  if as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" status >/dev/null 2>&1; then
    log "PostgreSQL already running"
  else
    port_busy "$PG_PORT" && die "port $PG_PORT is taken by another process (set PHOENIX_PG_PORT)"
    as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/postgres.log" -w -t 60 \
      -o "-p $PG_PORT -k $PGDIR/run -c listen_addresses=127.0.0.1" start >/dev/null
    log "PostgreSQL is up"
  fi
}

# The two sides get separate roles and databases; CONNECT is revoked from PUBLIC so a role can
# reach only its own database (privacy invariant 1: enforced by grants, not by convention).
setup_databases() {
  PGPASSWORD=$PG_ADMIN_PASSWORD psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -q <<SQL >/dev/null
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'phoenix_identity') THEN
    CREATE ROLE phoenix_identity LOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'phoenix_network') THEN
    CREATE ROLE phoenix_network LOGIN;
  END IF;
END \$\$;
ALTER ROLE phoenix_identity PASSWORD '$PG_IDENTITY_PASSWORD' NOSUPERUSER NOCREATEDB NOCREATEROLE;
ALTER ROLE phoenix_network PASSWORD '$PG_NETWORK_PASSWORD' NOSUPERUSER NOCREATEDB NOCREATEROLE;
SELECT 'CREATE DATABASE phoenix_identity OWNER phoenix_identity'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'phoenix_identity') \gexec
SELECT 'CREATE DATABASE phoenix_network OWNER phoenix_network'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'phoenix_network') \gexec
REVOKE CONNECT, TEMPORARY ON DATABASE phoenix_identity FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE phoenix_network FROM PUBLIC;
REVOKE CONNECT ON DATABASE postgres FROM PUBLIC;
REVOKE CONNECT ON DATABASE template1 FROM PUBLIC;
GRANT CONNECT ON DATABASE phoenix_identity TO phoenix_identity;
GRANT CONNECT ON DATABASE phoenix_network TO phoenix_network;
SQL
}

# ---------------------------------------------------------------- Redis
REDISDIR=$STACK_DIR/redis
REDIS_ACLFILE=$REDISDIR/users.acl
# redis-cli as the admin: the `default` user, whose password is in .stack/secrets.
redis_admin() { REDISCLI_AUTH=$REDIS_ADMIN_PASSWORD redis-cli -p "$REDIS_PORT" "$@"; }
redis_ready() { [ "$(redis_admin ping 2>/dev/null)" = PONG ]; }
# One Redis user per side (privacy invariant 1 for keys and transport channels, by ACL), from
# infra/redis/users.acl.in: the rules docker-compose uses too. Rendered on every start; a running
# Redis reloads it only when it changed (ACL LOAD disconnects the clients of the users it replaces).
render_redis_acl() {
  (
    for side in ADMIN "${REDIS_SIDES[@]}"; do export "REDIS_${side}_PASSWORD"; done
    sh "$ROOT/infra/redis/render-acl.sh" "$1"
  )
}
start_redis() {
  mkdir -p "$REDISDIR"
  local next=$REDIS_ACLFILE.next
  render_redis_acl "$next"
  if pid_alive "$REDISDIR/redis.pid"; then
    if [ "$(redis_admin config get aclfile 2>/dev/null | tail -n1)" = "$REDIS_ACLFILE" ]; then
      if cmp -s "$next" "$REDIS_ACLFILE"; then rm -f "$next"; log "Redis already running"; return; fi
      mv -f "$next" "$REDIS_ACLFILE"
      [ "$(redis_admin acl load 2>&1)" = OK ] || die "Redis refused $REDIS_ACLFILE (see $REDISDIR/redis.log)"
      log "Redis already running; its users reloaded from $REDIS_ACLFILE"
      return
    fi
    # Started by an older checkout: no users, no password, and `aclfile` cannot be set at run
    # time. Restart it (SIGTERM: Redis syncs its append-only file and exits; the data stays).
    log "Redis runs without its users (started by an older checkout): restarting it with them"
    local pid; pid=$(head -n1 "$REDISDIR/redis.pid")
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then die "Redis (pid $pid) did not stop in 20 s"; fi
  fi
  mv -f "$next" "$REDIS_ACLFILE"
  port_busy "$REDIS_PORT" && die "port $REDIS_PORT is taken by another process (set PHOENIX_REDIS_PORT)"
  # Append-only file on: spent tokens must survive a restart.
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --dir "$REDISDIR" \
    --pidfile "$REDISDIR/redis.pid" --logfile "$REDISDIR/redis.log" --appendonly yes --save '' \
    --aclfile "$REDIS_ACLFILE" </dev/null >/dev/null 2>&1
  wait_for Redis 30 redis_ready || die "Redis did not start (see $REDISDIR/redis.log)"
}

# ---------------------------------------------------------------- ClickHouse
CHDIR=$STACK_DIR/clickhouse
start_clickhouse() {
  mkdir -p "$CHDIR/data" "$CHDIR/tmp" "$CHDIR/user_files" "$CHDIR/format_schemas"
  if pid_alive "$CHDIR/clickhouse.pid"; then log "ClickHouse already running"; return; fi
  port_busy "$CH_HTTP_PORT" && die "port $CH_HTTP_PORT is taken by another process (set PHOENIX_CH_HTTP_PORT)"
  sed -e "s|@DIR@|$CHDIR|g" -e "s|@HTTP_PORT@|$CH_HTTP_PORT|g" -e "s|@TCP_PORT@|$CH_TCP_PORT|g" \
    "$ROOT/tools/stack/clickhouse/config.xml" >"$CHDIR/config.xml"
  cp "$ROOT/tools/stack/clickhouse/users.xml" "$CHDIR/users.xml"
  # Daemons get /dev/null for stdio so they never hold a caller's pipe open.
  (cd "$CHDIR" && clickhouse-server --config-file="$CHDIR/config.xml" --pid-file="$CHDIR/clickhouse.pid" --daemon </dev/null >/dev/null 2>&1)
  wait_for ClickHouse 60 curl -fsS "http://127.0.0.1:$CH_HTTP_PORT/ping" \
    || die "ClickHouse did not start (see $CHDIR/clickhouse.err.log)"
}

# ---------------------------------------------------------------- Firebase Auth emulator
FBDIR=$STACK_DIR/firebase
start_firebase() {
  mkdir -p "$FBDIR"
  if pid_alive "$FBDIR/emulator.pid"; then log "Firebase Auth emulator already running"; return; fi
  port_busy "$FIREBASE_AUTH_PORT" && die "port $FIREBASE_AUTH_PORT is taken by another process (set PHOENIX_FIREBASE_AUTH_PORT)"
  [ -x "$ROOT/node_modules/.bin/firebase" ] || die "firebase-tools is not installed: run npm ci"
  cat >"$FBDIR/firebase.json" <<JSON
{ "emulators": {
    "auth": { "host": "127.0.0.1", "port": $FIREBASE_AUTH_PORT },
    "hub": { "host": "127.0.0.1", "port": $FIREBASE_HUB_PORT },
    "ui": { "enabled": false },
    "singleProjectMode": true } }
JSON
  # `exec setsid` in the background subshell: the recorded pid is the emulator itself, leader of its
  # own process group, so stop.sh can end it and its children by that id.
  (cd "$FBDIR" && FIREBASE_CLI_DISABLE_UPDATE_CHECK=true NO_UPDATE_NOTIFIER=1 \
    exec setsid "$ROOT/node_modules/.bin/firebase" emulators:start --only auth --project "$FIREBASE_PROJECT_ID" \
    >"$FBDIR/emulator.log" 2>&1 </dev/null) &
  echo $! >"$FBDIR/emulator.pid"
  wait_for "Firebase Auth emulator" 90 curl -fsS "http://127.0.0.1:$FIREBASE_AUTH_PORT/" \
    || die "Firebase Auth emulator did not start (see $FBDIR/emulator.log)"
}

# ---------------------------------------------------------------- SMTP sink
# aiosmtpd's Mailbox handler: a real SMTP server (EHLO, MAIL, RCPT, DATA) that stores each message
# it accepts, unmodified but for X-Peer/X-MailFrom/X-RcptTo headers, as one file of the Maildir
# .stack/mail/ (new/ holds the messages; tests read them there). It relays nothing.
SMTPDIR=$STACK_DIR/smtp
MAILDIR=$STACK_DIR/mail
# The sink greets with `220` when it is up.
smtp_ready() { (exec 3<>"/dev/tcp/127.0.0.1/$SMTP_PORT" && IFS= read -r -t 2 line <&3 && [[ $line == 220* ]]) 2>/dev/null; }
start_smtp() {
  mkdir -p "$SMTPDIR" "$MAILDIR/new" "$MAILDIR/cur" "$MAILDIR/tmp"
  if pid_alive "$SMTPDIR/smtp.pid"; then log "SMTP sink already running"; return; fi
  port_busy "$SMTP_PORT" && die "port $SMTP_PORT is taken by another process (set PHOENIX_SMTP_PORT)"
  # Debian's python3 by path: a python3 first on PATH (pyenv) does not see Debian's modules.
  # -n: stay the user we are (it would setuid nobody as root). `exec setsid`: the recorded pid is
  # the server itself, leader of its own process group.
  (exec setsid /usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" -c aiosmtpd.handlers.Mailbox "$MAILDIR" \
    >"$SMTPDIR/smtp.log" 2>&1 </dev/null) &
  echo $! >"$SMTPDIR/smtp.pid"
  wait_for "SMTP sink" 30 smtp_ready || die "SMTP sink did not start (see $SMTPDIR/smtp.log)"
}

# ---------------------------------------------------------------- nginx
# The CDN origin of the published blocklist: job-worker publishes into BLOCKLIST_ORIGIN_DIR, nginx
# serves it at BLOCKLIST_PUBLIC_URL/blocklist/… (config: tools/stack/nginx/, one server block per
# purpose in conf.d/). .stack/upstream/ is served at /upstream/ (npm run platform puts a local copy
# of the hosts list there). The per-service gateways listen on their own ports in front of the
# services' default ports (3001-3003, where npm run platform runs them); until the services run
# they answer 503 UNAVAILABLE.
NGINXDIR=$STACK_DIR/nginx
BLOCKLIST_ORIGIN=$STACK_DIR/blocklist-origin
start_nginx() {
  NGINX_LISTEN=127.0.0.1 \
    NGINX_AUTH_GATEWAY_PORT=$AUTH_GATEWAY_PORT NGINX_AUTH_SERVICE=127.0.0.1:3001 \
    NGINX_CONFIG_GATEWAY_PORT=$CONFIG_GATEWAY_PORT NGINX_CONFIG_SERVICE=127.0.0.1:3002 \
    NGINX_ANALYTICS_GATEWAY_PORT=$ANALYTICS_GATEWAY_PORT NGINX_ANALYTICS_SERVICE=127.0.0.1:3003 \
    bash "$ROOT/tools/stack/nginx/nginx.sh" start "$NGINXDIR" "$NGINX_PORT" "$BLOCKLIST_ORIGIN" "$STACK_DIR/upstream" \
    || die "nginx did not start (see $NGINXDIR/error.log)"
}

start_postgres
setup_databases
start_redis
start_clickhouse
start_firebase
start_smtp
start_nginx

ENV_FILE=$STACK_DIR/env
umask 077
cat >"$ENV_FILE" <<ENV
# Written by tools/stack/start.sh — connection settings of the local stack.
IDENTITY_DATABASE_URL=postgres://phoenix_identity:$PG_IDENTITY_PASSWORD@127.0.0.1:$PG_PORT/phoenix_identity
NETWORK_DATABASE_URL=postgres://phoenix_network:$PG_NETWORK_PASSWORD@127.0.0.1:$PG_PORT/phoenix_network
PHOENIX_PG_ADMIN_URL=postgres://postgres:$PG_ADMIN_PASSWORD@127.0.0.1:$PG_PORT/postgres
REDIS_URL=redis://default:$REDIS_ADMIN_PASSWORD@127.0.0.1:$REDIS_PORT
REDIS_URL_IDENTITY=redis://phoenix_identity:$REDIS_IDENTITY_PASSWORD@127.0.0.1:$REDIS_PORT
REDIS_URL_NETWORK=redis://phoenix_network:$REDIS_NETWORK_PASSWORD@127.0.0.1:$REDIS_PORT
REDIS_URL_NODE=redis://phoenix_node:$REDIS_NODE_PASSWORD@127.0.0.1:$REDIS_PORT
REDIS_URL_ANALYTICS=redis://phoenix_analytics:$REDIS_ANALYTICS_PASSWORD@127.0.0.1:$REDIS_PORT
REDIS_URL_JOBS=redis://phoenix_jobs:$REDIS_JOBS_PASSWORD@127.0.0.1:$REDIS_PORT
CLICKHOUSE_URL=http://127.0.0.1:$CH_HTTP_PORT
FIREBASE_PROJECT_ID=$FIREBASE_PROJECT_ID
FIREBASE_AUTH_EMULATOR_HOST=127.0.0.1:$FIREBASE_AUTH_PORT
SMTP_URL=smtp://127.0.0.1:$SMTP_PORT
PHOENIX_MAIL_DIR=$MAILDIR
BLOCKLIST_PUBLIC_URL=http://127.0.0.1:$NGINX_PORT
BLOCKLIST_ORIGIN_DIR=$BLOCKLIST_ORIGIN
PHOENIX_AUTH_GATEWAY_URL=http://127.0.0.1:$AUTH_GATEWAY_PORT
PHOENIX_CONFIG_GATEWAY_URL=http://127.0.0.1:$CONFIG_GATEWAY_PORT
PHOENIX_ANALYTICS_GATEWAY_URL=http://127.0.0.1:$ANALYTICS_GATEWAY_PORT
ENV
umask 022
# The local Redis Cluster (README "Redis Cluster"): started on request (PHOENIX_REDIS_CLUSTER=1);
# one already running gets its users reloaded if they changed and its lines back in .stack/env.
if [ "${PHOENIX_REDIS_CLUSTER:-0}" = 1 ]; then
  bash "$ROOT/tools/stack/redis-cluster.sh" start || die "the Redis Cluster did not start (PHOENIX_REDIS_CLUSTER=1)"
else
  bash "$ROOT/tools/stack/redis-cluster.sh" env
fi
log "stack ready; connection settings in $ENV_FILE:"
grep -v '^#' "$ENV_FILE" | sed -E 's#(://[^:]+:)[^@]+@#\1***@#' >&2
