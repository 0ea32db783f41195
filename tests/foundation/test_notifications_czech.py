"""Every notification the code raises carries its Czech title (and body), so a Czech user never
reads English on the notifications page.

Three nets: the source scan finds every `notify(...)` call and checks it passes Czech and a
registered kind (and that nothing writes notifications around `notify`); the producers that are
cheap to run are run against the test database and their rows checked; the anomaly texts are
checked for every anomaly kind.
"""

from __future__ import annotations

import ast
import re
import secrets
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.models import InventoryAnomaly, Notification
from db.notify import KINDS, cs_count, cs_number, known_kind, notify

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("activities", "api", "db", "infra", "workflows")
# a letter only Czech uses (most Czech sentences have one)
CZECH = re.compile(r"[áčďéěíňóřšťúůýž]", re.IGNORECASE)
# English function words: none belongs in a Czech text
ENGLISH = re.compile(r"\b(the|is|of|and|for|with|after|failed|was|more|than|its)\b", re.IGNORECASE)


def _sources() -> list[tuple[Path, ast.Module]]:
    return [
        (path, ast.parse(path.read_text(), str(path)))
        for layer in LAYERS
        for path in (ROOT / layer).rglob("*.py")
        if "migrations" not in path.parts
    ]


def _calls() -> list[tuple[Path, ast.Call, dict[str, str]]]:
    """Each `notify(...)` call with its module's string constants (`ALERT_KIND = "..."`)."""
    found = []
    for path, tree in _sources():
        constants = {
            t.id: n.value.value
            for n in tree.body
            if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "notify":
                found.append((path, node, constants))
    return found


def _kind_prefix(node: ast.expr, constants: dict[str, str]) -> str:
    """A literal kind, or the literal start of an f-string kind (`integrity.` of `integrity.{c}`)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    if isinstance(node, ast.JoinedStr) and isinstance(node.values[0], ast.Constant):
        return str(node.values[0].value)
    raise AssertionError(f"notification kind is neither a literal nor an f-string: {ast.unparse(node)}")


def test_every_notify_call_passes_czech_and_a_registered_kind() -> None:
    calls = _calls()
    assert len(calls) >= 11, "the scan lost the producers"  # 11 call sites today
    produced: set[str] = set()
    for path, call, constants in calls:
        where = f"{path.relative_to(ROOT)}:{call.lineno}"
        words = {k.arg: k.value for k in call.keywords}
        assert "title_cs" in words, f"{where} raises a notification without title_cs"
        if "body" in words:
            assert "body_cs" in words, f"{where} has a body but no body_cs"
        prefix = _kind_prefix(words["kind"], constants)
        assert prefix in KINDS or any(k.startswith(prefix) for k in KINDS), f"{where}: kind {prefix!r} not in KINDS"
        produced.add(prefix)
    stale = [k for k in KINDS if not any(k.startswith(p) for p in produced)]
    assert not stale, f"KINDS lists kinds no code raises: {stale}"


def test_nothing_writes_notifications_around_notify() -> None:
    """Only `db.notify` builds the model or inserts rows (`db/migrate_check.py` seeds a test copy)."""
    for path, tree in _sources():
        if path.relative_to(ROOT).as_posix() in ("db/notify.py", "db/migrate_check.py"):
            continue
        assert not re.search(r"INSERT\s+INTO\s+notifications", path.read_text(), re.I), path
        imported = any(
            isinstance(n, ast.ImportFrom) and (n.module or "").startswith("db.models")
            and any(a.name == "Notification" for a in n.names)
            for n in ast.walk(tree)
        )
        builds = any(isinstance(n, ast.Call) and getattr(n.func, "id", None) == "Notification" for n in ast.walk(tree))
        assert not (imported and builds), f"{path} builds a Notification itself"


async def test_notify_refuses_english_only_and_unknown_kinds() -> None:
    from db.engine import session_scope

    async with session_scope() as session:
        with pytest.raises(ValueError, match="Czech"):
            await notify(session, level="info", kind="backup.failed", title="x", title_cs=" ")
        with pytest.raises(ValueError, match="Czech"):
            await notify(session, level="info", kind="backup.failed", title="x", title_cs="Záloha", body="why")
        with pytest.raises(ValueError, match="not registered"):
            await notify(session, level="info", kind="made.up", title="x", title_cs="Vymyšleno")
    assert known_kind("integrity.order_totals") and not known_kind("integrity")


def test_czech_numbers_and_plurals() -> None:
    assert cs_number(1234.5) == "1\u00a0234,5"
    assert cs_number(3.0) == "3" and cs_number(-0.04) == "0" and cs_number(0.25, 2) == "0,25"
    assert cs_number(1_000_000, 0) == "1\u00a0000\u00a0000"
    assert [cs_count(n, "řádek", "řádky", "řádků") for n in (1, 3, 5, 0)] == [
        "1 řádek", "3 řádky", "5 řádků", "0 řádků"]
    assert cs_count(1.5, "den", "dny", "dní") == "1,5 dne"


ANOMALIES = {
    "sales_spike": {"sales": 40.0, "lo": 2.0, "hi": 9.4, "expected": 5.25},
    "sales_drop": {"sales": 0.0, "lo": 12.0, "hi": 30.0, "expected": 21.0},
    "jump": {"unexplained": 1250.0, "stock_change": 1250.0},
    "drop_without_sales": {"unexplained": -7.0, "sales": 0.0},
    "drop_beyond_sales": {"unexplained": -2.5, "sales": 4.0},
    "late_purchase_order": {"expected": 50.0, "purchase_order_id": 12, "arrives_on": date(2026, 12, 20),
                            "bridge_quantity": 34.6},
}


@pytest.mark.parametrize("kind", sorted(ANOMALIES))
def test_every_anomaly_kind_reads_in_czech(kind: str) -> None:
    from activities.inventory.planning import describe, describe_cs

    assert f"inventory.{kind}" in KINDS
    anomaly = InventoryAnomaly(shop_id=1, run_id=1, variant_code="TRI-01/XL", day=date(2026, 12, 10), kind=kind,
                               severity="high", score=9.0, **ANOMALIES[kind])
    title, body = describe(anomaly)
    title_cs, body_cs = describe_cs(anomaly)
    assert "TRI-01/XL" in title_cs and title_cs != title and body_cs != body
    assert CZECH.search(title_cs) and CZECH.search(body_cs), (title_cs, body_cs)
    assert not ENGLISH.search(title_cs + " " + body_cs), (title_cs, body_cs)
    assert "vysoká" in body_cs.lower() or kind == "jump" or kind.startswith("drop_")
    assert not re.search(r"\d\.\d", title_cs + body_cs), "a decimal point in Czech text"
    if kind == "late_purchase_order":
        assert "20. 12." in title_cs and "10. 12." in title_cs and "35\u00a0ks" in title_cs
        assert "10 dní" in body_cs and "50\u00a0ks" in body_cs
    elif kind == "jump":
        assert "+1\u00a0250\u00a0ks" in title_cs and "10. 12. 2026" in title_cs
    elif kind == "sales_spike":
        assert "(průměr 5,2)" in body_cs or "(průměr 5,3)" in body_cs


async def test_producers_write_czech_rows(make_shop) -> None:  # type: ignore[no-untyped-def]
    """Run the producers that need no Temporal or Shoptet, then read back what they wrote."""
    from activities.safety import backups, integrity
    from activities.snapshots import pipeline as snapshots
    from db.engine import session_scope
    from db.models import Backup, SnapshotRun
    from infra.monitoring.alerts import apply
    from infra.monitoring.checks import CheckResult
    from workflows.safety.backups import BackupFailure, VerifyResult
    from workflows.safety.integrity import CheckError

    async with session_scope() as session:
        before = (await session.execute(select(func.coalesce(func.max(Notification.id), 0)))).scalar_one()
    shop = make_shop()
    tag = secrets.token_hex(3)

    await backups.record_backup_failure(BackupFailure(f"b-{tag}", "pg_dump: error: connection refused"))
    for status in ("corrupt", "failed"):
        await backups._record_verification(  # the notifier behind verify_backup
            Backup(id=0, name=f"b-{tag}"), VerifyResult(0, status, 3, {"orders": [10, 9]})
        )
    run_id = await integrity.start_integrity_run(f"test:czech:{tag}")
    await integrity.record_check_error(CheckError(run_id, "shoptet_counts", "timeout"))
    await integrity._store(run_id, "order_totals", [  # the notifier behind every check
        integrity.Finding("failed", "2 order(s) ...", 2, shop.id, {}, "Obchod: 2 objednávky …")])
    with pytest.raises(ValueError, match="Czech"):
        integrity.Finding("failed", "English only", 1)

    async with session_scope() as session:
        run = SnapshotRun(shop_id=shop.id, resource="orders", workflow_id=f"test:czech:{tag}", rejected_lines=1234,
                          status="running")
        session.add(run)
        await session.flush()
        snapshot_run = run.id
    await snapshots.finish_run(snapshot_run)

    check = dict(part="database", description="Dead rows.", value=15000.0, unit="rows", warn=1.0, critical=2.0,
                 summary="15000 dead", rows=[], description_cs="Mrtvé řádky.", summary_cs="15 000 mrtvých")
    now = datetime(2026, 12, 6, tzinfo=UTC)
    await apply([CheckResult(name=f"czech_{tag}", state="critical", **check)], now)  # type: ignore[arg-type]
    await apply([CheckResult(name=f"czech_{tag}", state="ok", **check)], now)  # type: ignore[arg-type]

    async with session_scope() as session:
        rows = (await session.execute(select(Notification).where(Notification.id > before))).scalars().all()
    kinds = {r.kind for r in rows}
    assert {"backup.failed", "backup.verify_corrupt", "backup.verify_failed", "integrity.shoptet_counts",
            "integrity.order_totals", "snapshot.rejects", "monitoring.alert", "monitoring.resolved"} <= kinds
    for row in rows:
        title_cs, body_cs = row.data.get("title_cs"), row.data.get("body_cs")
        assert title_cs and title_cs != row.title and not ENGLISH.search(title_cs), (row.kind, row.title, title_cs)
        assert (body_cs is None) == (row.body is None), row.kind
    by_kind = {r.kind: r for r in rows}
    assert by_kind["backup.verify_corrupt"].data["title_cs"] == f"Záloha b-{tag} je poškozená"
    assert by_kind["snapshot.rejects"].data["title_cs"] == (
        f"Snímek objednávek #{snapshot_run} dokončen, odmítnuté řádky: 1\u00a0234")
    assert by_kind["integrity.shoptet_counts"].data["body_cs"] == "Kontrolu shoptet_counts se nepodařilo spustit: timeout"


async def test_sweep_giving_up_writes_czech(make_shop, temporal_env) -> None:  # type: ignore[no-untyped-def]
    """The snapshot sweep's notice when a run used up its retries (the default limit is 3)."""
    from temporalio.testing import ActivityEnvironment

    from activities.snapshots.pipeline import plan_snapshot_retries
    from db.engine import session_scope
    from db.models import SnapshotRun

    shop = make_shop()
    async with session_scope() as session:
        run = SnapshotRun(shop_id=shop.id, resource="customers", workflow_id=f"test:czech:{secrets.token_hex(3)}",
                          status="failed", attempt=3, error="HTTP 503 from Shoptet")
        session.add(run)
        await session.flush()
        run_id = run.id
    sweep = ActivityEnvironment(client=temporal_env.client)
    await sweep.run(plan_snapshot_retries)
    await sweep.run(plan_snapshot_retries)  # the next sweep says nothing again
    async with session_scope() as session:
        note = (
            await session.execute(
                select(Notification).where(Notification.kind == "snapshot.gave_up", Notification.shop_id == shop.id)
            )
        ).scalar_one()
    assert note.data["run_id"] == run_id
    assert note.data["title_cs"] == "Snímek zákazníků se nepodařil ani na 3. pokus; další pokusy nebudou"
    assert note.data["body_cs"] == (
        "Poslední chyba: HTTP 503 from Shoptet. Spusťte ho znovu na stránce běhů snímků.")
