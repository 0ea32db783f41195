"""`make migrate-check`: every alembic revision up and down on a scratch database with data,
and each revision's SQL scanned for operations that lock or rewrite big tables.

Steps: create a scratch database on the server of DATABASE_URL; upgrade to the first
revision; load representative data; upgrade one revision at a time to head; check the data is
still there; downgrade one revision at a time to base; upgrade to head again; render every
revision's SQL offline and report lock-heavy statements. Exit 1 when a step fails (and, with
--strict, when a lock-heavy statement or lost rows are found).
"""

from __future__ import annotations

import argparse
import io
import re
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from psycopg import sql
from sqlalchemy.engine import make_url

from db.engine import libpq_url, sqlalchemy_url
from db.migrate import alembic_config

# Tables that grow with the business; a long lock on them stops orders, sync or the UI.
BIG_TABLES = {
    "orders",
    "order_items",
    "orders_archive",
    "order_items_archive",
    "customers",
    "products",
    "product_translations",
    "variants",
    "stock_levels",
    "notifications",
    "webhook_events",
    "snapshot_rejects",
}
PARTITION_SUFFIX = re.compile(r"_(\d{4}q[1-4]|default)$")
VOLATILE = re.compile(
    r"\b(random|clock_timestamp|timeofday|gen_random_uuid|uuid_generate_v[14]|nextval)\s*\(", re.I
)


@dataclass(frozen=True)
class LockFinding:
    revision: str
    rule: str
    table: str
    severity: str  # high (big table) | medium
    statement: str
    advice: str


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    unless: re.Pattern[str] | None
    advice: str


def _rule(name: str, pattern: str, advice: str, unless: str | None = None) -> Rule:
    return Rule(
        name,
        re.compile(pattern, re.I | re.S),
        re.compile(unless, re.I | re.S) if unless else None,
        advice,
    )


TABLE = r"(?:ONLY\s+)?(?P<table>[\w.\"]+)"
RULES = [
    _rule(
        "add-column-volatile-default",
        rf"^ALTER TABLE {TABLE}\s.*\bADD COLUMN\b.*\bDEFAULT\b",
        "a volatile DEFAULT rewrites every row under ACCESS EXCLUSIVE; add the column without "
        "a default, backfill in batches, then SET DEFAULT",
    ),
    _rule(
        "add-column-not-null-without-default",
        rf"^ALTER TABLE {TABLE}\s.*\bADD COLUMN\b[^,]*\bNOT NULL\b",
        "fails on a table that has rows; add it nullable, backfill, then add NOT NULL safely",
        unless=r"\bDEFAULT\b",
    ),
    _rule(
        "set-not-null",
        rf"^ALTER TABLE {TABLE}\s.*\bALTER COLUMN\s+\S+\s+SET NOT NULL",
        "scans the whole table under ACCESS EXCLUSIVE; first ADD CONSTRAINT … CHECK (col IS NOT "
        "NULL) NOT VALID, VALIDATE it, then SET NOT NULL (PostgreSQL 12+ skips the scan)",
    ),
    _rule(
        "alter-column-type",
        rf"^ALTER TABLE {TABLE}\s.*\bALTER COLUMN\s+\S+\s+(SET DATA\s+)?TYPE\b",
        "most type changes rewrite the table and its indexes under ACCESS EXCLUSIVE; add a new "
        "column, backfill in batches, switch reads, drop the old one",
    ),
    _rule(
        "create-index-blocking",
        rf"^CREATE\s+(UNIQUE\s+)?INDEX\s+(?!CONCURRENTLY)(IF NOT EXISTS\s+)?\S*\s*ON\s+{TABLE}",
        "blocks writes for the whole build; use CREATE INDEX CONCURRENTLY in an "
        "autocommit_block (on a partitioned table: ON ONLY the parent, concurrently per "
        "partition, then ATTACH PARTITION)",
    ),
    _rule(
        "add-constraint-validating",
        rf"^ALTER TABLE {TABLE}\s.*\bADD\b.*\b(FOREIGN KEY|CHECK)\b",
        "validates every row while holding the lock; add it NOT VALID, then VALIDATE "
        "CONSTRAINT in a later step (takes a weaker lock)",
        unless=r"\bNOT VALID\b",
    ),
    _rule(
        "add-unique-or-primary-key",
        rf"^ALTER TABLE {TABLE}\s.*\bADD\b.*\b(UNIQUE|PRIMARY KEY)\b",
        "builds an index under ACCESS EXCLUSIVE; CREATE UNIQUE INDEX CONCURRENTLY first, then "
        "ADD CONSTRAINT … USING INDEX",
        unless=r"\bUSING INDEX\b",
    ),
    _rule(
        "partition-attach-detach",
        rf"^ALTER TABLE {TABLE}\s.*\b(ATTACH|DETACH) PARTITION\b",
        "takes a (brief) ACCESS EXCLUSIVE lock on the parent and ATTACH scans the partition; "
        "set lock_timeout and retry, add a matching CHECK constraint before ATTACH",
        unless=r"\bDETACH PARTITION\b.*\bCONCURRENTLY\b",
    ),
    _rule(
        "table-rewrite-command",
        rf"^(VACUUM\s+FULL|CLUSTER|REINDEX\s+(?!.*CONCURRENTLY)(TABLE|INDEX)|LOCK\s+TABLE)\s+{TABLE}",
        "holds ACCESS EXCLUSIVE for the whole run; use REINDEX CONCURRENTLY or pg_repack",
    ),
    _rule(
        "whole-table-dml",
        rf"^(?:UPDATE|DELETE\s+FROM)\s+{TABLE}(\s|$)",
        "changes every row in one transaction (locks, bloat, replication lag); backfill in "
        "batches from a workflow",
        unless=r"\bWHERE\b",
    ),
]


