"""The seeded generator: deterministic, schema-shaped, realistic, and lazy enough for 300 k orders."""

from __future__ import annotations

import gzip
import re
import time
import tracemalloc
from collections import Counter
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import orjson
import pytest

from infra.sandbox.formats import PRAGUE, parse_shoptet_time
from infra.sandbox.generator import (
    ShopSpec,
    black_friday,
    customer_detail,
    entity_guid,
    guid_index,
    iter_records,
    order_code,
    order_detail,
    order_index,
    product,
    product_detail,
    write_snapshot_file,
)

SPEC = ShopSpec(
    eshop_id=5,
    seed=11,
    orders=20_000,
    products=400,
    customers=3_000,
    mean_items=2.5,
    date_from=date(2022, 1, 1),
    date_to=date(2023, 12, 31),
)


def test_same_spec_same_bytes_and_other_seed_differs() -> None:
    twin = replace(SPEC)
    assert orjson.dumps(order_detail(SPEC, 1234)) == orjson.dumps(order_detail(twin, 1234))
    other = replace(SPEC, seed=12)
    assert order_detail(other, 1234)["email"] != order_detail(SPEC, 1234)["email"]


def test_order_totals_equal_the_sum_of_item_rows_with_shipping_and_billing() -> None:
    for i in range(0, SPEC.orders, 997):
        order = order_detail(SPEC, i)
        types = Counter(item["itemType"] for item in order["items"])
        assert types["shipping"] == 1 and types["billing"] == 1 and types["product"] >= 1
        for field in ("withVat", "withoutVat", "vat"):
            assert Decimal(order["price"][field]) == sum(
                Decimal(it["itemPrice"][field]) for it in order["items"]
            )
        for item in order["items"]:
            unit, amount = Decimal(item["unitPrice"]["withVat"]), Decimal(item["amount"])
            assert Decimal(item["itemPrice"]["withVat"]) == unit * amount
            assert re.fullmatch(r"-?\d+\.\d{2}", item["itemPrice"]["withVat"])
            assert re.fullmatch(r"\d+\.\d{3}", item["amount"])


def test_codes_are_yearly_sequences_and_resolve_back() -> None:
    codes = [order_code(SPEC, i) for i in range(SPEC.orders)]
    assert codes == sorted(codes)
    assert codes[0] == "2022000001"
    first_2023 = next(c for c in codes if c.startswith("2023"))
    assert first_2023 == "2023000001"
    for i in (0, 1, 5000, SPEC.orders - 1):
        assert order_index(SPEC, codes[i]) == i
    assert order_index(SPEC, "2021000001") is None
    assert order_index(SPEC, "2023999999") is None


def test_times_are_prague_local_with_winter_and_summer_offsets() -> None:
    offsets = Counter(order_detail(SPEC, i)["creationTime"][-5:] for i in range(0, SPEC.orders, 50))
    assert set(offsets) == {"+0100", "+0200"}
    times = [
        parse_shoptet_time(order_detail(SPEC, i)["creationTime"]) for i in range(0, SPEC.orders, 50)
    ]
    assert times == sorted(times)
    for t in times:
        assert date(2022, 1, 1) <= datetime.fromtimestamp(t, PRAGUE).date() <= date(2023, 12, 31)


def test_seasonality_weekly_rhythm_christmas_and_black_friday() -> None:
    tl = SPEC.timeline
    per_day: Counter[date] = Counter(
        datetime.fromtimestamp(tl.order_time(i), PRAGUE).date() for i in range(SPEC.orders)
    )
    mean = SPEC.orders / 730
    bf = black_friday(2023)
    assert per_day[bf] > 2.5 * mean
    advent = sum(per_day[date(2023, 12, d)] for d in range(1, 21)) / 20
    january = sum(per_day[date(2023, 1, d)] for d in range(2, 31)) / 29
    assert advent > 1.8 * january
    weekdays = Counter()
    for day, n in per_day.items():
        weekdays[day.weekday()] += n
    assert weekdays[0] > weekdays[5] * 1.2  # Mondays beat Saturdays


