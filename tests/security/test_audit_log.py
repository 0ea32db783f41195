"""The audit log: admins read sign-ins, token changes and admin actions; nobody else can."""

from __future__ import annotations

import httpx

from tests.support import assert_problem, login


async def test_admins_read_the_log_filtered_and_paged_members_cannot(
    api: httpx.AsyncClient, make_user
) -> None:  # type: ignore[no-untyped-def]
    member, member_pw = make_user()
    assert_problem(
        await api.post("/api/auth/login", json={"email": member.email, "password": "no"}), 401
    )
    await login(api, member.email, member_pw)
    assert_problem(await api.get("/api/admin/audit-events"), 403)

    admin, admin_pw = make_user(role="admin")
    await login(api, admin.email, admin_pw)
    mine = (await api.get("/api/admin/audit-events", params={"user_id": member.id})).json()
    assert [(e["action"], e["success"]) for e in mine["items"]] == [
        ("signin.success", True),
        ("signin.failure", False),
    ]
    assert mine["items"][1]["actor_email"] == member.email.lower()
    assert mine["items"][1]["ip"]

    first = (await api.get("/api/admin/audit-events", params={"limit": 1})).json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = (
        await api.get(
            "/api/admin/audit-events", params={"limit": 1, "cursor": first["next_cursor"]}
        )
    ).json()
    assert second["items"][0]["id"] < first["items"][0]["id"]
    failures = (
        await api.get("/api/admin/audit-events", params={"action": "signin.failure"})
    ).json()
    assert failures["items"] and {e["action"] for e in failures["items"]} == {"signin.failure"}
    assert_problem(await api.get("/api/admin/audit-events", params={"action": "x'; --"}), 422)
    assert_problem(await api.get("/api/admin/audit-events", params={"cursor": "!!"}), 400)


async def test_every_state_changing_admin_request_is_logged_with_its_outcome(
    api: httpx.AsyncClient, make_user
) -> None:  # type: ignore[no-untyped-def]
    admin, admin_pw = make_user(role="admin")
    await login(api, admin.email, admin_pw)
    assert (await api.post("/api/notifications/read-all")).status_code == 204
    refused = await api.put("/api/settings", json={"no.such.setting": 1})
    assert 400 <= refused.status_code < 500
    await api.get("/api/admin/audit-events")  # reads are not actions
    events = (
        await api.get(
            "/api/admin/audit-events", params={"user_id": admin.id, "action": "admin.request"}
        )
    ).json()["items"]
    assert [
        (e["detail"]["method"], e["detail"]["route"], e["detail"]["status"], e["success"])
        for e in events
    ] == [
        ("PUT", "/api/settings", refused.status_code, False),
        ("POST", "/api/notifications/read-all", 204, True),
    ]
