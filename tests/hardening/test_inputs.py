"""Hostile inputs answer 4xx problems at the edge, never 500 (issue 15, item 1).

Each case is one that gave HTTP 500 before: ids beyond bigint in paths, bodies and cursors,
NUL in text, year-1 dates, an int overflowing an `integer` column, malformed cursors of every
list, a malformed Temporal run id. The last tests prove the safety net: a database data error
that slips past the typed inputs is a 422 problem too.
"""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from sqlalchemy import text

from api.deps import SessionDep
from tests.support import assert_problem, login

BEYOND_BIGINT = 2**63


def cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def raw_cursor(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.fixture
async def owner(api: httpx.AsyncClient, make_user, make_shop, db_session, temporal_env):  # type: ignore[no-untyped-def]
    """A signed-in owner of a shop with one snapshot run; returns (shop id, run id). Temporal
    runs: routes that query a workflow connect to it before they read their parameters."""
    from db.models import SnapshotRun

    shop = make_shop()
    user, password = make_user(shops={shop.id: "owner"})
    run = SnapshotRun(shop_id=shop.id, resource="orders", workflow_id=f"snapshot:{shop.id}:fuzz")
    db_session.add(run)
    db_session.commit()
    await login(api, user.email, password)
    return shop.id, run.id


async def test_ids_beyond_bigint_are_422(api: httpx.AsyncClient, owner) -> None:  # type: ignore[no-untyped-def]
    shop_id, _ = owner
    for path in (
        f"/api/snapshot-runs/{BEYOND_BIGINT}",
        f"/api/snapshot-runs/{BEYOND_BIGINT}/rejects",
        f"/api/shops/{BEYOND_BIGINT}",
        f"/api/shops/{BEYOND_BIGINT}/orders",
        f"/api/shops/{shop_id}/purchase-orders/{BEYOND_BIGINT}",
        f"/api/shops/{shop_id}/purchase-orders?supplier_id={BEYOND_BIGINT}",
        f"/api/shops/{shop_id}/inventory/recommendations?supplier_id={BEYOND_BIGINT}",
        "/api/snapshot-runs/0",
        "/api/snapshot-runs/-1",
    ):
        body = assert_problem(await api.get(path), 422)
        assert body["errors"], path
    assert_problem(await api.post(f"/api/notifications/{BEYOND_BIGINT}/read"), 422)
    created = await api.post(
        f"/api/shops/{shop_id}/purchase-orders", json={"recommendation_ids": [BEYOND_BIGINT]}
    )
    assert_problem(created, 422)


async def test_status_id_beyond_integer_is_422(api: httpx.AsyncClient, owner) -> None:  # type: ignore[no-untyped-def]
    shop_id, _ = owner
    for value in (2**31, -(2**31) - 1, BEYOND_BIGINT):
        body = assert_problem(await api.get(f"/api/shops/{shop_id}/orders?status_id={value}"), 422)
        assert "status_id" in body["detail"]
    # Shoptet's own (negative) status ids stay valid
    assert (await api.get(f"/api/shops/{shop_id}/orders?status_id=-2")).status_code == 200


async def test_nul_in_text_is_422(api: httpx.AsyncClient, owner) -> None:  # type: ignore[no-untyped-def]
    shop_id, _ = owner
    for path in (
        f"/api/shops/{shop_id}/orders?q=ab%00c",
        f"/api/shops/{shop_id}/snapshot-runs?status=%00",
        f"/api/shops/{shop_id}/snapshot-runs?resource=or%00ders",
        f"/api/shops/{shop_id}/webhook-events?status=received&status=%00",
        f"/api/shops/{shop_id}/orders/A%00B",
        f"/api/shops/{shop_id}/customers/x%00y",
        f"/api/shops/{shop_id}/customers/at-risk?segment=%00",
        f"/api/shops/{shop_id}/inventory/variants/V%001/forecast",
        f"/api/shops/{shop_id}/inventory/anomalies?kind=%00",
        f"/api/shops/{shop_id}/purchase-orders?status=%00",
        "/api/notifications?level=%00",
    ):
        body = assert_problem(await api.get(path), 422)
        assert "NUL" in body["detail"], path
    login_nul = await api.post("/api/auth/login", json={"email": "a\u0000@b.cz", "password": "x"})
    assert_problem(login_nul, 422)
    token_nul = await api.post("/api/auth/tokens", json={"name": "a\u0000b"})
    assert "NUL" in assert_problem(token_nul, 422)["detail"]
    # a lone surrogate is valid JSON but not text: refused while parsing the body
    surrogate = await api.post(
        "/api/auth/tokens", content=b'{"name": "a\\ud800b"}', headers={"Content-Type": "application/json"}
    )
    assert_problem(surrogate, 422)


async def test_dates_outside_the_range_are_422(api: httpx.AsyncClient, owner) -> None:  # type: ignore[no-untyped-def]
    shop_id, _ = owner
    for query in (
        "created_to=0001-01-02",
        "created_from=0001-01-01T00:00:00Z",
        "created_to=9999-12-31T23:59:59",
        "created_from=1899-12-31T23:59:59%2B00:00",
    ):
        body = assert_problem(await api.get(f"/api/shops/{shop_id}/orders?{query}"), 422)
        assert "between 1900-01-01 and 3000-01-01" in body["detail"], query
    ok = await api.get(f"/api/shops/{shop_id}/orders?created_from=1900-01-01&created_to=2999-12-31")
    assert ok.status_code == 200, ok.text


@pytest.mark.parametrize(
    "path, bad",
    [
        # id cursors (every list paged by id)
        ("snapshot-runs", cursor({"id": 1e30})),
        ("snapshot-runs", cursor({"id": BEYOND_BIGINT})),
        ("snapshot-runs", cursor({"id": "x"})),
        ("snapshot-runs", cursor({})),
        ("snapshot-runs", cursor([1])),
        ("snapshot-runs", raw_cursor(b"\xff\xfe")),
        ("snapshot-runs", "***"),
        ("webhook-events", cursor({"id": None})),
        ("purchase-orders", cursor({"id": 1e30})),
        ("inventory/recommendations", cursor({"id": -(2**70)})),
        ("inventory/runs", cursor({"id": 1.5})),
        ("customers/reports", cursor({"id": True, "x": 1})),
        # the at-risk list: CLV value and customer key
        ("customers/at-risk", cursor({"v": "1e999999", "k": "a"})),
        ("customers/at-risk", cursor({"v": "NaN", "k": "a"})),
        ("customers/at-risk", cursor({"v": "1", "k": "a\u0000"})),
        ("customers/at-risk", cursor({"v": "1"})),
        # accuracy by variant code, orders by (created_at, code, fingerprint)
        ("inventory/accuracy", cursor({"code": 5})),
        ("inventory/accuracy", cursor({"code": "\u0000"})),
        ("orders", cursor({"at": "0001-01-01T00:00:00+00:00", "code": "A", "f": "x"})),
        ("orders", cursor({"at": "2024-01-01T00:00:00+00:00", "code": "A\u0000", "f": "x"})),
        ("orders", cursor({"at": 1e30, "code": "A", "f": "x"})),
        ("orders", cursor({"code": "A", "f": "x"})),
    ],
)
async def test_malformed_cursors_are_400(api: httpx.AsyncClient, owner, path: str, bad: str) -> None:  # type: ignore[no-untyped-def]
    shop_id, _ = owner
    body = assert_problem(await api.get(f"/api/shops/{shop_id}/{path}", params={"cursor": bad}), 400)
    assert body["title"] == "Invalid cursor"


@pytest.mark.parametrize(
    "bad",
    [cursor({}), cursor({"line": "x"}), cursor({"id": 1}), cursor({"line": 1e30}), cursor("line")],
)
async def test_malformed_rejects_cursor_is_400(api: httpx.AsyncClient, owner, bad: str) -> None:  # type: ignore[no-untyped-def]
    _, run_id = owner
    response = await api.get(f"/api/snapshot-runs/{run_id}/rejects", params={"cursor": bad})
    assert assert_problem(response, 400)["title"] == "Invalid cursor"
    good = await api.get(f"/api/snapshot-runs/{run_id}/rejects", params={"cursor": cursor({"line": 3})})
    assert good.status_code == 200 and good.json()["items"] == []


async def test_admin_retry_with_a_malformed_run_id_is_422(
    api: httpx.AsyncClient, make_user, temporal_env
) -> None:  # type: ignore[no-untyped-def]
    admin, password = make_user(role="admin")
    await login(api, admin.email, password)
    url = "/api/admin/monitoring/workflows/maint:backup/retry"
    for run_id in ("not-a-uuid", "", "\u0000", "1" * 5000):
        body = assert_problem(await api.post(url, json={"run_id": run_id}), 422)
        assert "run_id" in body["detail"]
    # a well-formed id of no run is a 404, as before
    missing = await api.post(url, json={"run_id": "00000000-0000-4000-8000-000000000000"})
    assert_problem(missing, 404)


async def test_a_database_data_error_anywhere_is_a_422_problem(api: httpx.AsyncClient) -> None:
    """The global net: a route that passes a bad value to PostgreSQL answers 422, not 500."""
    app = api._transport.app  # type: ignore[attr-defined]

    @app.get("/api/test-only/cast")
    async def cast(session: SessionDep, value: str) -> dict[str, object]:
        return {"v": (await session.execute(text("SELECT CAST(:v AS bigint)"), {"v": value})).scalar()}

    app.router.routes.insert(0, app.router.routes.pop())  # ahead of the UI's catch-all
    assert (await api.get("/api/test-only/cast?value=12")).json() == {"v": 12}
    for value in ("99999999999999999999", "twelve", "1\u0000"):
        body = assert_problem(await api.get("/api/test-only/cast", params={"value": value}), 422)
        assert body["title"] == "Invalid value"
