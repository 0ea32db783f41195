"""The webhook receiver refuses hostile bodies and signatures with 4xx, and keeps them."""

from __future__ import annotations

import json

import orjson
import pytest
from sqlalchemy import text

from api.services.webhooks import KEPT_BYTES, MAX_BODY, signature
from tests.hardening.conftest import WEBHOOK_KEY
from tests.support import assert_problem

URL = "/api/webhooks/shoptet"


@pytest.mark.parametrize(
    "fields, reason",
    [
        ({"eshopId": 2**63}, "eshopId"),
        ({"event": "order:\u0000"}, "event"),
        ({"event": "order:" + "x" * 200}, "event"),
        ({"eventInstance": "a\u0000b"}, "eventInstance"),
        ({"eventInstance": "x" * 5000}, "eventInstance"),
        ({"eventCreated": "0001-01-01T00:00:00+0100"}, "eventCreated"),
        ({"eventCreated": "9999-12-31T23:59:59+00:00"}, "eventCreated"),
    ],
)
async def test_hostile_fields_are_422_and_kept(api, installed, db_session, fields, reason) -> None:  # type: ignore[no-untyped-def]
    doc = {"eshopId": installed.eshop_id, "event": "order:create",
           "eventCreated": "2026-11-28T10:00:00+0100", "eventInstance": "A1", **fields}
    body = json.dumps(doc).encode()  # the standard library writes ints beyond 64 bits too
    problem = assert_problem(
        await api.post(URL, content=body, headers={"Shoptet-Webhook-Signature": signature(WEBHOOK_KEY, body)}),
        422,
    )
    assert reason in problem["detail"]
    kept = db_session.execute(
        text("SELECT raw_body FROM webhook_events WHERE status = 'rejected' ORDER BY id DESC LIMIT 1")
    ).scalar_one()
    assert bytes(kept) == body[:KEPT_BYTES]  # kept for inspection, at most its head


async def test_a_body_over_the_limit_is_413(api, installed) -> None:  # type: ignore[no-untyped-def]
    body = b'{"eshopId": 1, "pad": "' + b"x" * MAX_BODY + b'"}'
    assert_problem(await api.post(URL, content=body), 413)

    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(5):
            yield b"x" * (MAX_BODY // 4)

    assert_problem(await api.post(URL, content=chunks()), 413)  # no Content-Length to trust


async def test_non_ascii_and_odd_signatures_are_401(api, installed) -> None:  # type: ignore[no-untyped-def]
    body = orjson.dumps({"eshopId": installed.eshop_id, "event": "order:create",
                         "eventCreated": "2026-11-28T10:00:00+0100", "eventInstance": "A1"})
    for sig in ("é" * 40, " ", "g" * 4000, signature(WEBHOOK_KEY, body)[:-1]):
        headers = {"Shoptet-Webhook-Signature": sig.encode("utf-8")}  # raw bytes on the wire
        assert_problem(await api.post(URL, content=body, headers=headers), 401)
