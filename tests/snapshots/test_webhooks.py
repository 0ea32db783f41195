"""The webhook receiver: signature (constant-time), durable storage, dedupe, clear errors."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.services.webhooks import signature
from db.models import Shop
from tests.support import assert_problem, installed_shop

KEY = "61d1175f54c47dd67df14c17002a17b2"


def test_official_signature_vector() -> None:
    body = b'{"eshopId":315185,"event":"addon:uninstall","eventCreated":"2019-09-23T22:01:36+0200","eventInstance":"315185"}'
    assert signature(KEY, body) == "a0e0a3e7689bd4c80e4d6ffcccb05235b864e1d0"


@pytest.fixture
def installed(db_session: Session) -> Shop:
    return installed_shop(db_session, KEY)


def _body(eshop_id: int, event: str = "product:update", instance: str = "abc", seconds: int = 0) -> bytes:
    # within the receiver's freshness window, whenever the test runs
    moment = datetime.now(UTC).replace(hour=10, minute=0, second=seconds, microsecond=0)
    created = moment.strftime("%Y-%m-%dT%H:%M:%S+0000")
    return orjson.dumps({"eshopId": eshop_id, "event": event, "eventCreated": created, "eventInstance": instance})


async def _post(api: httpx.AsyncClient, body: bytes, sig: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if sig is not None:
        headers["Shoptet-Webhook-Signature"] = sig
    return await api.post("/api/webhooks/shoptet", content=body, headers=headers)


def _events(db: Session, shop_id: int | None = None) -> list[tuple[str, str | None]]:
    rows = db.execute(
        text("SELECT status, reason FROM webhook_events WHERE shop_id IS NOT DISTINCT FROM :s ORDER BY id"),
        {"s": shop_id},
    ).all()
    return [(r.status, r.reason) for r in rows]


async def test_forged_and_missing_signatures_are_401_and_kept(api: httpx.AsyncClient, installed: Shop, db_session: Session) -> None:
    body = _body(installed.eshop_id)
    assert_problem(await _post(api, body, "0" * 40), 401)
    assert_problem(await _post(api, body, None), 401)
    # right key, different bytes: a re-serialised body does not verify
    assert_problem(await _post(api, body.replace(b",", b", "), signature(KEY, body)), 401)
    # unverified attempts are kept, but not in the shop's list
    assert _events(db_session, installed.id) == []
    kept = db_session.execute(
        text("SELECT status, split_part(reason, ' for shop', 1) FROM webhook_events "
             "WHERE eshop_id = :e AND shop_id IS NULL"), {"e": installed.eshop_id}
    ).all()
    assert sorted(kept) == [("rejected", "bad signature")] * 2 + [("rejected", "missing signature")]


async def test_unknown_shop_is_404_and_malformed_is_422(api: httpx.AsyncClient, db_session: Session) -> None:
    body = _body(999_999_999)
    assert_problem(await _post(api, body, signature(KEY, body)), 404)
    problem = assert_problem(await _post(api, b"{not json", "x"), 422)
    assert "not JSON" in problem["detail"]
    problem = assert_problem(await _post(api, b'{"eshopId": "7", "event": "x:y"}', "x"), 422)
    assert "eshopId" in problem["detail"]
    raw = db_session.execute(
        text("SELECT raw_body FROM webhook_events WHERE reason LIKE 'malformed%' ORDER BY id DESC LIMIT 1")
    ).scalar_one()
    assert bytes(raw) == b'{"eshopId": "7", "event": "x:y"}'  # kept verbatim for inspection


async def test_duplicates_are_stored_once_and_marked(api: httpx.AsyncClient, installed: Shop, db_session: Session, temporal_env: object) -> None:
    body = _body(installed.eshop_id, event="job:finished", instance="nojob01")
    first = await _post(api, body, signature(KEY, body))
    second = await _post(api, body, signature(KEY, body))
    assert first.status_code == second.status_code == 200
    assert second.json()["status"] == "duplicate"
    statuses = [s for s, _ in _events(db_session, installed.id)]
    assert statuses == ["dispatched", "duplicate"]
    # same event, another instance time: a new notification, not a duplicate
    later = _body(installed.eshop_id, event="job:finished", instance="nojob01", seconds=1)
    assert (await _post(api, later, signature(KEY, later))).json()["status"] == "received"


async def test_concurrent_duplicate_deliveries_store_one_received(api: httpx.AsyncClient, installed: Shop, db_session: Session, temporal_env: object) -> None:
    import asyncio

    body = _body(installed.eshop_id, event="job:finished", instance="storm01")
    answers = await asyncio.gather(*(_post(api, body, signature(KEY, body)) for _ in range(8)))
    assert all(a.status_code == 200 for a in answers)
    statuses = sorted(s for s, _ in _events(db_session, installed.id))
    assert statuses.count("duplicate") == 7 and len(statuses) == 8


async def test_an_event_stored_but_never_dispatched_is_dispatched_once_later(installed, db_session, temporal_env) -> None:  # type: ignore[no-untyped-def]
    """The API died between storing the event and dispatching it (as under `make chaos`): the
    outbox sweep dispatches it once it is older than OUTBOX_AGE, and never again."""
    from api.services import webhooks
    from db.engine import session_factory
    from infra.temporal_client import connect

    body = _body(installed.eshop_id, event="job:finished", instance="orphan01")
    async with session_factory()() as session:
        intake = await webhooks.receive(session, body, signature(KEY, body), datetime.now(UTC))
    assert intake.event is not None and _events(db_session, installed.id) == [("received", None)]
    arrived = intake.event.received_at
    # (other tests' events in this database may be swept along; only this shop's are asserted)
    async with session_factory()() as session:
        await webhooks.drain_outbox(session, connect, arrived + webhooks.OUTBOX_AGE / 2)
        db_session.expire_all()
        assert _events(db_session, installed.id) == [("received", None)]  # may still be in flight
        await webhooks.drain_outbox(session, connect, arrived + webhooks.OUTBOX_AGE * 2)
        db_session.expire_all()
        done = _events(db_session, installed.id)
        assert done == [("dispatched", "no snapshot run waits for this job (polling will find it)")]
        dispatched_at = db_session.execute(
            text("SELECT dispatched_at FROM webhook_events WHERE shop_id = :s"), {"s": installed.id}
        ).scalar_one()
        await webhooks.drain_outbox(session, connect, arrived + webhooks.OUTBOX_AGE * 6)
    assert db_session.execute(  # processed once: a later sweep leaves it alone
        text("SELECT dispatched_at FROM webhook_events WHERE shop_id = :s"), {"s": installed.id}
    ).scalar_one() == dispatched_at
