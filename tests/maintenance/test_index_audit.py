"""The index audit finds what PgHero would, on a real database, through CLI and admin API."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.support import MakeUser, RunSql, assert_problem, login


def broken_schema(sql: RunSql, url: str) -> None:
    """A customers table with every problem the audit looks for."""
    shop = sql("INSERT INTO shops (eshop_id, name) VALUES (77, 'Audit') RETURNING id")[0][0]
    sql(
        "INSERT INTO customers (shop_id, guid, email, phone) SELECT %s, gen_random_uuid(), "
        "'c' || (g %% 11000) || '@example.com', 'p' || g FROM generate_series(1, 12000) g",
        (shop,),
    )
    sql("DROP INDEX ix_customers_shop_email")  # an access path the app needs
    sql("CREATE INDEX ix_customers_shop ON customers (shop_id)")  # covered by the primary key
    with pytest.raises(psycopg.errors.UniqueViolation):  # leaves an invalid index behind
        sql("CREATE UNIQUE INDEX CONCURRENTLY ix_customers_email_unique ON customers (email)")
    sql("ANALYZE customers")
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(5):  # look customers up by e-mail with no index to use
            conn.execute("SELECT count(*) FROM customers WHERE email = 'c5@example.com'")
        conn.execute("SELECT pg_stat_force_next_flush()")


async def test_audit_reports_each_problem_with_pghero_thresholds(scratch_db: str, sql: RunSql) -> None:
    from db.audit import run_audit
    from db.engine import session_scope

    broken_schema(sql, scratch_db)
    async with session_scope() as session:
        results = {r.name: r for r in await run_audit(session)}

    assert results["slow_statements"].thresholds == {"slow_query_ms": 20, "slow_query_calls": 100}
    preload = sql("SHOW shared_preload_libraries")[0][0]
    if "pg_stat_statements" in preload:
        assert results["slow_statements"].state in ("ok", "warning")
    else:  # this server: installed by revision 0201, but not loaded at server start
        assert results["slow_statements"].state == "unavailable"
        assert "shared_preload_libraries" in results["slow_statements"].summary

    scans = results["sequential_scans"]
    assert scans.state == "warning" and {"table": "customers"}.items() <= scans.rows[0].items()
    assert scans.thresholds == {"large_table_rows": 10000, "index_usage_percent": 95}
    assert {
        "table": "customers",
        "unneeded": "ix_customers_shop",
        "covered_by": "pk_customers",
    } in results["duplicate_indexes"].rows
    assert any(r["index"] == "ix_customers_shop" for r in results["unused_indexes"].rows)
    assert results["invalid_indexes"].rows == [
        {"index": "ix_customers_email_unique", "table": "customers"}
    ]
    assert results["missing_access_path_indexes"].rows == [
        {"table": "customers", "columns": ["shop_id", "email"], "method": "btree"}
    ]
    assert results["long_running_queries"].state == "ok"


async def test_audit_command_and_admin_api(scratch_db: str, sql: RunSql, api: httpx.AsyncClient, make_user: MakeUser) -> None:
    proc = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "shopops"),
        "maintenance",
        "index-audit",
        "--json",
        env={**os.environ},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    assert {c["name"] for c in json.loads(out)} >= {
        "slow_statements",
        "unused_indexes",
        "duplicate_indexes",
    }

    member, password = make_user()
    await login(api, member.email, password)
    assert_problem(await api.get("/api/admin/db/index-audit"), 403)
    admin, password = make_user(role="admin")
    await login(api, admin.email, password)
    response = await api.get("/api/admin/db/index-audit", params={"slow_query_ms": 50})
    assert response.status_code == 200, response.text
    checks = {c["name"]: c for c in response.json()["checks"]}
    assert checks["slow_statements"]["thresholds"]["slow_query_ms"] == 50
    assert checks["missing_access_path_indexes"]["state"] == "ok"
    assert {c["state"] for c in checks.values()} <= {"ok", "warning", "unavailable"}
