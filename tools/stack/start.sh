#!/usr/bin/env bash
# Starts the local stack of real servers Phoenix needs, idempotently:
#   PostgreSQL (Debian's), Redis, ClickHouse (Debian's clickhouse-server), Firebase Auth emulator.
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

# Passwords are made once per checkout and kept in .stack/secrets (mode 0600).
SECRETS=$STACK_DIR/secrets
if [ ! -s "$SECRETS" ]; then
  umask 077
  {
    echo "PG_ADMIN_PASSWORD=$(secret)"
    echo "PG_IDENTITY_PASSWORD=$(secret)"
    echo "PG_NETWORK_PASSWORD=$(secret)"
  } >"$SECRETS"
  umask 022
fi
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
start_redis() {
  mkdir -p "$REDISDIR"
  if pid_alive "$REDISDIR/redis.pid"; then log "Redis already running"; return; fi
  port_busy "$REDIS_PORT" && die "port $REDIS_PORT is taken by another process (set PHOENIX_REDIS_PORT)"
  # Append-only file on: spent tokens must survive a restart.
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --dir "$REDISDIR" \
    --pidfile "$REDISDIR/redis.pid" --logfile "$REDISDIR/redis.log" --appendonly yes --save '' </dev/null >/dev/null 2>&1
  wait_for Redis 30 redis-cli -p "$REDIS_PORT" ping || die "Redis did not start (see $REDISDIR/redis.log)"
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

start_postgres
setup_databases
start_redis
start_clickhouse
start_firebase

ENV_FILE=$STACK_DIR/env
umask 077
cat >"$ENV_FILE" <<ENV
# Written by tools/stack/start.sh — connection settings of the local stack.
IDENTITY_DATABASE_URL=postgres://phoenix_identity:$PG_IDENTITY_PASSWORD@127.0.0.1:$PG_PORT/phoenix_identity
NETWORK_DATABASE_URL=postgres://phoenix_network:$PG_NETWORK_PASSWORD@127.0.0.1:$PG_PORT/phoenix_network
PHOENIX_PG_ADMIN_URL=postgres://postgres:$PG_ADMIN_PASSWORD@127.0.0.1:$PG_PORT/postgres
REDIS_URL=redis://127.0.0.1:$REDIS_PORT
CLICKHOUSE_URL=http://127.0.0.1:$CH_HTTP_PORT
FIREBASE_PROJECT_ID=$FIREBASE_PROJECT_ID
FIREBASE_AUTH_EMULATOR_HOST=127.0.0.1:$FIREBASE_AUTH_PORT
ENV
umask 022
log "stack ready; connection settings in $ENV_FILE:"
grep -v '^#' "$ENV_FILE" | sed -E 's#(://[^:]+:)[^@]+@#\1***@#' >&2
