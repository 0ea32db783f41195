"""GET /api/shops/{shop_id}/orders, /orders/{code}, /order-statuses (docs/api-contract.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from tests.support import MakeUser, RunSql, assert_problem, login

LIST = "/api/shops/{}/orders"


async def walk(api: httpx.AsyncClient, shop_id: int, limit: int, **filters: object) -> list[dict[str, Any]]:
    """Follow next_cursor to the end; returns every row in order."""
    rows, cursor = [], None
    while True:
        params = {
            k: v for k, v in {**filters, "limit": limit, "cursor": cursor}.items() if v is not None
        }
        response = await api.get(LIST.format(shop_id), params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= limit
        rows += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return rows


def expected(sql: RunSql, shop_id: int, where: str = "true", params: dict[str, Any] | None = None) -> list[str]:
    """Ground truth straight from PostgreSQL, hot and archive together."""
    return [
        r[0]
        for r in sql(
            f"SELECT code FROM orders_all WHERE shop_id = %(shop)s AND {where} ORDER BY created_at DESC, code DESC",
            {"shop": shop_id, **(params or {})},
        )
    ]


async def member_of(api: httpx.AsyncClient, make_user: MakeUser, shop: SimpleNamespace) -> None:
    user, password = make_user(shops={shop.id: "viewer"})
    await login(api, user.email, password)


async def test_the_cursor_walks_hot_and_archive_without_duplicates_or_gaps(
    shops: tuple[SimpleNamespace, SimpleNamespace], sql: RunSql, api: httpx.AsyncClient, make_user: MakeUser
) -> None:
    ours, _ = shops
    await member_of(api, make_user, ours)
    rows = await walk(api, ours.id, 37)
    codes = [r["code"] for r in rows]
    assert len(codes) == len(set(codes)) == 1200
    assert codes == expected(sql, ours.id)
    first = rows[0]
    assert set(first) == {
        "code",
        "created_at",
        "status_id",
        "status_name",
        "billing_name",
        "email",
        "total_with_vat",
        "currency",
        "paid",
        "item_count",
        "channel",
    }
    assert (
        isinstance(first["total_with_vat"], str)
        and datetime.fromisoformat(first["created_at"]).tzinfo
    )
    # ties on created_at are split by code, still strictly descending
    pairs = [(r["created_at"], r["code"]) for r in rows]
    assert pairs == sorted(pairs, reverse=True) and len({p[0] for p in pairs}) < len(pairs)


@pytest.mark.parametrize(
    ("filters", "where", "params"),
    [
        (
            {"created_from": "2025-01-01T00:00:00Z"},
            "created_at >= %(a)s",
            {"a": "2025-01-01T00:00Z"},
        ),
        (
            {"created_from": "2024-06-01T00:00:00+02:00", "created_to": "2024-12-01"},
            "created_at >= %(a)s AND created_at < %(b)s",
            {"a": "2024-05-31T22:00Z", "b": "2024-12-01T00:00Z"},
        ),
        ({"status_id": -3}, "status_id = -3", {}),
        ({"q": "NOVAK"}, "email ILIKE '%%novak%%'", {}),
        (
            {"q": "svoboda", "status_id": -2},
            "billing_name ILIKE '%%svoboda%%' AND status_id = -2",
            {},
        ),
        ({"q": "A00011"}, "code LIKE 'A00011%%'", {}),
        ({"q": "50%_x"}, "false", {}),
    ],
)
async def test_filters_match_the_database(
    shops: tuple[SimpleNamespace, SimpleNamespace], sql: RunSql, api: httpx.AsyncClient, make_user: MakeUser, filters: dict[str, str], where: str, params: dict[str, Any]
) -> None:
    ours, _ = shops
    await member_of(api, make_user, ours)
    codes = [r["code"] for r in await walk(api, ours.id, 25, **filters)]
    assert codes == expected(sql, ours.id, where, params)
    assert len(set(codes)) == len(codes)


def test_pages_are_read_by_quarter_and_the_archive_only_when_reached() -> None:
    from api.services.orders import ALL, HOT, OrderFilters, source_for, windows

    archived_until = datetime(2024, 10, 1, tzinfo=UTC)
    assert source_for(None, archived_until) is ALL
    assert source_for(datetime(2024, 9, 30, tzinfo=UTC), archived_until) is ALL
    assert source_for(datetime(2024, 10, 1, tzinfo=UTC), archived_until) is HOT
    assert source_for(None, None) is HOT

    now = datetime(2026, 11, 28, tzinfo=UTC)
    at = datetime(2025, 5, 3, tzinfo=UTC)
    assert windows(OrderFilters(), None, now) == [
        datetime(2026, 10, 1, tzinfo=UTC),
        datetime(2025, 10, 1, tzinfo=UTC),
        None,
    ]
    assert windows(OrderFilters(), at, now)[:2] == [
        datetime(2025, 4, 1, tzinfo=UTC),
        datetime(2024, 4, 1, tzinfo=UTC),
    ]
    bounded = OrderFilters(
        created_from=datetime(2024, 12, 1, tzinfo=UTC), created_to=datetime(2025, 7, 1, tzinfo=UTC)
    )
    assert windows(bounded, None, now) == [
        datetime(2025, 4, 1, tzinfo=UTC),
        datetime(2024, 12, 1, tzinfo=UTC),
    ]
    assert windows(OrderFilters(created_from=datetime(2025, 5, 1, tzinfo=UTC)), at, now) == [
        datetime(2025, 5, 1, tzinfo=UTC)
    ]


async def test_one_order_with_items_from_hot_or_archive(shops: tuple[SimpleNamespace, SimpleNamespace], api: httpx.AsyncClient, make_user: MakeUser) -> None:
    ours, _ = shops
    await member_of(api, make_user, ours)
    hot = (await api.get(f"/api/shops/{ours.id}/orders/A001150")).json()
    old = (await api.get(f"/api/shops/{ours.id}/orders/A000010")).json()
    assert (hot["archived"], old["archived"]) == (False, True)
    assert old["email"] == "novak10@seznam.cz" and old["billing_address"]["city"] == "Brno"
    assert old["delivery_address"] == {"city": "Praha"}
    assert [(i["item_id"], i["price_with_vat"]) for i in old["items"]] == [
        (1, "10.00"),
        (2, "20.00"),
    ]
    assert_problem(await api.get(f"/api/shops/{ours.id}/orders/NOPE"), 404)


async def test_status_counts_cover_hot_and_archive(shops: tuple[SimpleNamespace, SimpleNamespace], api: httpx.AsyncClient, make_user: MakeUser) -> None:
    ours, _ = shops
    await member_of(api, make_user, ours)
    response = await api.get(f"/api/shops/{ours.id}/order-statuses")
    assert response.status_code == 200
    assert response.json() == [
        {"id": -4, "name": "Stornována", "count": 300},
        {"id": -3, "name": "Vyřízena", "count": 300},
        {"id": -2, "name": "Vyřizuje se", "count": 300},
        {"id": -1, "name": "Nevyřízená", "count": 300},
    ]


async def test_other_shops_orders_are_404(shops: tuple[SimpleNamespace, SimpleNamespace], api: httpx.AsyncClient, make_user: MakeUser) -> None:
    ours, theirs = shops
    assert_problem(await api.get(LIST.format(ours.id)), 401)
    await member_of(api, make_user, ours)
    for path in (
        LIST.format(theirs.id),
        f"/api/shops/{theirs.id}/orders/B000001",
        f"/api/shops/{theirs.id}/order-statuses",
        LIST.format(999999),
    ):
        assert_problem(await api.get(path), 404)
    # the other shop's order code is not found through our shop either
    assert_problem(await api.get(f"/api/shops/{ours.id}/orders/B000001"), 404)


async def test_bad_input_gets_a_clear_problem(shops: tuple[SimpleNamespace, SimpleNamespace], api: httpx.AsyncClient, make_user: MakeUser) -> None:
    ours, _ = shops
    await member_of(api, make_user, ours)
    url = LIST.format(ours.id)
    assert "limit" in assert_problem(await api.get(url, params={"limit": 501}), 422)["detail"]
    assert "q" in assert_problem(await api.get(url, params={"q": "ab"}), 422)["detail"]
    body = assert_problem(
        await api.get(url, params={"created_from": "2025-01-02", "created_to": "2025-01-01"}), 422
    )
    assert "must be before" in body["detail"]
    assert_problem(await api.get(url, params={"cursor": "not-a-cursor"}), 400)
    page = (await api.get(url, params={"limit": 5})).json()
    mismatch = await api.get(
        url, params={"limit": 5, "status_id": -1, "cursor": page["next_cursor"]}
    )
    assert assert_problem(mismatch, 400)["title"] == "Cursor does not match the filters"


@pytest.mark.parametrize("probe_rows", [0, 7, 2000])
@pytest.mark.parametrize(
    ("q", "where"),
    [
        ("NOVAK", "email ILIKE '%%novak%%'"),
        ("svoboda", "billing_name ILIKE '%%svoboda%%'"),
        ("A00011", "code LIKE 'A00011%%'"),
        ("zzzqx", "false"),
    ],
)
async def test_a_text_filter_pages_alike_whether_probed_or_read_through_trigrams(
    shops: tuple[SimpleNamespace, SimpleNamespace], sql: RunSql, q: str, where: str, probe_rows: int
) -> None:
    """Each window's matches come from the newest rows (the probe) or from the trigram index; the
    pages, cursors included, are the same either way and equal the database's truth."""
    from api.services import orders
    from db.engine import session_scope

    ours, _ = shops
    filters, codes, cursor = orders.OrderFilters(q=q), list[str](), None
    while True:
        async with session_scope() as session:
            page = await orders.page(session, ours.id, filters, cursor, 9, probe_rows=probe_rows)
        codes += [row.code for row in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert codes == expected(sql, ours.id, where)
