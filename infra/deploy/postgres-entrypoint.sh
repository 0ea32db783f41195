#!/bin/sh
# Runs as root before the image's own entrypoint: the WAL archive volume belongs to postgres.
set -eu
mkdir -p /var/lib/shopops/pitr/wal /var/lib/shopops/pitr/base
chown -R postgres:postgres /var/lib/shopops/pitr
exec docker-entrypoint.sh "$@"
