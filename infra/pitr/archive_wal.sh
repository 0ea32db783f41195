#!/bin/sh
# PostgreSQL archive_command for shopops point-in-time recovery:
#   archive_command = '/path/archive_wal.sh "%p" "%f" /var/lib/shopops/pitr/wal'
# Copies one finished WAL segment into the archive directory, atomically (copy to a temporary
# name, fsync, rename), and succeeds again when the same segment is archived twice (a retry
# after a crash). A different file under the same name is refused, so nothing is overwritten.
set -eu
src="$1"
name="$2"
dir="$3"
target="$dir/$name"
if [ -f "$target" ]; then
    if cmp -s "$src" "$target"; then
        exit 0
    fi
    echo "archive_wal: $target exists with different content; refusing to overwrite" >&2
    exit 1
fi
cp "$src" "$target.part"
sync "$target.part" 2>/dev/null || sync
mv "$target.part" "$target"
