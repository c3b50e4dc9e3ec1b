#!/bin/sh
# Runs once when the Postgres container's data directory is new: one role and one database per
# side, CONNECT revoked from PUBLIC (template1 included) so each role reaches its own database only.
# The same grants as tools/stack/start.sh (tools/workspace/init-roles.integration-spec.ts compares them).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE phoenix_identity LOGIN PASSWORD '${IDENTITY_DB_PASSWORD}';
CREATE ROLE phoenix_network LOGIN PASSWORD '${NETWORK_DB_PASSWORD}';
CREATE DATABASE phoenix_identity OWNER phoenix_identity;
CREATE DATABASE phoenix_network OWNER phoenix_network;
REVOKE CONNECT, TEMPORARY ON DATABASE phoenix_identity FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE phoenix_network FROM PUBLIC;
REVOKE CONNECT ON DATABASE postgres FROM PUBLIC;
REVOKE CONNECT ON DATABASE template1 FROM PUBLIC;
GRANT CONNECT ON DATABASE phoenix_identity TO phoenix_identity;
GRANT CONNECT ON DATABASE phoenix_network TO phoenix_network;
SQL
