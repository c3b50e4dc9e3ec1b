# Shared settings of the platform runner (sourced by run.sh / stop.sh).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STACK_DIR=${PHOENIX_STACK_DIR:-$ROOT/.stack}
RUN_DIR=$STACK_DIR/platform
# app:port — the API.md default ports.
SERVICES=(auth-service:3001 config-service:3002 analytics-service:3003 job-worker:3004 node-daemon:3005)
log() { printf '[platform] %s\n' "$*" >&2; }