def test_repeat_buyers_and_guests() -> None:
    buyers = Counter(order_detail(SPEC, i)["customerGuid"] for i in range(0, SPEC.orders, 4))
    guests = buyers.pop(None)
    assert 0.2 < guests / (SPEC.orders / 4) < 0.4
    counts = sorted(buyers.values(), reverse=True)
    top_decile = counts[: max(1, len(counts) // 10)]
    assert sum(top_decile) > 0.3 * sum(counts)  # a loyal core buys often
    assert counts[0] >= 5


def test_czech_people_and_addresses() -> None:
    orders = [order_detail(SPEC, i) for i in range(0, 2000, 20)]
    names = " ".join(o["billingAddress"]["fullName"] for o in orders)
    assert re.search(r"[áčďéěíňóřšťúůýž]", names)
    assert any(name.endswith("ová") for name in names.split())
    for o in orders:
        assert re.fullmatch(r"\d{3} \d{2}", o["billingAddress"]["zip"])
        assert re.fullmatch(r"\+420[67]\d{8}", o["phone"])
        assert o["billingAddress"]["countryCode"] == "CZ"


def test_products_have_variants_and_stock_per_stock() -> None:
    variant_counts = Counter(len(product(SPEC, j).variants) for j in range(SPEC.products))
    assert variant_counts[1] > 0 and (variant_counts[3] + variant_counts[4]) > 0
    detail = product_detail(SPEC, 3, frozenset({"perstockamounts"}))
    for variant in detail["variants"]:
        per_stock = variant["perStockAmounts"]
        assert [row["stockId"] for row in per_stock] == [1, 2]
        assert Decimal(variant["stock"]) == sum(Decimal(row["amount"]) for row in per_stock)


def test_guids_round_trip_and_differ_per_kind() -> None:
    guid = entity_guid(SPEC, "customer", 77)
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", guid
    )
    assert guid_index(SPEC, "customer", guid, SPEC.customers) == 77
    assert guid_index(SPEC, "product", guid, SPEC.products) is None
    assert customer_detail(SPEC, 77)["guid"] == guid


def test_snapshot_file_streams_with_flat_memory(tmp_path: Path) -> None:
    small, large = replace(SPEC, orders=150), replace(SPEC, orders=1_500)
    write_snapshot_file(
        tmp_path / "warm.json", replace(SPEC, orders=50), "orders"
    )  # imports, tables
    tracemalloc.start()
    write_snapshot_file(tmp_path / "s.json", small, "orders")
    _, peak_small = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    lines, size = write_snapshot_file(tmp_path / "l.json", large, "orders")
    _, peak_large = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert lines == large.orders
    assert size == (tmp_path / "l.json").stat().st_size
    # 10x the orders, not 10x the memory (product/customer caches are bounded)
    assert peak_large < 2 * peak_small + 2_000_000, (peak_small, peak_large)
    with gzip.open(tmp_path / "l.json") as fh:
        first = orjson.loads(fh.readline())
    assert first == order_detail(large, 0)


def test_malformed_rate_cuts_that_share_of_lines(tmp_path: Path) -> None:
    small = ShopSpec(eshop_id=9, orders=2_000, products=50, customers=100)
    write_snapshot_file(tmp_path / "m.json", small, "orders", malformed_rate=0.1)
    bad = 0
    with gzip.open(tmp_path / "m.json") as fh:
        for line in fh:
            try:
                orjson.loads(line)
            except orjson.JSONDecodeError:
                bad += 1
    assert 120 < bad < 290


@pytest.mark.parametrize("resource", ["products", "customers"])
def test_every_resource_streams(resource: str) -> None:
    records = list(
        iter_records(ShopSpec(eshop_id=9, orders=10, products=30, customers=40), resource)
    )
    assert len(records) == {"products": 30, "customers": 40}[resource]
    assert len({r["guid"] for r in records}) == len(records)


def test_bad_spec_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="date_to 2020-01-01 is before date_from"):
        ShopSpec(eshop_id=1, date_from=date(2021, 1, 1), date_to=date(2020, 1, 1))


def test_a_shop_whose_dates_reach_today_has_nothing_after_now_on_the_sandbox_clock() -> None:
    from infra.sandbox.formats import local_midnight
    from infra.sandbox.state import SandboxState, not_after

    today = date(2024, 6, 12)
    now = local_midnight(today) + 10.5 * 3600  # 10:30 in Prague, the sandbox's "now"
    spec = ShopSpec(eshop_id=77, seed=3, orders=5_000, products=120, customers=800,
                    date_from=date(2022, 6, 12), date_to=today)
    assert spec.timeline.order_time(spec.orders - 1) > now  # the defect: orders later today
    cut = not_after(spec, now)
    tl = cut.timeline
    times = [tl.order_time(i) for i in range(cut.orders)]
    assert times == sorted(times) and max(times) < now and len(times) == 5_000
    assert max(tl.order_change_time(i) for i in range(cut.orders)) < now
    assert all(tl.order_change_time(i) >= tl.order_time(i) for i in range(cut.orders))
    assert max(tl.customer_change_time(k) for k in range(cut.customers)) < now
    assert max(tl.product_change_time(j) for j in range(cut.products)) < now
    assert sum(1 for t in times if t >= local_midnight(today)) > 0  # today still has its morning's orders
    assert not_after(cut, now + 3600) is cut and not_after(SPEC, now) is SPEC  # past shops are left alone

    # the sandbox applies it with its own (advanced) clock to every shop it makes
    state = SandboxState()
    state.clock.offset = now - time.time()  # the sandbox clock says 10:30 on `today`
    shop = state.add_shop(spec)
    assert shop.spec.until is not None and shop.spec.until <= state.clock.now()
    newest = max(parse_shoptet_time(order_detail(shop.spec, i)["creationTime"]) for i in range(4_990, 5_000))
    assert newest < state.clock.now()
    with pytest.raises(ValueError, match="until"):
        ShopSpec(eshop_id=1, date_from=date(2024, 1, 1), date_to=date(2024, 2, 1), until=local_midnight(date(2023, 1, 1)))
