"""CSRF: a state-changing request riding on the session cookie needs the session's token in
X-CSRF-Token and an Origin (or Referer) of this site; bearer calls and Shoptet's callbacks do not."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import InventoryRun
from tests.support import assert_problem, login

EVIL = "https://evil.example"
FORM = {"content-type": "application/x-www-form-urlencoded"}


def _refused(response: httpx.Response) -> dict[str, object]:
    body = assert_problem(response, 403)
    assert body["title"] == "Cross-site request refused"
    return body


async def _signed_in_manager(api: httpx.AsyncClient, make_user, make_shop) -> int:  # type: ignore[no-untyped-def]
    shop = make_shop()
    user, password = make_user(shops={shop.id: "manager"})
    await login(api, user.email, password)
    return int(shop.id)


async def test_cross_site_form_post_with_empty_body_is_refused_and_starts_nothing(
    api: httpx.AsyncClient, make_user, make_shop, db_session: Session
) -> None:  # type: ignore[no-untyped-def]
    shop_id = await _signed_in_manager(api, make_user, make_shop)
    del api.headers["X-CSRF-Token"]  # a foreign page cannot read our cookie to set the header
    runs = select(func.count()).select_from(InventoryRun).where(InventoryRun.shop_id == shop_id)
    for path in (
        f"/api/shops/{shop_id}/inventory/run",
        f"/api/shops/{shop_id}/purchase-orders/1/receive",
        f"/api/shops/{shop_id}/snapshot-runs",
    ):
        body = _refused(await api.post(path, content=b"", headers={**FORM, "Origin": EVIL}))
        assert EVIL in str(body["detail"])
    assert db_session.execute(runs).scalar_one() == 0


async def test_missing_or_foreign_token_is_refused_even_from_our_own_origin(
    api: httpx.AsyncClient, make_user, make_shop
) -> None:  # type: ignore[no-untyped-def]
    await _signed_in_manager(api, make_user, make_shop)
    own_token = api.headers["X-CSRF-Token"]
    same_site = {"Origin": "http://api.test"}

    missing = _refused(
        await api.post("/api/notifications/read-all", headers={**same_site, "X-CSRF-Token": ""})
    )
    assert "missing" in str(missing["detail"])
    # a token of another session (the attacker's own account) does not fit this session
    from api.app import create_app

    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as other:
        someone, password = make_user()
        await login(other, someone.email, password)
        foreign = other.headers["X-CSRF-Token"]
    assert foreign != own_token
    mismatch = _refused(
        await api.post(
            "/api/notifications/read-all", headers={**same_site, "X-CSRF-Token": foreign}
        )
    )
    assert "does not match" in str(mismatch["detail"])
    odd = await api.post(
        "/api/notifications/read-all",
        headers={"X-CSRF-Token": "žluťoučký".encode()},
    )
    _refused(odd)

    ok = await api.post("/api/notifications/read-all", headers=same_site)
    assert ok.status_code == 204, ok.text


async def test_right_token_from_a_foreign_origin_or_referer_is_refused(
    api: httpx.AsyncClient, make_user, make_shop
) -> None:  # type: ignore[no-untyped-def]
    await _signed_in_manager(api, make_user, make_shop)
    _refused(await api.post("/api/notifications/read-all", headers={"Origin": EVIL}))
    _refused(await api.post("/api/notifications/read-all", headers={"Origin": "null"}))
    _refused(
        await api.post("/api/notifications/read-all", headers={"Referer": f"{EVIL}/page.html"})
    )
    ok = await api.post(
        "/api/notifications/read-all", headers={"Referer": "http://api.test/notifications"}
    )
    assert ok.status_code == 204, ok.text


async def test_bearer_calls_need_no_csrf_token(
    api: httpx.AsyncClient, make_user, make_shop
) -> None:  # type: ignore[no-untyped-def]
    await _signed_in_manager(api, make_user, make_shop)
    token = (await api.post("/api/auth/tokens", json={"name": "script"})).json()["token"]
    api.cookies.clear()
    del api.headers["X-CSRF-Token"]
    ok = await api.post(
        "/api/notifications/read-all", headers={"Authorization": f"Bearer {token}", "Origin": EVIL}
    )
    assert ok.status_code == 204, ok.text


async def test_shoptet_callbacks_are_exempt_and_safe_methods_pass(
    api: httpx.AsyncClient, make_user, make_shop
) -> None:  # type: ignore[no-untyped-def]
    await _signed_in_manager(api, make_user, make_shop)
    del api.headers["X-CSRF-Token"]
    webhook = await api.post("/api/webhooks/shoptet", content=b"{}", headers={"Origin": EVIL})
    assert "Cross-site request refused" not in webhook.text
    assert (await api.get("/api/auth/me", headers={"Origin": EVIL})).status_code == 200


async def test_sign_in_from_a_foreign_page_is_refused(api: httpx.AsyncClient, make_user) -> None:  # type: ignore[no-untyped-def]
    user, password = make_user()
    creds = {"email": user.email, "password": password}
    _refused(await api.post("/api/auth/login", json=creds, headers={"Origin": EVIL}))
    assert "shopops_session" not in api.cookies
    await login(api, user.email, password)  # same site (no Origin from a non-browser client)


async def test_the_csrf_cookie_is_readable_and_reissued_by_me(
    api: httpx.AsyncClient, make_user
) -> None:  # type: ignore[no-untyped-def]
    user, password = make_user()
    response = await api.post("/api/auth/login", json={"email": user.email, "password": password})
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("shopops_session="))
    csrf = next(c for c in cookies if c.startswith("shopops_csrf="))
    assert "HttpOnly" in session and "HttpOnly" not in csrf
    api.cookies.delete("shopops_csrf")
    reissued = await api.get("/api/auth/me")
    assert reissued.cookies["shopops_csrf"] == response.cookies["shopops_csrf"]
