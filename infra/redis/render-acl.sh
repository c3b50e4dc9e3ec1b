#!/bin/sh
# render-acl.sh OUTPUT: writes Redis's aclfile from users.acl.in (beside this script), each
# user's @PASSWORD@ replaced by `#<sha256 of its password>` (so the file holds no password):
# REDIS_ADMIN_PASSWORD for `default`, REDIS_<SIDE>_PASSWORD for `phoenix_<side>`; a missing one is
# an error. POSIX sh: tools/stack/start.sh runs it, and so does the redis container of
# docker-compose.yml before starting redis-server with `--aclfile`.
set -eu
out=${1:?usage: render-acl.sh OUTPUT-FILE}
rules=$(dirname "$0")/users.acl.in
tmp="$out.tmp.$$"
set -f # the rules hold glob characters (~identity:*): never expand them
umask 077
: >"$tmp"
while IFS= read -r line || [ -n "$line" ]; do
  case $line in '' | '#'*) continue ;; esac
  # shellcheck disable=SC2086
  set -- $line
  name=$2
  case $name in
    default) var=REDIS_ADMIN_PASSWORD ;;
    phoenix_*) var=REDIS_$(printf %s "${name#phoenix_}" | tr '[:lower:]' '[:upper:]')_PASSWORD ;;
    *) echo "render-acl.sh: no password variable for Redis user $name" >&2; rm -f "$tmp"; exit 1 ;;
  esac
  eval "pw=\${$var:-}"
  if [ -z "$pw" ]; then echo "render-acl.sh: $var is not set" >&2; rm -f "$tmp"; exit 1; fi
  hash=$(printf %s "$pw" | sha256sum | cut -d' ' -f1)
  printf '%s\n' "$line" | sed "s/@PASSWORD@/#$hash/" >>"$tmp"
done <"$rules"
mv -f "$tmp" "$out"
