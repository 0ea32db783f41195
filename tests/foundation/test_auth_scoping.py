"""Sign-in, bearer tokens, and scoping: a member sees only their shops."""

from __future__ import annotations

import httpx

from tests.support import MakeShop, MakeUser, assert_problem, login


async def test_login_and_me(api: httpx.AsyncClient, make_user: MakeUser, make_shop: MakeShop) -> None:
    shop_a, shop_b = make_shop("A"), make_shop("B")
    user, password = make_user(shops={shop_a.id: "manager"})
    assert_problem(await api.get("/api/auth/me"), 401)
    bad = await api.post("/api/auth/login", json={"email": user.email, "password": "nope"})
    assert_problem(bad, 401)
    await login(api, user.email, password)
    me = (await api.get("/api/auth/me")).json()
    assert [s["id"] for s in me["shops"]] == [shop_a.id]
    shops = (await api.get("/api/shops")).json()
    assert [s["id"] for s in shops] == [shop_a.id]
    assert (await api.get(f"/api/shops/{shop_a.id}")).status_code == 200
    # another shop answers exactly like a missing one
    other = assert_problem(await api.get(f"/api/shops/{shop_b.id}"), 404)
    missing = assert_problem(await api.get("/api/shops/999999999"), 404)
    assert other["title"] == missing["title"]


async def test_bearer_token(api: httpx.AsyncClient, make_user: MakeUser, make_shop: MakeShop) -> None:
    shop = make_shop()
    user, password = make_user(shops={shop.id: "viewer"})
    await login(api, user.email, password)
    token = (await api.post("/api/auth/tokens", json={"name": "script"})).json()["token"]
    api.cookies.clear()
    ok = await api.get("/api/shops", headers={"Authorization": f"Bearer {token}"})
    assert [s["id"] for s in ok.json()] == [shop.id]
    assert_problem(await api.get("/api/shops", headers={"Authorization": "Bearer forged"}), 401)


async def test_admin_sees_every_shop_and_members_cannot_reach_admin(
    api: httpx.AsyncClient, make_user: MakeUser, make_shop: MakeShop
) -> None:
    shop = make_shop()
    admin, admin_pw = make_user(role="admin")
    member, member_pw = make_user(shops={shop.id: "manager"})
    await login(api, member.email, member_pw)
    assert_problem(await api.post("/api/admin/system-check"), 403)
    await login(api, admin.email, admin_pw)
    ids = {s["id"] for s in (await api.get("/api/shops")).json()}
    assert shop.id in ids


async def test_validation_errors_are_problems(api: httpx.AsyncClient) -> None:
    body = assert_problem(await api.post("/api/auth/login", json={"email": "not-an-email"}), 422)
    assert "email" in body["detail"] or "password" in body["detail"]
    assert_problem(await api.get("/api/no-such-route"), 404)


async def test_the_language_switch_saves_the_profile_locale(api: httpx.AsyncClient, make_user) -> None:  # type: ignore[no-untyped-def]
    user, password = make_user()
    assert_problem(await api.patch("/api/auth/me", json={"locale": "en"}), 401)
    await login(api, user.email, password)
    assert (await api.get("/api/auth/me")).json()["locale"] == "cs"  # the profile's default
    assert (await api.patch("/api/auth/me", json={"locale": "en"})).json()["locale"] == "en"
    assert_problem(await api.patch("/api/auth/me", json={"locale": "de"}), 422)
    assert_problem(await api.patch("/api/auth/me", json={}), 422)
    api.cookies.clear()
    again = await api.post("/api/auth/login", json={"email": user.email, "password": password})
    assert again.json()["locale"] == "en"  # the next sign-in starts in the saved language
