#!/usr/bin/env bash
# A PostgreSQL server for the distributed-store tests, on a fresh Debian/Ubuntu machine, as root.
# Installs postgresql if missing, starts a cluster, creates role and database hptune (password hptune) and
# prints the store URL as its last line (it exports nothing): HPTUNE_TEST_PG_URL=$(bash .ci/postgres.sh | tail -n 1)
# Safe to run again: what exists is kept.
set -euo pipefail

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi

version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$version main"; then
  pg_createcluster "$version" main >&2
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}' | grep -q online; then
  pg_ctlcluster "$version" main start >&2
fi
port=$(pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $3}')

for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p "$port" && break
  sleep 1
done
pg_isready -h 127.0.0.1 -p "$port" >&2

psql_admin() { su postgres -c "psql -v ON_ERROR_STOP=1 -q -p $port $*" >&2; }
psql_admin "-c \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hptune') THEN CREATE ROLE hptune LOGIN PASSWORD 'hptune'; END IF; END \\\$\\\$;\""
if ! su postgres -c "psql -p $port -tAc \"SELECT 1 FROM pg_database WHERE datname = 'hptune'\"" | grep -q 1; then
  psql_admin "-c 'CREATE DATABASE hptune OWNER hptune'"
fi

echo "postgresql://hptune:hptune@127.0.0.1:${port}/hptune"
