"""Integrity checks catch each seeded fault, store findings, notify, and never pass on error."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from db.app_settings import set_setting
from db.config import get_settings
from db.engine import session_scope
from db.models import Installation, IntegrityFinding, IntegrityRun, Notification
from db.partitions import Quarter
from infra.sandbox.generator import ShopSpec
from infra.sandbox.testing import free_port, running_sandbox
from tests.safety.support import keep_history, seed_orders, utc
from tests.support import MakeShop
from workflows.queues import Queue
from workflows.safety.integrity import IntegrityReport, IntegrityRequest, IntegrityWorkflow

ESHOP = 777001


@pytest.fixture
def shoptet_url() -> Iterator[Callable[[str], None]]:
    """Point the app at a given Shoptet base URL for one test."""
    before = os.environ.get("SHOPTET_API_URL")

    def point(url: str) -> None:
        os.environ["SHOPTET_API_URL"] = url
        get_settings.cache_clear()

    yield point
    if before is None:
        os.environ.pop("SHOPTET_API_URL", None)
    else:
        os.environ["SHOPTET_API_URL"] = before
    get_settings.cache_clear()


async def _run(checks: list[str], name: str | None = None) -> IntegrityReport:
    from infra.temporal_client import connect

    client = await connect()
    handle = await client.start_workflow(
        IntegrityWorkflow.run,
        IntegrityRequest(checks),
        id=f"test-integrity-{datetime.now(UTC):%H%M%S%f}",
        task_queue=Queue.MAINTENANCE.value,
    )
    report = await handle.result()
    if name:
        await keep_history(handle, name)
    return report


def _findings(db: Session, run_id: int) -> dict[str, list[IntegrityFinding]]:
    out: dict[str, list[IntegrityFinding]] = {}
    for f in db.execute(
        select(IntegrityFinding).where(IntegrityFinding.run_id == run_id)
    ).scalars():
        out.setdefault(f.check, []).append(f)
    return out


async def test_each_seeded_fault_is_caught(
    worker: list[object], db_session: Session, make_shop: MakeShop, shoptet_url: Callable[[str], None]
) -> None:
    db_session.execute(
        text("DELETE FROM order_items; DELETE FROM orders; DELETE FROM notifications")
    )
    db_session.commit()
    # the checks run over every shop: shops other tests left behind (with made-up tokens) step aside
    db_session.execute(text("UPDATE shops SET status = 'uninstalled'"))
    db_session.commit()
    faulty, clean, uninstalled = make_shop(), make_shop(eshop_id=ESHOP), make_shop()
    # an item whose order is missing
    db_session.execute(
        text(
            "INSERT INTO order_items (shop_id, order_code, item_id, created_at, item_type, name, amount, "
            "price_with_vat) VALUES (:s, 'GONE1', 1, '2024-03-01T10:00:00Z', 'product', 'Cup', 1, 10)"
        ),
        {"s": faulty.id},
    )
    # totals: 0.03 off over two items is a fault, 0.02 is rounding
    for code, second in (("OFF", "49.97"), ("ROUND", "49.98")):
        db_session.execute(
            text(
                "INSERT INTO orders (shop_id, code, created_at, total_with_vat) VALUES (:s, :c, '2024-03-02T10:00:00Z', 150)"
            ),
            {"s": faulty.id, "c": code},
        )
        for item_id, price in ((1, "100.00"), (2, second)):
            db_session.execute(
                text(
                    "INSERT INTO order_items (shop_id, order_code, item_id, created_at, item_type, name, "
                    "amount, price_with_vat) VALUES (:s, :c, :i, '2024-03-02T10:00:00Z', 'product', 'Cup', 1, :p)"
                ),
                {"s": faulty.id, "c": code, "i": item_id, "p": Decimal(price)},
            )
    # a row beyond every premade quarter lands in the default partition
    db_session.execute(
        text(
            "INSERT INTO orders (shop_id, code, created_at, total_with_vat) VALUES (:s, 'FAR', '2099-01-01T00:00:00Z', 0)"
        ),
        {"s": faulty.id},
    )
    db_session.commit()
    async with session_scope() as session:
        # the initial revision premade 4 quarters ahead; asking for 6 leaves two missing
        await set_setting(session, "partitions.future_quarters", 6)

    async with running_sandbox(
        shops=[ShopSpec(eshop_id=ESHOP, orders=40, products=20, customers=20)]
    ) as sb:
        shoptet_url(sb.url)
        shop_state = sb.state.shop(ESHOP)
        db_session.add(
            Installation(
                shop_id=clean.id,
                oauth_token=shop_state.installation.oauth_token
                if shop_state.installation
                else sb.state.install(ESHOP),
                api_token=sb.api_token(ESHOP),
                api_token_expires_at=datetime.now(UTC) + timedelta(minutes=20),
            )
        )
        db_session.execute(
            text("UPDATE shops SET status = 'uninstalled' WHERE id = :s"), {"s": uninstalled.id}
        )
        db_session.commit()
        seed_orders(db_session, clean.id, 39, utc(2024, 5, 5), prefix="Q")  # Shoptet has 40
        report = await _run(
            [
                "items_without_orders",
                "order_totals",
                "default_partitions",
                "future_partitions",
                "shoptet_counts",
            ],
            name="integrity_workflow",
        )

    assert report.status == "failed"
    outcomes = {o.check: o for o in report.outcomes}
    assert {c: o.status for c, o in outcomes.items()} == {
        "items_without_orders": "failed",
        "order_totals": "failed",
        "default_partitions": "failed",
        "future_partitions": "failed",
        "shoptet_counts": "failed",
    }
    found = _findings(db_session, report.run_id)
    assert [
        (f.shop_id, f.faults, f.data["sample_order_codes"]) for f in found["items_without_orders"]
    ] == [(faulty.id, 1, ["GONE1"])]
    [totals] = found["order_totals"]
    assert totals.faults == 1 and totals.data["sample"][0][0] == "OFF"
    [default] = found["default_partitions"]
    assert default.data == {"table": "orders_default"} and default.faults == 1
    wanted = Quarter.of(datetime.now(UTC))
    assert {tuple(f.data["missing"]) for f in found["future_partitions"]} == {
        (wanted.add(5).label, wanted.add(6).label)
    }
    counts = {f.shop_id: f for f in found["shoptet_counts"]}
    assert counts[clean.id].status == "failed" and counts[clean.id].data["ours"] == 39
    assert counts[clean.id].data["shoptet"] == 40
    assert (
        counts[uninstalled.id].status == "skipped"
        and "uninstalled" in counts[uninstalled.id].detail
    )
    assert counts[faulty.id].status == "skipped" and "no installation" in counts[faulty.id].detail
    kinds = set(db_session.execute(select(Notification.kind)).scalars())
    assert {f"integrity.{c}" for c in outcomes} <= kinds
    run = db_session.get(IntegrityRun, report.run_id)
    assert run is not None and run.status == "failed" and run.checks_failed == 5

    # repair the seeded faults: now every check passes
    db_session.execute(text("DELETE FROM order_items WHERE order_code IN ('GONE1', 'OFF')"))
    db_session.execute(text("DELETE FROM orders WHERE code IN ('FAR', 'OFF')"))
    db_session.commit()
    async with session_scope() as session:
        await set_setting(session, "partitions.future_quarters", 4)
    healthy = await _run(
        ["items_without_orders", "order_totals", "default_partitions", "future_partitions"]
    )
    assert healthy.status == "passed", healthy


async def test_a_check_that_cannot_run_fails_the_run(
    worker: list[object], db_session: Session, make_shop: MakeShop, shoptet_url: Callable[[str], None]
) -> None:
    shop = make_shop()
    db_session.add(
        Installation(
            shop_id=shop.id,
            oauth_token="o" * 40,
            api_token="t" * 40,
            api_token_expires_at=datetime.now(UTC) + timedelta(minutes=20),
        )
    )
    db_session.commit()
    shoptet_url(f"http://127.0.0.1:{free_port()}")  # nothing listens there
    report = await _run(["shoptet_counts", "no_such_check"])
    assert report.status == "failed"
    outcomes = {o.check: o.status for o in report.outcomes}
    assert outcomes == {"shoptet_counts": "error", "no_such_check": "error"}
    errors = (
        db_session.execute(
            select(IntegrityFinding).where(
                IntegrityFinding.run_id == report.run_id, IntegrityFinding.status == "error"
            )
        )
        .scalars()
        .all()
    )
    assert any(f.shop_id == shop.id and "could not read Shoptet" in f.detail for f in errors)
    assert any("unknown integrity check" in f.detail for f in errors)
