from datetime import UTC, datetime, timedelta, timezone

import pytest

from db.partitions import Quarter, parse_partition_name, partition_name, quarters_between


def test_quarter_of_uses_utc_bounds() -> None:
    prague_summer = timezone(timedelta(hours=2))
    assert Quarter.of(datetime(2024, 4, 1, 1, 0, tzinfo=prague_summer)) == Quarter(2024, 1)
    assert Quarter.of(datetime(2024, 4, 1, 2, 0, tzinfo=prague_summer)) == Quarter(2024, 2)


def test_quarters_order_years_before_quarters() -> None:
    assert Quarter(2023, 4) < Quarter(2024, 1) < Quarter(2024, 2)
    assert quarters_between(Quarter(2023, 3), Quarter(2024, 2)) == [
        Quarter(2023, 3),
        Quarter(2023, 4),
        Quarter(2024, 1),
        Quarter(2024, 2),
    ]
    assert Quarter(2024, 1).add(-1) == Quarter(2023, 4) == Quarter(2024, 1).prev()
    assert Quarter(2023, 4).next().start == datetime(2024, 1, 1, tzinfo=UTC)


def test_names_round_trip_and_parse_errors() -> None:
    q = Quarter(2025, 3)
    assert parse_partition_name(partition_name("order_items", q)) == ("order_items", q)
    assert parse_partition_name("orders_default") is None
    assert Quarter.parse("2025Q3") == q
    with pytest.raises(ValueError, match="2024q1"):
        Quarter.parse("Q3-2025")