def _bare(table: str) -> str:
    name = table.strip('"').split(".")[-1].strip('"').lower()
    return PARTITION_SUFFIX.sub("", name)


def statements(script: str) -> list[str]:
    """SQL statements of an offline alembic script, comments dropped, whitespace collapsed."""
    lines = [line for line in script.splitlines() if not line.lstrip().startswith("--")]
    return [" ".join(s.split()) for s in "\n".join(lines).split(";\n") if s.strip()]


def scan(revision: str, script: str) -> list[LockFinding]:
    """Lock-heavy statements of one revision; tables it creates itself are exempt."""
    stmts = statements(script)
    created = {
        m.group(1).strip('"').split(".")[-1].lower()
        for s in stmts
        if (
            m := re.match(
                r"^CREATE\s+(?:UNLOGGED\s+)?TABLE\s+(?:IF NOT EXISTS\s+)?([\w.\"]+)", s, re.I
            )
        )
    }
    found: list[LockFinding] = []
    for stmt in stmts:
        text = stmt.rstrip(";")
        for rule in RULES:
            m = rule.pattern.search(text)
            if not m or (rule.unless and rule.unless.search(text)):
                continue
            if rule.name == "add-column-volatile-default" and not VOLATILE.search(
                text.split("DEFAULT", 1)[-1]
            ):
                continue
            table = m.group("table").strip('"').split(".")[-1].lower()
            if table in created:
                continue
            severity = "high" if _bare(table) in BIG_TABLES else "medium"
            found.append(LockFinding(revision, rule.name, table, severity, text[:300], rule.advice))
    return found


