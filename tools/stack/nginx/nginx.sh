#!/usr/bin/env bash
# The local stack's nginx: renders tools/stack/nginx/{nginx.conf.in,conf.d/*.conf.in} into DIR and
# runs nginx from there as the invoking user (pid, logs and temp files under DIR), listening on
# 127.0.0.1:PORT only. tools/stack/start.sh runs it for the stack; specs run their own instance.
#
#   nginx.sh start DIR PORT ORIGIN_DIR UPSTREAM_DIR   idempotent: reloads a running nginx whose
#                                                     rendered config changed
#   nginx.sh stop DIR                                 by the pid in DIR/nginx.pid
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

say() { printf '[nginx] %s\n' "$*" >&2; }
fail() { printf '[nginx] ERROR: %s\n' "$*" >&2; exit 1; }
alive() { [ -s "$1/nginx.pid" ] && kill -0 "$(head -n1 "$1/nginx.pid")" 2>/dev/null; }

render() { # DIR PORT ORIGIN_DIR UPSTREAM_DIR OUT
  local dir=$1 port=$2 origin=$3 upstream=$4 out=$5 user_line='' t
  # As root, workers would drop to `nobody`: keep them the invoking user. Otherwise the directive
  # is meaningless (nginx warns), so it is left out.
  [ "$(id -u)" -eq 0 ] && user_line="user $(id -un) $(id -gn);"
  mkdir -p "$out/conf.d"
  for t in "$HERE/nginx.conf.in" "$HERE"/conf.d/*.conf.in; do
    sed -e "s|@USER_LINE@|$user_line|" -e "s|@DIR@|$dir|g" -e "s|@PORT@|$port|g" \
      -e "s|@ORIGIN_DIR@|$origin|g" -e "s|@UPSTREAM_DIR@|$upstream|g" \
      "$t" >"$out/${t#"$HERE/"}"
  done
  for t in "$out/nginx.conf.in" "$out"/conf.d/*.conf.in; do mv -f "$t" "${t%.in}"; done
}

start() {
  [ $# -eq 4 ] || fail "usage: nginx.sh start DIR PORT ORIGIN_DIR UPSTREAM_DIR"
  local dir=$1 port=$2 origin=$3 upstream=$4
  [ -x "$NGINX" ] || fail "nginx is not installed (Debian: nginx-light; tools/deps/debian.sh, group stack)"
  mkdir -p "$dir/tmp" "$origin" "$upstream"
  local next=$dir/conf.next
  rm -rf "$next"
  render "$dir" "$port" "$origin" "$upstream" "$next"
  if alive "$dir" && diff -q "$next/nginx.conf" "$dir/nginx.conf" >/dev/null 2>&1 && diff -rq "$next/conf.d" "$dir/conf.d" >/dev/null 2>&1; then
    rm -rf "$next"; say "nginx already running (127.0.0.1:$port)"; return
  fi
  rm -rf "$dir/conf.d"; mv "$next/conf.d" "$dir/conf.d"; mv -f "$next/nginx.conf" "$dir/nginx.conf"; rm -rf "$next"
  "$NGINX" -t -q -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" || fail "nginx refused $dir/nginx.conf (see above)"
  if alive "$dir"; then
    kill -HUP "$(head -n1 "$dir/nginx.pid")"
    say "nginx reloaded its changed config (127.0.0.1:$port)"
    return
  fi
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && fail "port $port is taken by another process (set PHOENIX_NGINX_PORT)"
  # Daemonizes: the master's pid lands in DIR/nginx.pid. /dev/null for stdio: it never holds a caller's pipe.
  "$NGINX" -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" </dev/null >/dev/null 2>&1 || fail "nginx did not start (see $dir/error.log)"
  for _ in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && alive "$dir" && { say "nginx is up (127.0.0.1:$port)"; return; }
    sleep 0.1
  done
  fail "nginx did not answer on 127.0.0.1:$port (see $dir/error.log)"
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
  *) fail "usage: nginx.sh start DIR PORT ORIGIN_DIR UPSTREAM_DIR | nginx.sh stop DIR" ;;
esac
