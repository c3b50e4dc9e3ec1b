# shellcheck shell=bash
# The Debian packages Phoenix needs, in named groups, and the one function that installs them.
# Sourced (never run) by tools/stack/start.sh, tools/platform/run.sh, tools/test/all.sh and
# bench/run.sh:
#
#   source tools/deps/debian.sh
#   deps_ensure stack node test     # installs what is missing (as root), or fails naming it
#
# Groups:
#   stack  the servers of the local stack and what tools/stack drives them with (python3-aiosmtpd:
#          the SMTP sink auth-service's notification mails land in; nginx-light: the blocklist's
#          CDN origin, later the per-service gateways)
#   node   a VPN node in a network namespace (node-daemon's namespace suites, tools/e2e, the
#          `nft -c` check, the platform's local node)
#   test   what other suites call: docker-compose (validates infra/'s compose file offline; no
#          Docker engine is needed), openssl (auth-service's App Store test certificates),
#          chromium and fonts-dejavu-core (analytics-service's /dashboard in headless Chromium)
#   bench  wrk, the issuance benchmark's load generator
#
# --no-install-recommends: the suites need none of the recommended packages, and they are large —
# wireguard-tools recommends a kernel image (with initramfs-tools, udev, kmod) for the WireGuard
# module, docker-compose recommends the Docker engine (docker.io, containerd, runc). Checked with
# `apt-get install -s` on Debian 12: 94 packages with recommends, 56 without.

# shellcheck disable=SC2034 # read through a nameref in deps_missing
DEPS_GROUP_stack=(postgresql redis-server clickhouse-server clickhouse-client python3-aiosmtpd nginx-light curl util-linux procps)
# shellcheck disable=SC2034
DEPS_GROUP_node=(wireguard-go wireguard-tools nftables iproute2 iputils-ping)
# shellcheck disable=SC2034
DEPS_GROUP_test=(docker-compose openssl chromium fonts-dejavu-core)
# shellcheck disable=SC2034
DEPS_GROUP_bench=(wrk)

# deps_present PACKAGE: what the project uses from PACKAGE is on this machine (checked by the
# program it provides, so a machine without dpkg that has the programs passes too).
deps_present() {
  case $1 in
    postgresql) compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null && command -v psql >/dev/null ;;
    redis-server) command -v redis-server >/dev/null && command -v redis-cli >/dev/null ;;
    util-linux) command -v runuser >/dev/null && command -v setsid >/dev/null ;;
    procps) command -v ps >/dev/null ;;
    # Debian 12's nginx-light brings the `nginx` binary (in /usr/sbin, not on a user's PATH).
    nginx-light) command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] ;;
    # A Python module: present when Debian's python3 (not one a version manager put first on PATH) imports it.
    python3-aiosmtpd) /usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 ;;
    wireguard-tools) command -v wg >/dev/null ;;
    nftables) command -v nft >/dev/null ;;
    iproute2) command -v ip >/dev/null ;;
    iputils-ping) command -v ping >/dev/null ;;
    fonts-dejavu-core) [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] ;;
    *) command -v "$1" >/dev/null ;; # the program is named as its package
  esac
}

# deps_missing GROUP...: prints the packages of GROUPs that are not present, one per line.
deps_missing() {
  local group pkg
  for group in "$@"; do
    local -n _deps_list="DEPS_GROUP_$group"
    for pkg in "${_deps_list[@]}"; do deps_present "$pkg" || echo "$pkg"; done
    unset -n _deps_list
  done | awk '!seen[$0]++'
}

# deps_ensure GROUP...: makes sure every package of GROUPs is installed. As root, installs the
# missing ones with apt-get (idempotent: nothing happens when all are there). Otherwise, or when
# the install does not bring them, prints which packages are missing and the exact command that
# installs them, and returns 1.
deps_ensure() {
  local group
  for group in "$@"; do
    declare -p "DEPS_GROUP_$group" >/dev/null 2>&1 || { echo "[deps] unknown package group: $group" >&2; return 2; }
  done
  local missing
  mapfile -t missing < <(deps_missing "$@")
  [ ${#missing[@]} -eq 0 ] && return 0
  local cmd="apt-get install -y --no-install-recommends ${missing[*]}"
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "[deps] installing Debian packages (${*}): ${missing[*]}" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    mapfile -t missing < <(deps_missing "$@")
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "[deps] ERROR: apt-get did not install: ${missing[*]}" >&2
    return 1
  fi
  echo "[deps] ERROR: missing Debian packages (${*}): ${missing[*]}" >&2
  if [ "$(id -u)" -eq 0 ]; then
    echo "[deps] apt-get is not available here; install them with your system's package manager" >&2
  else
    echo "[deps] install them as root with:  sudo apt-get update && sudo $cmd" >&2
  fi
  return 1
}
