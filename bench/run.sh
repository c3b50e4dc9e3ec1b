#!/usr/bin/env bash
# `npm run bench [-- NAME…]`: runs every benchmark under bench/<area>/*.bench.ts (or only those
# whose path contains one of the NAMEs). Each prints its figures as ratios against a baseline it
# measures in the same run. When a chosen benchmark needs the local stack (it reads it through
# bench/support.ts's stackEnv) and the stack is not running (.stack/env missing), this starts it
# and stops it again at the end, as `npm test` does.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

# Arguments after a `--` go to each chosen benchmark (`npm run bench -- fleet -- --nodes 1000`).
names=() flags=() seen=false
for a in "$@"; do
  if ! $seen && [ "$a" = "--" ]; then seen=true; elif $seen; then flags+=("$a"); else names+=("$a"); fi
done
set -- ${names[@]+"${names[@]}"}

benches=()
while IFS= read -r b; do
  if [ $# -gt 0 ]; then
    match=false
    for f in "$@"; do [[ "$b" == *"$f"* ]] && match=true; done
    $match || continue
  fi
  benches+=("$b")
done < <(find bench -name '*.bench.ts' | sort)
[ ${#benches[@]} -gt 0 ] || { echo "[bench] no benchmark matches: $*" >&2; exit 1; }

needs_stack=false
groups=()
for b in "${benches[@]}"; do
  grep -q 'stackEnv(' "$b" && needs_stack=true
  case $b in
    # The issuance benchmark's primary load generator is wrk (C): on two cores every microsecond
    # the client spends is taken from the server.
    bench/auth/*) groups+=(bench) ;;
    bench/wireguard/*) groups+=(node) ;;
  esac
done

# Debian packages (tools/deps/debian.sh): installed as root. Otherwise the run goes on and the
# benchmark says what it lacks (without wrk the auth benchmark measures with autocannon alone).
if [ ${#groups[@]} -gt 0 ]; then
  # shellcheck source=tools/deps/debian.sh
  source tools/deps/debian.sh
  deps_ensure "${groups[@]}" || echo "[bench] going on without them" >&2
fi

[ -x node_modules/.bin/nx ] || npm install --no-audit --no-fund

started_stack=false
if $needs_stack; then
  [ -f .stack/env ] || started_stack=true
  # The trap comes first: a start that fails half-way still stops what it started.
  cleanup() { if $started_stack; then bash tools/stack/stop.sh; fi; }
  trap cleanup EXIT
  bash tools/stack/start.sh
fi

status=0
for b in "${benches[@]}"; do
  echo "==> $b"
  node -r @swc-node/register "$b" ${flags[@]+"${flags[@]}"} || status=$?
  echo
done
exit $status
