"""API tokens: named, expiring, listed, revoked at once (API and CLI), all revoked when the
password changes (in the UI or by `shopops user create`)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from db.models import ApiToken, AuditEvent
from tests.support import assert_problem, login

SHOPOPS = str(Path(sys.executable).parent / "shopops")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _works(api: httpx.AsyncClient, token: str) -> bool:
    # a bearer header is judged alone: a session cookie beside it does not count
    answer = await api.get("/api/auth/me", headers=_bearer(token))
    assert answer.status_code in (200, 401), answer.text
    return answer.status_code == 200


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SHOPOPS, *args], env=os.environ, capture_output=True, text=True, timeout=120, check=False
    )


async def test_list_name_expiry_and_revoke(
    api: httpx.AsyncClient, make_user, db_session: Session
) -> None:  # type: ignore[no-untyped-def]
    user, password = make_user()
    await login(api, user.email, password)
    forever = (await api.post("/api/auth/tokens", json={"name": "stock script"})).json()
    monthly = (await api.post("/api/auth/tokens", json={"name": "report", "days": 30})).json()
    assert forever["expires_at"] is None
    expires = datetime.fromisoformat(monthly["expires_at"])
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)
    assert await _works(api, forever["token"]) and await _works(api, monthly["token"])

    listed = (await api.get("/api/auth/tokens")).json()
    assert [(t["id"], t["name"], t["state"]) for t in listed] == [
        (monthly["id"], "report", "active"),
        (forever["id"], "stock script", "active"),
    ]
    assert all("token" not in t for t in listed)
    assert listed[0]["last_used_at"] is not None

    revoked = (await api.delete(f"/api/auth/tokens/{forever['id']}")).json()
    assert revoked["state"] == "revoked"
    assert not await _works(api, forever["token"])
    again = (await api.delete(f"/api/auth/tokens/{forever['id']}")).json()
    assert again["revoked_at"] == revoked["revoked_at"]  # revoking twice keeps the first time

    # an expired token stops working and is listed as expired
    db_session.execute(
        update(ApiToken)
        .where(ApiToken.id == monthly["id"])
        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    db_session.commit()
    assert not await _works(api, monthly["token"])
    states = {t["id"]: t["state"] for t in (await api.get("/api/auth/tokens")).json()}
    assert states == {monthly["id"]: "expired", forever["id"]: "revoked"}

    actions = db_session.execute(
        select(AuditEvent.action).where(AuditEvent.user_id == user.id).order_by(AuditEvent.id)
    ).scalars()
    assert list(actions) == [
        "signin.success",
        "token.create",
        "token.create",
        "token.revoke",
        "token.revoke",
    ]


async def test_tokens_of_others_cannot_be_revoked_and_bad_input_is_a_problem(
    api: httpx.AsyncClient, make_user
) -> None:  # type: ignore[no-untyped-def]
    owner, owner_pw = make_user()
    await login(api, owner.email, owner_pw)
    token = (await api.post("/api/auth/tokens", json={"name": "mine"})).json()
    other, other_pw = make_user()
    await login(api, other.email, other_pw)
    assert_problem(await api.delete(f"/api/auth/tokens/{token['id']}"), 404)
    assert await _works(api, token["token"])
    assert_problem(await api.delete("/api/auth/tokens/0"), 422)
    assert_problem(await api.delete("/api/auth/tokens/9223372036854775808"), 422)
    assert_problem(await api.post("/api/auth/tokens", json={"name": ""}), 422)
    assert_problem(await api.post("/api/auth/tokens", json={"name": "x", "days": 0}), 422)
    assert (await api.get("/api/auth/tokens")).json() == []


async def test_password_change_revokes_every_token_and_other_sessions(
    api: httpx.AsyncClient, make_user, db_session: Session
) -> None:  # type: ignore[no-untyped-def]
    from api.app import create_app

    user, password = make_user()
    await login(api, user.email, password)
    tokens = [
        (await api.post("/api/auth/tokens", json={"name": f"t{i}"})).json()["token"]
        for i in range(2)
    ]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app()), base_url="http://api.test"
    ) as laptop:
        await login(laptop, user.email, password)

        wrong = await api.post(
            "/api/auth/password",
            json={"current_password": "not-it", "new_password": "a-new-long-password"},
        )
        assert_problem(wrong, 403)
        assert all([await _works(api, t) for t in tokens])

        changed = await api.post(
            "/api/auth/password",
            json={"current_password": password, "new_password": "a-new-long-password"},
        )
        assert changed.status_code == 204, changed.text
        assert not any([await _works(api, t) for t in tokens])
        assert_problem(await laptop.get("/api/auth/me"), 401)  # the other browser is signed out
    api.headers["X-CSRF-Token"] = api.cookies["shopops_csrf"]  # this browser got a new session
    assert (await api.get("/api/auth/me")).status_code == 200
    assert (await api.post("/api/auth/tokens", json={"name": "after"})).status_code == 201
    await login(api, user.email, "a-new-long-password")
    audit = db_session.execute(
        select(AuditEvent.success, AuditEvent.detail)
        .where(AuditEvent.user_id == user.id, AuditEvent.action == "password.change")
        .order_by(AuditEvent.id)
    ).all()
    assert [(ok, detail.get("tokens_revoked")) for ok, detail in audit] == [
        (False, None),
        (True, 2),
    ]


async def test_cli_creates_lists_and_revokes_and_a_password_reset_revokes_all(
    api: httpx.AsyncClient, make_user
) -> None:  # type: ignore[no-untyped-def]
    user, password = make_user()
    created = _cli("token", "create", user.email, "--name", "nightly export", "--days", "7")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert await _works(api, token)
    listed = _cli("token", "list", user.email)
    token_id, state, name = listed.stdout.split("\t")[:3]
    assert (state, name) == ("active", "nightly export")

    assert _cli("token", "revoke", token_id).returncode == 0
    assert not await _works(api, token)
    assert "revoked" in _cli("token", "list", user.email).stdout
    missing = _cli("token", "revoke", "999999999")
    assert missing.returncode == 2 and "no API token" in missing.stderr
    assert _cli("token", "list", "nobody@example.com").returncode == 2

    second = _cli("token", "create", user.email, "--name", "second").stdout.strip()
    # the same password again (what `make run` does at every start) keeps the tokens
    same = _cli("user", "create", user.email, "--password", password)
    assert same.returncode == 0, same.stderr
    assert await _works(api, second)
    reset = _cli("user", "create", user.email, "--password", "a-brand-new-password")
    assert reset.returncode == 0, reset.stderr
    assert not await _works(api, second)


async def test_last_used_is_written_once_a_minute_and_memberships_are_read_fresh(
    api: httpx.AsyncClient, make_user, make_shop, db_session: Session
) -> None:  # type: ignore[no-untyped-def]
    """The caller is read in one query per request (user, token and memberships), and the
    token's `last_used_at` is written only when it is a minute old: no write per request."""
    from db.models import ShopMembership

    user, password = make_user()
    await login(api, user.email, password)
    token = (await api.post("/api/auth/tokens", json={"name": "poller"})).json()
    assert await _works(api, token["token"])

    def last_used() -> datetime | None:
        db_session.expire_all()
        return db_session.scalar(select(ApiToken.last_used_at).where(ApiToken.id == token["id"]))

    first = last_used()
    assert first is not None
    assert await _works(api, token["token"]) and await _works(api, token["token"])
    assert last_used() == first  # used again within the minute: not rewritten

    stale = datetime.now(UTC) - timedelta(minutes=2)
    db_session.execute(update(ApiToken).where(ApiToken.id == token["id"]).values(last_used_at=stale))
    db_session.commit()
    assert await _works(api, token["token"])
    refreshed = last_used()
    assert refreshed is not None and refreshed > stale

    # a membership granted now is seen by the very next request (nothing cached)
    shop = make_shop()
    listed = await api.get(f"/api/shops/{shop.id}/orders", headers=_bearer(token["token"]))
    assert listed.status_code == 404
    db_session.add(ShopMembership(user_id=user.id, shop_id=shop.id, role="viewer"))
    db_session.commit()
    listed = await api.get(f"/api/shops/{shop.id}/orders", headers=_bearer(token["token"]))
    assert listed.status_code == 200, listed.text
    db_session.execute(delete(ShopMembership).where(ShopMembership.user_id == user.id))
    db_session.commit()
    assert (await api.get(f"/api/shops/{shop.id}/orders", headers=_bearer(token["token"]))).status_code == 404
