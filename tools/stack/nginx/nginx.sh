#!/usr/bin/env bash
# The local stack's nginx: renders tools/stack/nginx/{nginx.conf.in,conf.d/*.conf.in,gateway/*.conf.in}
# into DIR and runs nginx from there as the invoking user (pid, logs and temp files under DIR),
# listening on loopback only. tools/stack/start.sh runs it for the stack; specs run their own
# instance; docker-compose runs it in a container (`run`).
#
#   nginx.sh start DIR PORT ORIGIN_DIR UPSTREAM_DIR   idempotent: reloads a running nginx whose
#                                                     rendered config changed
#   nginx.sh stop DIR                                 by the pid in DIR/nginx.pid
#   nginx.sh render DIR                               renders from the environment alone
#   nginx.sh run DIR                                  renders, then runs nginx in the foreground
#                                                     (a container's main process)
#
# A template's @NAME@ takes the value of NAME: DIR, PORT, ORIGIN_DIR, UPSTREAM_DIR (the arguments),
# USER_LINE, and any NGINX_NAME of the environment. The per-service gateways (conf.d/*-gateway.conf.in)
# take theirs from the environment:
#   NGINX_AUTH_GATEWAY_PORT, NGINX_CONFIG_GATEWAY_PORT, NGINX_ANALYTICS_GATEWAY_PORT  their ports
#   NGINX_AUTH_SERVICE, NGINX_CONFIG_SERVICE, NGINX_ANALYTICS_SERVICE   host:port of each service
#                                          (default 127.0.0.1:3001, :3002, :3003, as npm run platform runs them)
#   NGINX_LISTEN                           the address the gateways listen on (default 127.0.0.1)
# A conf.d/ template with a @NAME@ left without a value (a gateway whose port was not given, the
# origin under `run` without NGINX_PORT) is left out.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

say() { printf '[nginx] %s\n' "$*" >&2; }
fail() { printf '[nginx] ERROR: %s\n' "$*" >&2; exit 1; }
alive() { [ -s "$1/nginx.pid" ] && kill -0 "$(head -n1 "$1/nginx.pid")" 2>/dev/null; }

