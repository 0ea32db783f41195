"""Every setting is presented with an area, a unit, a label and help in English and Czech, and
the page's listing carries them with the validation limits — no raw key as a label."""

from __future__ import annotations

import httpx
import pytest

from db.app_settings import CATALOGUE, coerce
from db.settings_text import AREAS, TEXTS, UNITS
from tests.support import assert_problem, login


def test_every_catalogued_setting_has_text_in_both_languages() -> None:
    missing = sorted(set(CATALOGUE) - set(TEXTS))
    assert not missing, f"add these to db/settings_text.py: {missing}"
    assert not sorted(set(TEXTS) - set(CATALOGUE)), "text for a setting that is not declared"
    for key, text in TEXTS.items():
        assert text.area in AREAS and text.unit in UNITS, key
        for words in (text.label_en, text.label_cs, text.help_cs):
            assert words.strip() and key not in words, key  # a label is words, never the key
        assert text.label_en != text.label_cs or text.label_en.isupper(), f"{key}: the Czech label is the English one"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("analytics.inventory.service_level", 1.0, "at most 0.999"),
        ("analytics.inventory.notify_severity", "urgent", "one of low, medium, high"),
        ("analytics.inventory.holidays", "Czechia", "two-letter country code"),
        ("sync.interval_minutes", 0, "at least 1"),
        ("sync.interval_minutes", 10_000, "at most 1440"),
    ],
)
def test_limits_choices_and_patterns_are_enforced(key: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        coerce(key, value)


def test_good_values_pass() -> None:
    assert coerce("analytics.inventory.holidays", "") == ""
    assert coerce("analytics.inventory.holidays", "SK") == "SK"
    assert coerce("analytics.inventory.notify_severity", "high") == "high"


async def test_the_listing_is_grouped_labelled_and_carries_limits(api: httpx.AsyncClient, make_user, make_shop) -> None:  # type: ignore[no-untyped-def]
    shop = make_shop()
    user, password = make_user(shops={shop.id: "manager"})
    await login(api, user.email, password)
    items = (await api.get(f"/api/shops/{shop.id}/settings")).json()["items"]
    areas = [i["area"] for i in items]
    assert areas == sorted(areas, key=AREAS.index)  # grouped, in the page's order
    rate = next(i for i in items if i["key"] == "analytics.inventory.holding_cost_rate")
    assert rate["label"] == {"en": "Yearly holding cost", "cs": "Roční náklady na skladování"}
    assert rate["unit"] == "share" and rate["minimum"] == 0.01 and rate["help"]["cs"].startswith("Roční")
    severity = next(i for i in items if i["key"] == "analytics.inventory.notify_severity")
    assert severity["choices"] == ["low", "medium", "high"]
    bad = assert_problem(await api.put(f"/api/shops/{shop.id}/settings", json={"analytics.inventory.service_level": 1.5}), 422)
    assert bad["errors"] == [{"key": "analytics.inventory.service_level", "msg": "analytics.inventory.service_level must be at most 0.999, got 1.5"}]
