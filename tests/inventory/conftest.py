"""Simulated shops for the inventory planning in the session's database, and history recording."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from temporalio.client import WorkflowHandle

from db.engine import libpq_url
from tests.inventory.seed import (
    Simulation,
    copy_shop,
    inject_sale,
    inject_stock_loss,
    simulate_shop,
    well_stocked,
    yesterday,
)
from tests.support import fresh_eshop_id

HISTORIES = Path(__file__).resolve().parent / "histories"
VARIANTS = 60
CHUNK = 50  # the smallest chunk setting: 60 variants take two chunks
LOSS_UNITS = 30.0
SPIKE_UNITS = 25.0
QUIET_DAY = (2.0, 1.0, 3.0, 2.0)  # mean, lo, hi, naive an earlier run forecast


def new_shop(conn: psycopg.Connection, name: str) -> int:
    row = conn.execute(
        "INSERT INTO shops (eshop_id, name, status) VALUES (%s, %s, 'active') RETURNING id",
        (fresh_eshop_id(), name),
    ).fetchone()
    assert row is not None
    conn.commit()
    return int(row[0])


def rows(conn: psycopg.Connection, query: str, *params: object) -> list[tuple[Any, ...]]:
    found = conn.execute(query, params).fetchall()
    conn.commit()
    return found


@pytest.fixture(scope="session")
def pg() -> Iterator[psycopg.Connection]:
    conn = psycopg.connect(libpq_url(os.environ["DATABASE_URL"]))
    yield conn
    conn.close()


@dataclass(frozen=True)
class SeededShop:
    shop_id: int
    sim: Simulation
    lost: str  # the variant whose stock vanished two days ago
    spiked: str  # the variant that sold far above its forecast yesterday


def seed(
    conn: psycopg.Connection,
    name: str,
    variants: int = VARIANTS,
    random_seed: int = 3,
    at: datetime | None = None,
) -> SeededShop:
    """A two-year shop whose history ends the day before `at` (default: now), with two planted
    anomalies: stock lost without sales two days ago, and yesterday's sales far above what an
    earlier run forecast. Tests that compare plans pass a fixed `at`: the simulated demand
    follows the calendar (weekdays, Czech holidays), so the wall clock would change the data."""
    sim = simulate_shop(variants, 730, yesterday(at=at), random_seed)
    last = len(sim.days) - 1
    lost = well_stocked(sim, 4, LOSS_UNITS + 1, set())
    inject_stock_loss(sim, lost, last - 2, LOSS_UNITS)
    spiked = well_stocked(sim, 3, SPIKE_UNITS + 1, {lost})
    inject_sale(sim, spiked, last - 1, SPIKE_UNITS)
    shop_id = new_shop(conn, name)
    copy_shop(conn, shop_id, sim, archive_days=120)
    day = sim.days[last - 1].to_timestamp().date()
    # what an earlier run forecast for the spiked variant's day: a quiet one
    conn.execute(
        "INSERT INTO inventory_forecasts (shop_id, variant_code, day, mean, lo, hi, naive, run_id) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, 0)",
        (shop_id, sim.codes[spiked], day, *QUIET_DAY),
    )
    conn.commit()
    conn.execute("ANALYZE")  # fresh rows: let the planner see them, as autovacuum would
    conn.commit()
    return SeededShop(shop_id, sim, sim.codes[lost], sim.codes[spiked])


@pytest.fixture(scope="session")
def seeded_shop(pg: psycopg.Connection) -> SeededShop:
    return seed(pg, "Simulated inventory shop")


async def record_history(handle: WorkflowHandle[Any, Any], name: str) -> None:
    """Store a run's history for the replay test (when missing, or with
    SHOPOPS_RECORD_HISTORIES=1)."""
    path = HISTORIES / f"{name}.json"
    if os.environ.get("SHOPOPS_RECORD_HISTORIES") or not path.exists():
        history = await handle.fetch_history()
        path.write_text(history.to_json())


def now() -> datetime:
    return datetime.now(UTC)


async def plan_now(shop_id: int, at: datetime | None = None) -> int:
    """Run the workflow's activities in order, without Temporal (fixtures for API tests);
    returns the run id. Runs compared with each other pass one `at`, so a midnight in the
    shop's time zone between them cannot move their `as_of` day."""
    from activities.inventory import planning as acts
    from workflows.inventory import ChunkRequest, FinishRequest, StartRunRequest

    run = await acts.start_inventory_run(
        StartRunRequest(
            shop_id, "manual", f"test:inventory:{shop_id}", secrets.token_hex(6), at or now()
        )
    )
    acts.snapshot_stock(run)
    await acts.import_inventory_weather(run)
    after = None
    while True:
        chunk = acts.forecast_inventory_chunk(ChunkRequest(run, after))
        if chunk.last_code is None:
            break
        after = chunk.last_code
    plan = acts.plan_inventory_purchases(run)
    await acts.notify_inventory_anomalies(run)
    await acts.finish_inventory_run(FinishRequest(run.id, "completed", plan.message))
    return run.id