SEED_SQL = """
INSERT INTO users (email, display_name, password_hash, role)
SELECT 'user' || g || '@check.local', 'User ' || g, 'x', CASE WHEN g = 1 THEN 'admin' ELSE 'member' END
FROM generate_series(1, 3) g;
INSERT INTO shops (eshop_id, name, status) SELECT 700000 + g, 'Check shop ' || g, 'active' FROM generate_series(1, 2) g;
INSERT INTO shop_memberships (user_id, shop_id, role) SELECT u.id, s.id, 'manager' FROM users u, shops s WHERE u.role = 'member';
INSERT INTO orders (shop_id, code, created_at, total_with_vat, item_count)
SELECT s.id, 'M' || g, timestamptz '2024-01-15 10:00+00' + (g % 4) * interval '3 months' + g * interval '1 minute', 150, 2
FROM shops s, generate_series(1, 250) g;
INSERT INTO order_items (shop_id, order_code, item_id, created_at, item_type, name, amount, price_with_vat)
SELECT o.shop_id, o.code, i, o.created_at, 'product', 'Item ' || i, 1, CASE WHEN i = 1 THEN 100 ELSE 50 END
FROM orders o, generate_series(1, 2) i;
INSERT INTO customers (shop_id, guid, email, full_name)
SELECT s.id, gen_random_uuid(), 'c' || g || '@example.com', 'Customer ' || g FROM shops s, generate_series(1, 50) g;
INSERT INTO products (shop_id, guid, name) SELECT s.id, gen_random_uuid(), 'Product ' || g FROM shops s, generate_series(1, 25) g;
INSERT INTO variants (shop_id, code, product_guid, price_with_vat) SELECT p.shop_id, 'V-' || p.guid, p.guid, 99 FROM products p;
INSERT INTO notifications (shop_id, level, kind, title) SELECT s.id, 'info', 'check', 'Note ' || g FROM shops s, generate_series(1, 100) g;
INSERT INTO webhook_events (shop_id, eshop_id, event, raw_body, status)
SELECT s.id, s.eshop_id, 'order:create', '{}'::bytea, 'dispatched' FROM shops s, generate_series(1, 25) g;
INSERT INTO snapshot_runs (shop_id, resource, workflow_id, status)
SELECT s.id, 'orders', 'check:' || s.id, 'completed' FROM shops s;
INSERT INTO snapshot_rejects (run_id, line_no, shop_id, raw, reason)
SELECT r.id, g, r.shop_id, '{', 'bad json' FROM snapshot_runs r, generate_series(1, 5) g;
INSERT INTO app_settings (key, shop_id, value) VALUES ('sync.interval_minutes', NULL, '7');
"""
SEEDED = [
    "users",
    "shops",
    "orders",
    "order_items",
    "customers",
    "products",
    "variants",
    "notifications",
    "webhook_events",
    "snapshot_runs",
    "snapshot_rejects",
    "app_settings",
]


@dataclass
class Report:
    steps: list[tuple[str, float, str | None]] = field(
        default_factory=list[tuple[str, float, str | None]]
    )  # (step, seconds, error)
    locks: list[LockFinding] = field(default_factory=list[LockFinding])
    unscanned: dict[str, str] = field(default_factory=dict[str, str])
    data_changes: dict[str, tuple[int, int]] = field(default_factory=dict[str, tuple[int, int]])

    @property
    def failed(self) -> bool:
        return any(error for _, _, error in self.steps)

    def step(self, name: str, action: Callable[[], object]) -> bool:
        started = time.monotonic()
        try:
            action()
        except Exception as exc:  # report every failure, whatever raised it
            self.steps.append((name, time.monotonic() - started, f"{type(exc).__name__}: {exc}"))
            return False
        self.steps.append((name, time.monotonic() - started, None))
        return True


def revision_chain(cfg: Config) -> list[tuple[str, str | None]]:
    """(revision, down_revision) from base to head; refuses a history with several heads."""
    script = ScriptDirectory.from_config(cfg)
    heads = script.get_heads()
    if len(heads) != 1:
        raise SystemExit(
            f"alembic has {len(heads)} heads ({', '.join(heads)}): re-point one revision's "
            "down_revision onto the other head so there is exactly one"
        )
    chain: list[tuple[str, str | None]] = []
    for rev in script.walk_revisions():  # head → base
        down = rev.down_revision
        if down is not None and not isinstance(down, str):
            raise SystemExit(f"revision {rev.revision} is a merge of {down}: keep the chain linear")
        chain.append((rev.revision, down))
    return list(reversed(chain))


