"""Empty scratch databases beside the app's own, for the tools, tests and benches that migrate
or load one of their own (a packaged install, the image's smoke test, a stand-in replica)."""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager

import psycopg
from psycopg import sql


@contextmanager
def empty_database(admin_dsn: str, name: str, *, keep: bool = False) -> Generator[str, None, None]:
    """Create the empty database `name` on the server of `admin_dsn` (a libpq URL) and yield its
    libpq URL; drop it afterwards, its connections ended first, unless `keep`."""
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{admin_dsn.rsplit('/', 1)[0]}/{name}"
    finally:
        if not keep:
            with psycopg.connect(admin_dsn, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
