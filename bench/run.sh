#!/usr/bin/env bash
# `npm run bench [-- NAME…]`: runs every benchmark under bench/<area>/*.bench.ts (or only those
# whose path contains one of the NAMEs). Each prints its figures as ratios against a baseline it
# measures in the same run. Benchmarks that need servers start the local stack themselves.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
mapfile -t benches < <(find bench -name '*.bench.ts' | sort)
# The issuance benchmark's primary load generator is wrk (C): on two cores every microsecond the
# client spends is taken from the server. As root, install it as tools/stack installs the servers.
if ! command -v wrk >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "[bench] installing wrk with apt-get"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null || echo "[bench] could not install wrk"
fi
status=0
for b in "${benches[@]}"; do
  if [ $# -gt 0 ]; then
    match=false
    for f in "$@"; do [[ "$b" == *"$f"* ]] && match=true; done
    $match || continue
  fi
  echo "==> $b"
  node -r @swc-node/register "$b" || status=$?
  echo
done
exit $status
