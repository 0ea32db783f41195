"""The SQL path: demand summed per shop-local day as the simulation sold it, stock snapshots."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import psycopg

from activities.inventory import sql
from activities.inventory.analytics import demand_history
from activities.inventory.chunk import stock_readings
from tests.inventory.conftest import SeededShop, new_shop, rows
from tests.inventory.seed import TZ


def test_daily_sales_match_what_was_sold_per_local_day(
    pg: psycopg.Connection, seeded_shop: SeededShop
) -> None:
    shop, sim = seeded_shop.shop_id, seeded_shop.sim
    codes = sim.codes[:25]
    first, last = sim.days[0].to_timestamp().date(), sim.as_of
    sales = sql.daily_sales(pg, shop, codes, first, last, TZ)
    pg.commit()
    got = (
        sales.assign(day=pd.PeriodIndex(sales["ordered_at"], freq="D"))
        .pivot_table(index="day", columns="variant_id", values="quantity", aggfunc="sum")
        .reindex(index=sim.days, columns=codes)
        .fillna(0.0)
    )
    # archive quarters included, cancelled orders and shipping lines left out, split lines summed,
    # orders near midnight on the shop's local day
    np.testing.assert_array_equal(got.to_numpy(), sim.sales[:, :25])
    assert len(sales) == int((sim.sales[:, :25] > 0).sum())


def test_stock_rows_censor_the_days_that_open_or_close_sold_out(
    pg: psycopg.Connection, seeded_shop: SeededShop
) -> None:
    shop, sim = seeded_shop.shop_id, seeded_shop.sim
    codes = sim.codes
    first, last = sim.days[0].to_timestamp().date(), sim.as_of - timedelta(days=1)
    history = demand_history(
        sql.daily_sales(pg, shop, codes, first, last, TZ),
        stock_readings(sql.stock_rows(pg, shop, codes, first, last)),
        start=str(first),
        end=str(last),
    )
    pg.commit()
    censored = sim.censored()[:-1]
    assert censored.any() and not censored.all()
    np.testing.assert_array_equal(history[codes].isna().to_numpy(), censored)
    observed = ~censored
    np.testing.assert_array_equal(history[codes].to_numpy()[observed], sim.sales[:-1][observed])


def test_stock_snapshot_writes_changes_once(pg: psycopg.Connection) -> None:
    shop = new_shop(pg, "Inventory snapshot shop")
    pg.execute(
        "INSERT INTO variants (shop_id, code, product_guid, stock_total) VALUES "
        "(%(s)s, 'A', gen_random_uuid(), 1), (%(s)s, 'B', gen_random_uuid(), 5), "
        "(%(s)s, 'C', gen_random_uuid(), NULL)",
        {"s": shop},
    )
    pg.execute(
        "INSERT INTO stock_levels (shop_id, stock_id, variant_code, amount) VALUES "
        "(%(s)s, 1, 'A', 3), (%(s)s, 2, 'A', 4)",
        {"s": shop},
    )
    pg.commit()
    day, at = date(2026, 3, 1), datetime(2026, 3, 2, 0, 15, tzinfo=UTC)

    def history() -> list[tuple[Any, ...]]:
        return rows(
            pg,
            "SELECT variant_code, day, stock::float8 FROM stock_history WHERE shop_id = %s "
            "ORDER BY day, variant_code",
            shop,
        )

    # stocks summed, the variant's own total without stock levels, unknown stock skipped
    assert sql.snapshot_stock(pg, shop, day, at) == 2
    assert history() == [("A", day, 7.0), ("B", day, 5.0)]
    assert sql.snapshot_stock(pg, shop, day, at) == 0  # a retry writes nothing
    pg.execute("UPDATE stock_levels SET amount = 0 WHERE shop_id = %s AND stock_id = 2", (shop,))
    pg.commit()
    assert sql.snapshot_stock(pg, shop, day, at) == 0  # the day's first observation stays
    nextday = day + timedelta(days=1)
    assert sql.snapshot_stock(pg, shop, nextday, at + timedelta(days=1)) == 1  # only A changed
    assert history()[-1] == ("A", nextday, 3.0)
