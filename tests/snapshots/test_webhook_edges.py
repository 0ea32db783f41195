"""The webhook receiver at its edges (issue 14, cases 7 and 8): never a 500 for bad input,
stored before answering, bodies capped, unverified attempts kept short and outside the shop's
list, stale events refused, an outbox while Temporal is down, and a flood under generic plans."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest
from sqlalchemy import event, text

from api.services import webhooks
from api.services.webhooks import signature
from infra import temporal_client as temporal
from tests.support import app_env, assert_problem, installed_shop

KEY = "61d1175f54c47dd67df14c17002a17b2"
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def installed(db_session):  # type: ignore[no-untyped-def]
    return installed_shop(db_session, KEY, "edges")


def _body(eshop_id: int, event: str = "job:finished", instance: str = "job1", created: datetime = NOW) -> bytes:
    return orjson.dumps({"eshopId": eshop_id, "event": event, "eventInstance": instance,
                         "eventCreated": created.isoformat()})


async def _post(api: httpx.AsyncClient, body: bytes, sig: str | bytes | None) -> httpx.Response:
    headers: dict[str, str | bytes] = {"Content-Type": "application/json"}
    if sig is not None:
        headers["Shoptet-Webhook-Signature"] = sig
    return await api.post("/api/webhooks/shoptet", content=body, headers=headers)


def _rows(db, eshop_id: int):  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.execute(
        text("SELECT shop_id, status, reason, length(raw_body) AS size, event_created FROM webhook_events "
             "WHERE eshop_id = :e ORDER BY id"), {"e": eshop_id},
    ).all()


def _dispatched_at(db, eshop_id: int):  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.execute(
        text("SELECT dispatched_at FROM webhook_events WHERE eshop_id = :e AND status = 'dispatched'"),
        {"e": eshop_id},
    ).scalar_one()


async def test_bad_input_is_4xx_and_kept_short_outside_the_shop_list(api, installed, db_session) -> None:  # type: ignore[no-untyped-def]
    e = installed.eshop_id
    # malformed rows have no shop: count only this test's (tests/hardening makes the same ones)
    before = db_session.execute(text("SELECT coalesce(max(id), 0) FROM webhook_events")).scalar_one()
    big = _body(e)[:-1] + b',"pad":"' + b"x" * (10 << 20) + b'"}'  # 10 MB, unsigned
    assert_problem(await _post(api, big, None), 413)
    assert_problem(await _post(api, _body(e), "\u017elu\u0165ou\u010dk\u00fd".encode()), 401)  # non-ASCII header
    long_event = _body(e, event="order:" + "x" * 101)
    assert_problem(await _post(api, long_event, signature(KEY, long_event)), 422)
    nul_event = _body(e, event="order:cre\u0000ate")
    assert_problem(await _post(api, nul_event, signature(KEY, nul_event)), 422)
    year_one = _body(e, created=datetime(1, 1, 1, tzinfo=UTC))
    assert_problem(await _post(api, year_one, signature(KEY, year_one)), 422)
    stale = _body(e, created=NOW - timedelta(days=45))
    assert_problem(await _post(api, stale, signature(KEY, stale)), 422)
    huge_id = b'{"eshopId": 9223372036854775808, "event": "a:b", "eventInstance": "i", "eventCreated": "x"}'
    assert_problem(await _post(api, huge_id, "x"), 422)
    unknown = _body(999_999_998)
    assert_problem(await _post(api, unknown, signature(KEY, unknown)), 404)
    rows = _rows(db_session, e)
    # the oversized body is known only by its head (no eshopId parsed); the rest by eshopId
    assert [(r.shop_id, r.status) for r in rows] == [(None, "rejected")] * 3  # 401, year 1, stale
    assert [r.reason.split(" (")[0] for r in rows] == [
        f"bad signature for shop {installed.id}",
        "eventCreated 0001-01-01T00:00:00+00:00 outside the freshness window",
        f"eventCreated {(NOW - timedelta(days=45)).isoformat()} outside the freshness window",
    ]
    assert all(r.size <= webhooks.KEPT_BYTES and r.event_created is None for r in rows[1:])
    oversized = db_session.execute(
        text("SELECT length(raw_body), reason FROM webhook_events WHERE reason LIKE 'body over%' ORDER BY id DESC LIMIT 1")
    ).one()
    assert oversized[0] == 0 and "65536" in oversized[1]  # refused by Content-Length, nothing read
    malformed = db_session.execute(
        text("SELECT count(*) FROM webhook_events WHERE reason LIKE 'malformed: event must be at most 100%' "
             "AND shop_id IS NULL AND id > :before"), {"before": before}
    ).scalar_one()
    assert malformed == 2


async def test_event_list_survives_year_one_attempts(api, installed, db_session, make_user, temporal_env) -> None:  # type: ignore[no-untyped-def]
    from tests.support import login

    # a year-1 time can no longer be stored at all (the CHECK of migration 0920)
    with pytest.raises(Exception, match="ck_webhook_events_created_sane"):
        db_session.execute(text(
            "INSERT INTO webhook_events (shop_id, eshop_id, event, event_created, raw_body, status) "
            "VALUES (:s, :e, 'a:b', '0001-01-01T00:00:00Z', '', 'received')"), {"s": installed.id, "e": installed.eshop_id})
    db_session.rollback()
    year_one = _body(installed.eshop_id, instance="old", created=datetime(1, 1, 1, tzinfo=UTC))
    assert_problem(await _post(api, year_one, signature(KEY, year_one)), 422)
    assert_problem(await _post(api, year_one, None), 401)
    fine = _body(installed.eshop_id, instance="fine")
    assert (await _post(api, fine, signature(KEY, fine))).status_code == 200
    user, password = make_user(shops={installed.id: "owner"})
    await login(api, user.email, password)
    answer = await api.get(f"/api/shops/{installed.id}/webhook-events")
    assert answer.status_code == 200
    assert [(i["event_instance"], i["status"]) for i in answer.json()["items"]] == [("fine", "dispatched")]


async def test_temporal_down_answers_200_and_the_outbox_dispatches_later(api, installed, db_session, temporal_env) -> None:  # type: ignore[no-untyped-def]
    from db.engine import session_scope

    body = _body(installed.eshop_id, instance="outbox1")
    temporal.forget_clients()
    with app_env(TEMPORAL_ADDRESS="127.0.0.1:9"):  # nothing listens there
        answer = await _post(api, body, signature(KEY, body))
        assert answer.status_code == 200 and answer.json()["status"] == "received"
        again = await _post(api, body, signature(KEY, body))
        assert again.json()["status"] == "duplicate"  # a redelivery meanwhile is still a duplicate
    temporal.forget_clients()
    rows = _rows(db_session, installed.eshop_id)
    assert [(r.status, r.reason.split(",")[0]) for r in rows] == [
        ("received", "dispatch deferred"), ("duplicate", "already received"),
    ]
    # past the outbox age of the event just stored (NOW is the module's import time: in a full
    # session that can be minutes before this test runs)
    later = datetime.now(UTC) + webhooks.OUTBOX_AGE + timedelta(minutes=1)
    # the outbox is global: other tests' events may be drained with ours, and a live API of the
    # session (its lifespan runs the sweep) may have drained ours already; either way, once
    async with session_scope() as session:
        await webhooks.drain_outbox(session, temporal.connect, later)
    rows = _rows(db_session, installed.eshop_id)
    assert rows[0].status == "dispatched"
    first = _dispatched_at(db_session, installed.eshop_id)
    async with session_scope() as session:
        await webhooks.drain_outbox(session, temporal.connect, later)
    assert [r.status for r in _rows(db_session, installed.eshop_id)] == ["dispatched", "duplicate"]
    assert _dispatched_at(db_session, installed.eshop_id) == first  # dispatched exactly once
    assert rows[0].reason == "no snapshot run waits for this job (polling will find it)"


async def test_flood_under_generic_plans_stores_and_dispatches_each_event_once(api, installed, db_session, temporal_env) -> None:  # type: ignore[no-untyped-def]
    from db.engine import async_engine, dispose_engines

    await dispose_engines()
    engine = async_engine()

    def generic(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        cursor.close()
        dbapi_connection.commit()  # a connect hook leaves the connection idle, as the pool does

    event.listen(engine.sync_engine, "connect", generic)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("SHOW plan_cache_mode"))).scalar_one() == "force_generic_plan"
        bodies = [_body(installed.eshop_id, instance=f"flood{i:04d}") for i in range(500)]
        deliveries = [b for b in bodies for _ in range(2)]  # 1 000 posts, half of them duplicates
        answers: list[httpx.Response] = []
        for start in range(0, len(deliveries), 40):
            answers += await asyncio.gather(
                *(_post(api, b, signature(KEY, b)) for b in deliveries[start : start + 40])
            )
    finally:
        event.remove(engine.sync_engine, "connect", generic)
        await dispose_engines()
    assert [a.status_code for a in answers] == [200] * 1000
    counts = db_session.execute(
        text("SELECT status, count(*), count(DISTINCT event_instance) FROM webhook_events "
             "WHERE eshop_id = :e GROUP BY status ORDER BY status"), {"e": installed.eshop_id},
    ).all()
    assert [tuple(c) for c in counts] == [("dispatched", 500, 500), ("duplicate", 500, 500)]
