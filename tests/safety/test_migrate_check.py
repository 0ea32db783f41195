"""`make migrate-check` runs every revision up and down with data; the lock scan catches each rule."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from db.migrate_check import scan

ROOT = Path(__file__).resolve().parents[2]


def test_migrate_check_passes_on_the_current_revisions() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "db.migrate_check"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "ok   load representative data" in out
    assert "downgrade 0300 → 0001" in out and "upgrade base → head again" in out
    assert out.rstrip().endswith("migrate-check: ok")


@pytest.mark.parametrize(
    ("sql", "rule"),
    [
        (
            "ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();",
            "add-column-volatile-default",
        ),
        (
            "ALTER TABLE orders ADD COLUMN note text NOT NULL;",
            "add-column-not-null-without-default",
        ),
        ("ALTER TABLE orders ALTER COLUMN email SET NOT NULL;", "set-not-null"),
        ("ALTER TABLE orders ALTER COLUMN code TYPE varchar(80);", "alter-column-type"),
        ("CREATE INDEX ix_items_name ON order_items (name);", "create-index-blocking"),
        (
            "ALTER TABLE variants ADD CONSTRAINT fk_x FOREIGN KEY (shop_id) REFERENCES shops (id);",
            "add-constraint-validating",
        ),
        (
            "ALTER TABLE customers ADD CONSTRAINT uq_email UNIQUE (shop_id, email);",
            "add-unique-or-primary-key",
        ),
        ("ALTER TABLE orders DETACH PARTITION orders_2019q1;", "partition-attach-detach"),
        ("VACUUM FULL notifications;", "table-rewrite-command"),
        ("UPDATE orders SET currency = 'CZK';", "whole-table-dml"),
    ],
)
def test_each_lock_heavy_pattern_is_reported(sql: str, rule: str) -> None:
    [finding] = scan("r1", sql + "\n")
    assert finding.rule == rule and finding.severity == "high"


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE orders ADD COLUMN seen_at timestamptz DEFAULT now();",  # stable: no rewrite
        "ALTER TABLE orders ADD COLUMN flag boolean NOT NULL DEFAULT false;",
        "CREATE INDEX CONCURRENTLY ix_items_name ON order_items (name);",
        "ALTER TABLE variants ADD CONSTRAINT fk_x FOREIGN KEY (shop_id) REFERENCES shops (id) NOT VALID;",
        "ALTER TABLE customers ADD CONSTRAINT uq_email UNIQUE USING INDEX uq_email_idx;",
        "ALTER TABLE orders DETACH PARTITION orders_2019q1 CONCURRENTLY;",
        "UPDATE orders SET currency = 'CZK' WHERE currency IS NULL;",
        "CREATE TABLE fresh (id int);\nCREATE INDEX ix_fresh ON fresh (id);\nALTER TABLE fresh ALTER COLUMN id SET NOT NULL;",
    ],
)
def test_safe_forms_and_new_tables_pass(sql: str) -> None:
    assert scan("r1", sql + "\n") == []


def test_small_tables_are_medium_severity() -> None:
    [finding] = scan("r1", "CREATE INDEX ix_users_name ON users (display_name);\n")
    assert finding.severity == "medium" and finding.table == "users"