def _one(conn: psycopg.Connection[Any], query: sql.Composed) -> Any:
    """The first column of the query's single row."""
    row = conn.execute(query).fetchone()
    assert row is not None, query
    return row[0]


def _counts(url: str, tables: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    with psycopg.connect(url) as conn:
        for table in tables:
            if _one(conn, sql.SQL("SELECT to_regclass({})").format(sql.Literal(table))):
                out[table] = _one(
                    conn, sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
                )
    return out


def _offline_sql(cfg: Config, revision: str, down: str | None) -> str:
    buffer = io.StringIO()
    cfg.output_buffer = buffer
    try:
        command.upgrade(cfg, f"{down}:{revision}" if down else revision, sql=True)
    finally:
        cfg.output_buffer = None
    return buffer.getvalue()


def check(url: str) -> Report:
    report = Report()
    base = make_url(sqlalchemy_url(url))
    scratch = f"shopops_migcheck_{secrets.token_hex(4)}"
    admin = libpq_url(base.set(database="postgres").render_as_string(hide_password=False))
    scratch_sa = base.set(database=scratch).render_as_string(hide_password=False)
    scratch_url = libpq_url(scratch_sa)
    cfg = alembic_config(scratch_sa)
    chain = revision_chain(cfg)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
    try:
        first = chain[0][0]
        ok = report.step(f"upgrade → {first}", lambda: command.upgrade(cfg, first))
        ok = ok and report.step("load representative data", lambda: _seed(scratch_url))
        before = _counts(scratch_url, SEEDED) if ok else {}
        for revision, _ in chain[1:]:
            ok = ok and report.step(
                f"upgrade → {revision}", lambda r=revision: command.upgrade(cfg, r)
            )
        if ok:
            after = _counts(scratch_url, SEEDED)
            report.data_changes = {
                t: (before[t], after.get(t, 0)) for t in before if after.get(t, 0) < before[t]
            }
        for revision, down in reversed(chain):
            target = down or "base"
            ok = ok and report.step(
                f"downgrade {revision} → {target}", lambda t=target: command.downgrade(cfg, t)
            )
        if ok:
            report.step("upgrade base → head again", lambda: command.upgrade(cfg, "head"))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch))
            )
    for revision, down in chain:
        try:
            script = _offline_sql(cfg, revision, down)
        except Exception as exc:  # a revision that needs a live connection cannot be rendered
            report.unscanned[revision] = f"{type(exc).__name__}: {exc}"
            continue
        report.locks.extend(scan(revision, script))
    return report


def _seed(url: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(SEED_SQL)


def render(report: Report) -> str:
    lines = ["migration steps:"]
    for name, seconds, error in report.steps:
        lines.append(
            f"  {'FAIL' if error else 'ok  '} {name} ({seconds:.2f} s)"
            + (f": {error}" if error else "")
        )
    if report.data_changes:
        lines.append("rows lost between the first revision and head (table: before → after):")
        lines += [f"  {t}: {b} → {a}" for t, (b, a) in sorted(report.data_changes.items())]
    lines.append(f"lock-heavy operations: {len(report.locks)}")
    for f in report.locks:
        lines.append(f"  [{f.severity}] {f.revision} {f.rule} on {f.table}: {f.statement[:160]}")
        lines.append(f"      → {f.advice}")
    for revision, why in report.unscanned.items():
        lines.append(f"  not scanned: {revision} cannot render offline SQL ({why[:200]})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m db.migrate_check", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument(
        "--url", help="server to use (default DATABASE_URL); a scratch database is made on it"
    )
    parser.add_argument(
        "--strict", action="store_true", help="also fail on lock-heavy operations and lost rows"
    )
    args = parser.parse_args(argv)
    from db.config import get_settings

    report = check(args.url or get_settings().database_url)
    print(render(report))
    failed = report.failed or (args.strict and bool(report.locks or report.data_changes))
    print("migrate-check: FAILED" if failed else "migrate-check: ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