# Placeholder values: the environment's NGINX_* first, then the arguments and defaults.
declare -A VALUES
set_values() { # DIR PORT ORIGIN_DIR UPSTREAM_DIR (any may be empty)
  local name
  VALUES=()
  for name in $(compgen -e); do [[ $name == NGINX_?* ]] && VALUES[${name#NGINX_}]=${!name}; done
  # As root, workers would drop to `nobody`: keep them the invoking user. Otherwise the directive
  # is meaningless (nginx warns), so it is left out.
  VALUES[USER_LINE]=''
  [ "$(id -u)" -eq 0 ] && VALUES[USER_LINE]="user $(id -un) $(id -gn);"
  VALUES[DIR]=$1
  [ -n "$2" ] && VALUES[PORT]=$2
  [ -n "$3" ] && VALUES[ORIGIN_DIR]=$3
  [ -n "$4" ] && VALUES[UPSTREAM_DIR]=$4
  : "${VALUES[LISTEN]:=127.0.0.1}" "${VALUES[AUTH_SERVICE]:=127.0.0.1:3001}"
  : "${VALUES[CONFIG_SERVICE]:=127.0.0.1:3002}" "${VALUES[ANALYTICS_SERVICE]:=127.0.0.1:3003}"
}

render() { # OUT
  local out=$1 t text name target
  shopt -u patsub_replacement 2>/dev/null || true # bash 5.2: `&` in a value stays literal
  mkdir -p "$out/conf.d" "$out/gateway"
  for t in "$HERE/nginx.conf.in" "$HERE"/conf.d/*.conf.in "$HERE"/gateway/*.conf.in; do
    [ -e "$t" ] || continue
    text=$(<"$t")
    for name in "${!VALUES[@]}"; do text=${text//@"$name"@/${VALUES[$name]}}; done
    target=${t#"$HERE/"}
    if [[ $text =~ @[A-Z][A-Z0-9_]*@ ]]; then
      [[ $target == conf.d/* ]] || fail "$target: no value for ${BASH_REMATCH[0]}"
      continue
    fi
    printf '%s\n' "$text" >"$out/${target%.in}"
  done
}

# The TCP ports a rendered config listens on (the origin's, the gateways', any other server's).
listen_ports() { # CONF_DIR
  local f files=("$1/nginx.conf")
  for f in "$1"/conf.d/*.conf; do [ -e "$f" ] && files+=("$f"); done
  sed -nE 's/^[[:space:]]*listen[[:space:]]+([^;[:space:]]*:)?([0-9]+)[;[:space:]].*/\2/p' "${files[@]}" | sort -un
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
  [ $# -eq 4 ] || fail "usage: nginx.sh start DIR PORT ORIGIN_DIR UPSTREAM_DIR"
  local dir=$1 port=$2 origin=$3 upstream=$4 p ports
  [ -x "$NGINX" ] || fail "nginx is not installed (Debian: nginx-light; tools/deps/debian.sh, group stack)"
  mkdir -p "$dir/tmp" "$origin" "$upstream"
  local next=$dir/conf.next
  rm -rf "$next"
  set_values "$dir" "$port" "$origin" "$upstream"
  render "$next"
  ports=$(listen_ports "$next" | tr '\n' ' ')
  if alive "$dir" && diff -q "$next/nginx.conf" "$dir/nginx.conf" >/dev/null 2>&1 \
    && diff -rq "$next/conf.d" "$dir/conf.d" >/dev/null 2>&1 && diff -rq "$next/gateway" "$dir/gateway" >/dev/null 2>&1; then
    rm -rf "$next"; say "nginx already running (127.0.0.1, ports ${ports% })"; return
  fi
  rm -rf "$dir/conf.d" "$dir/gateway"; mv "$next/conf.d" "$next/gateway" "$dir/"; mv -f "$next/nginx.conf" "$dir/nginx.conf"; rm -rf "$next"
  "$NGINX" -t -q -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" || fail "nginx refused $dir/nginx.conf (see above)"
  if alive "$dir"; then
    kill -HUP "$(head -n1 "$dir/nginx.pid")"
  else
    for p in $ports; do port_open "$p" && fail "port $p is taken by another process (PHOENIX_NGINX_PORT, PHOENIX_*_GATEWAY_PORT)"; done
    # Daemonizes: the master's pid lands in DIR/nginx.pid. /dev/null for stdio: it never holds a caller's pipe.
    "$NGINX" -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" </dev/null >/dev/null 2>&1 || fail "nginx did not start (see $dir/error.log)"
  fi
  # A reload that cannot bind a new port keeps the old config running: wait for every port.
  for _ in $(seq 1 50); do
    local all=true
    for p in $ports; do port_open "$p" || { all=false; break; }; done
    $all && alive "$dir" && { say "nginx is up (127.0.0.1, ports ${ports% })"; return; }
    sleep 0.1
  done
  fail "nginx does not answer on every one of the ports ${ports% } (taken by another process? see $dir/error.log)"
}

# For containers (docker-compose): renders from the environment alone (`render`), then runs nginx
# in the foreground (`run`).
render_env() {
  [ $# -eq 1 ] || fail "usage: nginx.sh render DIR"
  mkdir -p "$1/tmp"
  set_values "$1" "" "" ""
  render "$1"
}

run() {
  [ $# -eq 1 ] || fail "usage: nginx.sh run DIR"
  local dir=$1
  render_env "$dir"
  "$NGINX" -t -q -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" || fail "nginx refused $dir/nginx.conf (see above)"
  say "nginx listens on ports $(listen_ports "$dir" | tr '\n' ' ')"
  exec "$NGINX" -g 'daemon off;' -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf"
}

stop() {
  [ $# -eq 1 ] || fail "usage: nginx.sh stop DIR"
  local dir=$1 pid
  alive "$dir" || { rm -f "$dir/nginx.pid"; return; }
  pid=$(head -n1 "$dir/nginx.pid")
  kill -TERM "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  # The master leads its own process group (nginx daemonizes with setsid): the group takes its workers.
  kill -0 "$pid" 2>/dev/null && { say "nginx (pid $pid) did not stop in 10 s; killing it"; kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; }
  rm -f "$dir/nginx.pid"
  say "nginx stopped"
}

cmd=${1:-}; shift || true
case $cmd in
  start) start "$@" ;;
  stop) stop "$@" ;;
  render) render_env "$@" ;;
  run) run "$@" ;;
  *) fail "usage: nginx.sh start DIR PORT ORIGIN_DIR UPSTREAM_DIR | nginx.sh stop DIR | nginx.sh render|run DIR" ;;
esac
