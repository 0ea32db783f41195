"""Who is a customer: guest orders merge into the registered customer with their e-mail, guest
e-mails count case- and space-insensitively, an e-mail two accounts share stays a guest's, and
every order counts exactly once (through Temporal, the API and the CSV export). Merged orders
crossing chunk boundaries are covered by test_workflow.py's simulated shop."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
import pytest

from infra.temporal_client import connect
from tests.customers.conftest import analyse_now, new_shop
from tests.support import TEST_NOW, MakeUser, login
from workflows.customers import (
    CustomerAnalyticsRequest,
    CustomerAnalyticsWorkflow,
    workflow_id,
)
from workflows.queues import Queue


@dataclass(frozen=True)
class People:
    shop_id: int
    jana: str  # 2 registered orders + 1 guest checkout (+ 1 cancelled one)
    shared_1: str  # two accounts with one e-mail: guest orders with it stay a guest's
    shared_2: str
    kept: str  # an active account whose e-mail a deleted account also had
    gone: str  # a deleted account: guest orders with its e-mail stay a guest's
    only_guest: str  # an account that only ever checked out as a guest


EXPECTED_ORDERS = 14  # non-cancelled orders with a customer (2 anonymous ones are not)


def seed_people(pg: psycopg.Connection, name: str) -> People:
    """A shop whose customers test each identity rule; see `People`."""
    shop_id = new_shop(pg, name)
    p = People(shop_id, *(str(uuid.uuid4()) for _ in range(6)))
    gone_twin = str(uuid.uuid4())
    accounts = [
        (p.jana, "Jana.Novak@Example.cz", "Jana Nováková", False),
        (p.shared_1, "shared@example.cz", "Shared One", False),
        (p.shared_2, " Shared@Example.cz", "Shared Two", False),
        (p.kept, "kept@example.cz", "Kept", False),
        (gone_twin, "KEPT@example.cz", "Kept's deleted twin", True),
        (p.gone, "gone@example.cz", "Gone", True),
        (p.only_guest, "only-guest@example.cz", "Only Guest", False),
    ]
    with pg.cursor() as cur:
        cur.executemany(
            "INSERT INTO customers (shop_id, guid, email, full_name, deleted) "
            "VALUES (%s, %s, %s, %s, %s)",
            [(shop_id, *account) for account in accounts],
        )
    # (code, days ago, customer_guid, e-mail, total, cancelled, product)
    orders = [
        ("A1", 200, p.jana, "jana.novak@example.cz", 100, False, "SKU-A"),
        ("A2", 100, p.jana, "jana.novak@example.cz", 200, False, "SKU-A"),
        ("A3", 30, None, "  JANA.novak@example.CZ ", 300, False, "SKU-G"),
        ("A4", 20, None, "jana.novak@example.cz", 999, True, "SKU-Z"),
        ("B1", 150, None, "Petr@Example.cz", 50, False, None),
        ("B2", 60, None, "petr@example.cz ", 70, False, None),
        ("B3", 10, None, "PETR@EXAMPLE.CZ", 80, False, None),
        ("C1", 90, p.shared_1, "shared@example.cz", 40, False, None),
        ("C2", 80, p.shared_2, "shared@example.cz", 60, False, None),
        ("C3", 40, None, "SHARED@example.cz", 25, False, None),
        ("D1", 70, None, "Kept@example.cz", 90, False, None),
        ("E0", 120, p.gone, "gone@example.cz", 44, False, None),
        ("E1", 50, None, "gone@example.cz", 33, False, None),
        ("F1", 140, None, "Only-Guest@example.cz", 10, False, None),
        ("F2", 35, None, "only-guest@example.cz", 20, False, None),
        ("N1", 45, None, None, 15, False, None),
        ("N2", 44, None, "   ", 16, False, None),
    ]
    with pg.cursor() as cur:
        cur.executemany(
            "INSERT INTO orders (shop_id, code, created_at, customer_guid, email, total_with_vat, "
            "cancelled) VALUES (%s, %s, date_trunc('second', %s::timestamptz) - make_interval(days => %s), "
            "%s, %s, %s, %s)",
            [(shop_id, order[0], TEST_NOW, *order[1:-1]) for order in orders],
        )
        cur.executemany(
            "INSERT INTO order_items (shop_id, order_code, item_id, created_at, item_type, code, "
            "name, amount, price_with_vat) SELECT shop_id, code, 1, created_at, 'product', %s, "
            "%s, 1, total_with_vat FROM orders WHERE shop_id = %s AND code = %s",
            [(product, product, shop_id, code) for code, *_, product in orders if product],
        )
    pg.commit()
    return p


def metrics(pg: psycopg.Connection, shop_id: int) -> dict[str, tuple[Any, ...]]:
    rows = pg.execute(
        "SELECT customer_key, customer_guid::text, email, orders, frequency, total_value "
        "FROM customer_metrics WHERE shop_id = %s",
        (shop_id,),
    ).fetchall()
    pg.commit()
    return {row[0]: row[1:] for row in rows}


async def test_a_person_is_one_customer_and_every_order_counts_once(
    worker: object, pg: psycopg.Connection
) -> None:
    p = seed_people(pg, "Identity shop")
    client = await connect()
    handle = await client.start_workflow(
        CustomerAnalyticsWorkflow.run,
        CustomerAnalyticsRequest(p.shop_id, "manual", as_of=TEST_NOW.isoformat()),
        id=workflow_id(p.shop_id),
        task_queue=Queue.ANALYTICS.value,
    )
    result = await handle.result()
    assert result.status == "not_enough_data"  # 9 customers: RFM only, still stored
    progress = await handle.query(CustomerAnalyticsWorkflow.progress)
    assert progress.customers_processed == progress.customers_total == 9

    stored = metrics(pg, p.shop_id)
    assert set(stored) == {
        p.jana,
        "petr@example.cz",
        p.shared_1,
        p.shared_2,
        "shared@example.cz",
        p.kept,
        p.gone,
        "gone@example.cz",
        p.only_guest,
    }
    # (customer_guid, email key, orders, frequency, total value)
    # two registered orders and a guest checkout in another case with spaces: one customer;
    # the cancelled guest order is not counted
    assert stored[p.jana] == (p.jana, "jana.novak@example.cz", 3, 2.0, 600)
    # one guest writing her e-mail three ways is one guest, keyed by the normalised e-mail
    assert stored["petr@example.cz"] == (None, "petr@example.cz", 3, 2.0, 200)
    # an e-mail two active accounts share is ambiguous: the guest order stays a guest's
    assert stored[p.shared_1][2] == stored[p.shared_2][2] == 1
    assert stored[p.shared_1][1] is None and stored[p.shared_2][1] is None
    assert stored["shared@example.cz"] == (None, "shared@example.cz", 1, 0.0, 25)
    # a deleted account neither takes guest orders nor makes an e-mail ambiguous
    assert stored[p.kept] == (p.kept, "kept@example.cz", 1, 0.0, 90)
    assert stored[p.gone][1:3] == (None, 1)
    assert stored["gone@example.cz"] == (None, "gone@example.cz", 1, 0.0, 33)
    # an account with guest checkouts only is that registered customer
    assert stored[p.only_guest] == (p.only_guest, "only-guest@example.cz", 2, 1.0, 30)

    assert sum(row[2] for row in stored.values()) == EXPECTED_ORDERS
    [(orders, anonymous, customers)] = pg.execute(
        "SELECT orders, orders_without_customer, customers FROM customer_model_reports "
        "WHERE id = %s",
        (result.report_id,),
    ).fetchall()
    staged = pg.execute(
        "SELECT count(*) FROM customer_run_merged_orders WHERE report_id = %s",
        (result.report_id,),
    ).fetchone()
    pg.commit()
    assert (orders, anonymous, customers) == (EXPECTED_ORDERS + 2, 2, 9)
    assert staged == (0,)  # the run's staging is emptied when it finishes


@pytest.fixture(scope="module")
async def analysed(pg: psycopg.Connection) -> People:
    """The same people, analysed (without Temporal), with item rules that tell whether the
    merged guest checkout counts as bought."""
    p = seed_people(pg, "Identity API shop")
    await analyse_now(p.shop_id)
    pg.execute(
        "INSERT INTO customer_item_rules (shop_id, item_code, suggestion_code, suggestion_name, "
        "count, confidence, lift, rank, report_id) VALUES "
        "(%(s)s, 'SKU-A', 'SKU-G', 'G', 5, 0.9, 2.0, 1, 0), "
        "(%(s)s, 'SKU-A', 'SKU-X', 'X', 5, 0.5, 1.5, 2, 0), "
        "(%(s)s, 'SKU-G', 'SKU-Y', 'Y', 5, 0.8, 1.8, 1, 0)",
        {"s": p.shop_id},
    )
    pg.commit()
    return p


@pytest.fixture
async def client(api: httpx.AsyncClient, make_user: MakeUser, analysed: People) -> httpx.AsyncClient:
    user, password = make_user(shops={analysed.shop_id: "viewer"})
    await login(api, user.email, password)
    return api


async def test_the_merged_customer_is_one_customer_in_the_api(
    client: httpx.AsyncClient, analysed: People
) -> None:
    base = f"/api/shops/{analysed.shop_id}/customers"
    jana = (await client.get(f"{base}/{analysed.jana}")).json()
    assert jana["orders"] == 3 and jana["total_value"] == "600.00"
    assert jana["email"] == "Jana.Novak@Example.cz" and jana["name"] == "Jana Nováková"
    # bought in the guest checkout counts as bought: SKU-G is not offered, SKU-Y (bought with
    # SKU-G) is, next to SKU-X (bought with the registered orders' SKU-A)
    assert {r["code"] for r in jana["recommendations"]} == {"SKU-X", "SKU-Y"}

    # an e-mail, in any case, finds the customer it belongs to
    by_email = (await client.get(f"{base}/JANA.NOVAK@example.cz")).json()
    assert by_email["customer_key"] == analysed.jana
    petr = (await client.get(f"{base}/Petr@Example.cz")).json()
    assert petr["customer_key"] == "petr@example.cz" and petr["orders"] == 3
    shared = (await client.get(f"{base}/shared@example.cz")).json()
    assert shared["customer_guid"] is None and shared["orders"] == 1

    segments = (await client.get(f"{base}/segments")).json()
    assert segments["customers"] == 9
    response = await client.get(f"{base}/at-risk.csv", params={"min_churn_risk": 0})
    rows = list(csv.DictReader(io.StringIO(response.text)))
    keys = [r["customer_key"] for r in rows]
    assert len(keys) == len(set(keys)) == 9
    assert keys.count(analysed.jana) == 1 and not any("jana" in k for k in keys)
    assert sum(int(r["orders"]) for r in rows) == EXPECTED_ORDERS
