#!/bin/sh
# First start of the PostgreSQL volume: replication access for the optional read replica
# (postgresql-replica, profile `replica`), password-checked.
set -eu
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
