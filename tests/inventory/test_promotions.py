"""The promotions calendar from the API: created, listed (optionally by overlapping range),
replaced and deleted by managers, read by viewers; bad input is a 4xx problem, never a 500."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support import assert_problem, login

BLACK_WEEK: dict[str, Any] = {
    "name": "Černý týden",
    "starts_on": "2025-11-24",
    "ends_on": "2025-11-30",
}


@pytest.fixture
async def shops(make_shop: Any) -> tuple[int, int]:
    return make_shop().id, make_shop().id


async def _signed_in(api: httpx.AsyncClient, make_user: Any, shop_id: int, role: str) -> None:
    user, password = make_user(shops={shop_id: role})
    await login(api, user.email, password)


async def test_promotions_crud(
    api: httpx.AsyncClient, make_user: Any, shops: tuple[int, int]
) -> None:
    shop, other = shops
    await _signed_in(api, make_user, shop, "manager")
    url = f"/api/shops/{shop}/promotions"
    made = (await api.post(url, json=BLACK_WEEK)).json()
    assert made["name"] == "Černý týden" and made["variant_code"] is None
    scoped = await api.post(
        url,
        json={
            "name": "Ice cream week",
            "starts_on": "2025-07-01",
            "ends_on": "2025-07-07",
            "category": "Zmrzlina",
        },
    )
    assert scoped.status_code == 201
    listed = (await api.get(url)).json()
    assert [p["name"] for p in listed] == ["Ice cream week", "Černý týden"]
    november = (await api.get(url, params={"since": "2025-11-01", "until": "2025-11-25"})).json()
    assert [p["id"] for p in november] == [made["id"]]

    item = f"{url}/{made['id']}"
    replaced = await api.put(item, json={**BLACK_WEEK, "variant_code": "TRIKO/M"})
    assert replaced.status_code == 200 and replaced.json()["variant_code"] == "TRIKO/M"
    assert (await api.get(item)).json()["variant_code"] == "TRIKO/M"
    assert (await api.delete(item)).status_code == 204
    assert_problem(await api.get(item), 404)
    assert_problem(await api.delete(item), 404)
    assert_problem(await api.get(f"/api/shops/{other}/promotions"), 404)  # not a member


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({**BLACK_WEEK, "ends_on": "2025-11-01"}, "is before starts_on"),
        ({**BLACK_WEEK, "name": "   "}, "must not be blank"),
        ({**BLACK_WEEK, "starts_on": "next friday"}, "starts_on"),
        ({**BLACK_WEEK, "variant_code": "A", "category": "B"}, "not both"),
        ({**BLACK_WEEK, "ends_on": "2027-01-01"}, "at most 366 days"),
        ({"name": "No days"}, "starts_on"),
    ],
)
async def test_bad_promotions_are_422(
    api: httpx.AsyncClient,
    make_user: Any,
    shops: tuple[int, int],
    body: dict[str, Any],
    detail: str,
) -> None:
    shop, _ = shops
    await _signed_in(api, make_user, shop, "manager")
    problem = assert_problem(await api.post(f"/api/shops/{shop}/promotions", json=body), 422)
    assert detail in str(problem)
    bad_range = await api.get(f"/api/shops/{shop}/promotions", params={"since": "2025-01-01"})
    assert_problem(bad_range, 422)
    assert_problem(await api.put(f"/api/shops/{shop}/promotions/0", json=BLACK_WEEK), 422)


async def test_viewers_read_promotions_but_cannot_change_them(
    api: httpx.AsyncClient, make_user: Any, shops: tuple[int, int]
) -> None:
    shop, _ = shops
    await _signed_in(api, make_user, shop, "viewer")
    url = f"/api/shops/{shop}/promotions"
    assert (await api.get(url)).status_code == 200
    assert_problem(await api.post(url, json=BLACK_WEEK), 403)
