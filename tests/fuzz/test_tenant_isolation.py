"""Tenant isolation, generated from the OpenAPI schema: every operation, as a user of another shop.

Each operation is called once with a bearer token and once with a session cookie of shop B's
owner, its path parameters naming shop A's objects (shop A's id, its snapshot run, its
notification, its purchase order…) and a schema-valid body. Any 2xx on a route that names
shop A's objects fails, and so does any 2xx whose body carries shop A's marker. A new route is
walked the day it is added; a new kind of path parameter fails here until `tests/fuzz/world.py`
gives shop A a value for it.
"""

from __future__ import annotations

import warnings
from typing import Any

import httpx
import schemathesis
from hypothesis.errors import NonInteractiveExampleWarning
from schemathesis.core import NotSet
from sqlalchemy.orm import Session

from tests.fuzz.world import MARKER, World, build_world
from tests.support import login

TODAY_OPERATIONS = 53  # the schema's size when this test was written; it may only grow


def csrf_headers(client: httpx.AsyncClient) -> dict[str, str]:
    """What a cookie-authenticated write must carry besides the cookie: a double-submit CSRF
    token when the API sets one (any cookie named like *csrf*), the one place to adapt."""
    token = next((v for k, v in client.cookies.items() if "csrf" in k.lower()), None)
    return {"X-CSRF-Token": token} if token else {}


def _purchase_order_of_a(db: Session, world: World) -> None:
    from db.models import PurchaseOrder

    order = PurchaseOrder(shop_id=world.shop_a, currency="CZK", note=f"{MARKER} order")
    db.add(order)
    db.commit()
    world.known["order_id"].append(order.id)


def _case(op: Any, world: World) -> tuple[str, dict[str, Any], Any]:
    """The URL with shop A's values in its path, a generated query, and a schema-valid body."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonInteractiveExampleWarning)
        case = op.as_strategy().example()
    path = op.path
    for name in case.path_parameters or {}:
        values = world.known.get(name)
        assert values, f"{op.label}: shop A has no value for {{{name}}}; add one in tests/fuzz/world.py"
        path = path.replace(f"{{{name}}}", str(values[0]))
    body = None if isinstance(case.body, NotSet) else case.body
    return path, dict(case.query or {}), body


async def test_another_shops_user_gets_nothing_from_any_route(
    api: httpx.AsyncClient, db_session: Session, temporal_env: object
) -> None:
    world = build_world(db_session)
    _purchase_order_of_a(db_session, world)
    schema_doc = (await api.get("/api/openapi.json")).json()
    operations = [r.ok() for r in schemathesis.openapi.from_dict(schema_doc).get_all_operations()]
    # signing out ends the outsider's session: walk it last
    operations.sort(key=lambda op: op.path.endswith("/logout"))
    await login(api, world.emails["outsider"], world.password)
    leaks: list[str] = []
    walked = 0
    for op in operations:
        path, query, body = _case(op, world)
        names_a = "{" in op.path
        bearer = {"Authorization": f"Bearer {world.token(db_session, 'outsider')}"}
        for how, headers, cookies in (("bearer", bearer, False), ("cookie", csrf_headers(api), True)):
            if not cookies:
                saved, api.cookies = api.cookies, httpx.Cookies()
            kwargs: dict[str, Any] = {"params": query, "headers": headers}
            if body is not None:
                kwargs["json"] = body
            response = await api.request(op.method.upper(), path, **kwargs)
            if not cookies:
                api.cookies = saved
            ok = 200 <= response.status_code < 300
            if ok and (names_a or MARKER in response.text):
                leaks.append(f"{op.method.upper()} {path} ({how}): {response.status_code} {response.text[:200]}")
        walked += 1
    print(f"tenant matrix: {walked} operations × 2 (bearer, cookie) = {2 * walked} requests")
    assert walked == len(operations) >= TODAY_OPERATIONS
    assert not leaks, "\n".join(leaks)
