"""A simulated shop for inventory planning, COPYed into PostgreSQL (tests and the benchmark).

Daily demand comes from the benchmark's simulation (smooth, erratic, intermittent and lumpy
variants with weekly patterns and Czech calendar effects). A stock process sells what is on
hand (the rest is lost: those days end sold out and are censored), reorders when the stock
position falls to a reorder level and receives after a lead time; a third of the variants are
managed carelessly and run out regularly. Sales become orders and items at random shop-local
times (some split over two lines, some cancelled orders and shipping lines that must not
count), end-of-day stock becomes `stock_history` rows (only where it changed) up to the day
before `as_of`, and today's stock `stock_levels`. Two suppliers offer most variants: a fast
one and a cheaper, slower, less reliable one with an order cost.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import psycopg

from bench.inventory import simulate_demand
from db.partitions import Quarter, create_partition_sql, quarters_between

TZ = "Europe/Prague"
FAST = {"name": "Rychlý dodavatel", "lead": 4.0, "sd": 1.0, "order_cost": 0.0}
CHEAP = {"name": "Levný dodavatel", "lead": 12.0, "sd": 4.0, "order_cost": 300.0}
CANCELLED_UNITS = 999.0  # on cancelled orders and shipping lines: counted, the demand is wrong


@dataclass(frozen=True)
class Simulation:
    days: pd.PeriodIndex  # shop-local days, the last one is as_of
    codes: list[str]
    demand: np.ndarray  # days × variants: what customers wanted
    sales: np.ndarray  # what they could buy (lost sales when sold out)
    stock: np.ndarray  # end-of-day stock
    price: np.ndarray  # purchase price per variant

    @property
    def as_of(self) -> date:
        return self.days[-1].to_timestamp().date()

    def censored(self) -> np.ndarray:
        """Days the pure module treats as unknown demand: they open or close sold out."""
        opened = np.vstack([self.stock[:1] * 0 + 1, self.stock[:-1]])
        return (self.stock <= 0) | (opened <= 0)


def simulate_shop(
    n_variants: int, days: int, as_of: date, seed: int, dying: float = 0.0, scale: float = 1.0
) -> Simulation:
    """`dying` is the share of variants whose demand fades out over the last year (each unit
    kept with a probability falling from 1 to about 2 %: a product leaving the market).
    `scale` < 1 keeps each unit of demand with that probability: a large catalogue's long tail,
    where most variants sell a few units a month."""
    rng = np.random.default_rng(seed)
    truth, _ = simulate_demand(n_variants, days, rng, end=as_of.isoformat())
    demand = truth.to_numpy()
    if dying > 0:
        fading = np.flatnonzero(rng.random(n_variants) < dying)
        age = np.maximum(np.arange(days) - (days - 365), 0)[:, None]
        demand[:, fading] = rng.binomial(demand[:, fading].astype(np.int64), np.exp(-age / 95.0))
    if scale < 1:
        demand = rng.binomial(demand.astype(np.int64), scale).astype(demand.dtype)
    level = demand[:60].mean(axis=0) + 0.1
    lead = rng.integers(3, 10, n_variants)
    careless = rng.random(n_variants) < 1 / 3
    reorder_level = np.where(careless, level * 1.0, level * (lead + 4))
    lot = np.ceil(level * rng.uniform(14, 35, n_variants)) + 1
    arrivals = np.zeros((days + 12, n_variants))
    stock = np.zeros((days, n_variants))
    sales = np.zeros((days, n_variants))
    on_hand, on_order = lot.copy(), np.zeros(n_variants)
    columns = np.arange(n_variants)
    for t in range(days):
        on_hand = on_hand + arrivals[t]
        on_order -= arrivals[t]
        sales[t] = np.minimum(demand[t], on_hand)
        on_hand = on_hand - sales[t]
        stock[t] = on_hand
        due = on_hand + on_order <= reorder_level
        arrivals[t + lead[due], columns[due]] += lot[due]
        on_order[due] += lot[due]
    return Simulation(
        days=pd.period_range(end=as_of.isoformat(), periods=days, freq="D"),
        codes=[f"SKU-{j:04d}" for j in range(n_variants)],
        demand=demand,
        sales=sales,
        stock=stock,
        price=np.round(rng.uniform(40, 900, n_variants), 2),
    )


def local_times(days: np.ndarray, rng: np.random.Generator) -> pd.DatetimeIndex:
    """A random moment of each shop-local day (midnight-adjacent ones too), in UTC."""
    minutes = rng.integers(5, 24 * 60 - 5, len(days))
    naive = pd.to_datetime(days) + pd.to_timedelta(minutes, unit="min")
    local = pd.DatetimeIndex(naive).tz_localize(
        TZ, ambiguous=np.zeros(len(naive), bool), nonexistent="shift_forward"
    )
    return local.tz_convert("UTC")


def copy_shop(
    conn: psycopg.Connection,
    shop_id: int,
    sim: Simulation,
    *,
    archive_days: int | None = 120,
    partitions: bool = False,
    seed: int = 0,
    block: int = 1000,
) -> None:
    """COPY the simulated shop in: catalogue, suppliers and offers, orders and items (the first
    `archive_days` in the archive tables), stock history and today's stock levels, `block`
    variants at a time so memory stays small at any size. `partitions` premakes the hot quarter
    partitions (only on a fresh database: a quarter whose rows already sit in the default
    partition cannot be created)."""
    rng = np.random.default_rng(seed)
    _copy_catalogue(conn, shop_id, sim)
    start = pd.Timestamp(sim.days[0].to_timestamp()).tz_localize(TZ)
    cut = start + pd.Timedelta(days=archive_days or 0)
    end = pd.Timestamp(sim.days[-1].to_timestamp()).tz_localize(TZ) + pd.Timedelta(days=1)
    span = {"orders_archive": (start, cut), "order_items_archive": (start, cut)}
    if partitions:
        span |= {"orders": (cut, end), "order_items": (cut, end)}
    for table, (first, last) in span.items():
        for quarter in quarters_between(Quarter.of(first - pd.Timedelta(days=1)), Quarter.of(last)):
            if first < last:
                conn.execute(create_partition_sql(table, quarter))
    for lo in range(0, len(sim.codes), block):
        columns = slice(lo, lo + block)
        orders, items = _orders_and_items(shop_id, sim, rng, columns, cancelled=lo == 0)
        old = (orders["created_at"] < cut).to_numpy()
        in_old = items["order_code"].isin(set(orders.loc[old, "code"]))
        copy(conn, "orders_archive", orders[old])
        copy(conn, "order_items_archive", items[in_old])
        copy(conn, "orders", orders[~old])
        copy(conn, "order_items", items[~in_old])
        copy(
            conn,
            "stock_history",
            stock_history_rows(shop_id, sim, until=sim.as_of - timedelta(1), columns=columns),
        )
    conn.commit()


def stock_history_rows(
    shop_id: int, sim: Simulation, until: date, columns: slice = slice(None)
) -> pd.DataFrame:
    """End-of-day stock rows where the stock changed, observed a quarter hour after midnight."""
    last = int(np.searchsorted(sim.days.to_timestamp().date, until, side="right"))
    stock = sim.stock[:last, columns]
    changed = np.vstack([np.ones((1, stock.shape[1]), bool), stock[1:] != stock[:-1]])
    t, j = np.nonzero(changed)
    day = sim.days[:last].to_timestamp()[t]
    observed = (
        pd.DatetimeIndex(day + pd.Timedelta(days=1, minutes=15)).tz_localize(TZ).tz_convert("UTC")
    )
    return pd.DataFrame(
        {
            "shop_id": shop_id,
            "variant_code": np.asarray(sim.codes)[columns][j],
            "day": day.date,
            "stock": stock[t, j],
            "observed_at": observed,
        }
    )


def _copy_catalogue(conn: psycopg.Connection, shop_id: int, sim: Simulation) -> None:
    n = len(sim.codes)
    final = sim.stock[-1]
    copy(
        conn,
        "variants",
        pd.DataFrame(
            {
                "shop_id": shop_id,
                "code": sim.codes,
                "product_guid": [
                    str(uuid.uuid5(uuid.NAMESPACE_URL, f"{shop_id}/{c}")) for c in sim.codes
                ],
                "name": [f"Produkt {j}" for j in range(n)],
                "purchase_price": sim.price,
                "stock_total": final,
            }
        ),
    )
    conn.execute(
        "INSERT INTO stocks (shop_id, stock_id, title, is_default) VALUES (%s, 1, 'Sklad', true) "
        "ON CONFLICT DO NOTHING",
        (shop_id,),
    )
    copy(
        conn,
        "stock_levels",
        pd.DataFrame(
            {"shop_id": shop_id, "stock_id": 1, "variant_code": sim.codes, "amount": final}
        ),
    )
    ids = {}
    for supplier in (FAST, CHEAP):
        ids[supplier["name"]] = conn.execute(
            "INSERT INTO suppliers (shop_id, name, lead_time_days, lead_time_sd_days, order_cost) "
            "VALUES (%s, %s, %s, %s, %s) RETURNING id",
            (shop_id, supplier["name"], supplier["lead"], supplier["sd"], supplier["order_cost"]),
        ).fetchone()[0]
    rows = []
    for j, code in enumerate(sim.codes):
        if j % 10 == 9:
            continue  # no supplier offers this one
        pack = 6.0 if j % 10 == 3 else None
        moq = 12.0 if j % 10 == 4 else None
        rows.append((ids[FAST["name"]], code, sim.price[j], moq, pack, None))
        if j % 10 != 8:  # ...and this one only from the fast supplier
            cheap = round(sim.price[j] * 0.9, 2)
            breaks = f"[[50, {round(cheap * 0.95, 2)}]]" if j % 10 == 5 else None
            rows.append((ids[CHEAP["name"]], code, cheap, moq, pack, breaks))
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO supplier_offers (shop_id, supplier_id, variant_code, unit_price, moq, "
            "pack_size, price_breaks) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [(shop_id, *row) for row in rows],
        )


def _orders_and_items(
    shop_id: int,
    sim: Simulation,
    rng: np.random.Generator,
    columns: slice,
    cancelled: bool,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One order per variant and day it sold (every fifth variant's split over two lines), with
    a few shipping lines named by the variant and, when `cancelled`, five cancelled orders."""
    t, j = np.nonzero(sim.sales[:, columns] > 0)
    j = j + (columns.start or 0)
    amount = sim.sales[t, j]
    created = local_times(sim.days.to_timestamp()[t], rng)
    codes = np.char.add(np.char.add(f"S{shop_id}-", t.astype(str)), np.char.add("-", j.astype(str)))
    variant = np.asarray(sim.codes)[j]
    split = (j % 5 == 0) & (amount >= 2)
    first = np.where(split, np.floor(amount / 2), amount)
    lines = [
        _items(shop_id, codes, created, variant, first, 1),
        _items(
            shop_id, codes[split], created[split], variant[split], amount[split] - first[split], 2
        ),
    ]
    ship = rng.random(len(codes)) < 0.02
    shipping = _items(shop_id, codes[ship], created[ship], variant[ship], CANCELLED_UNITS, 3)
    lines.append(shipping.assign(item_type="shipping"))
    orders = pd.DataFrame(
        {
            "shop_id": shop_id,
            "code": codes,
            "created_at": created,
            "cancelled": False,
            "total_with_vat": 0,
        }
    )
    if cancelled:
        cancel_t = rng.integers(0, len(sim.days), 5)
        cancel_j = rng.integers(0, len(sim.codes), 5)
        cancel_codes = np.array(
            [f"X{shop_id}-{a}-{b}" for a, b in zip(cancel_t, cancel_j, strict=True)]
        )
        cancel_at = local_times(sim.days.to_timestamp()[cancel_t], rng)
        orders = pd.concat(
            [
                orders,
                pd.DataFrame(
                    {
                        "shop_id": shop_id,
                        "code": cancel_codes,
                        "created_at": cancel_at,
                        "cancelled": True,
                        "total_with_vat": 0,
                    }
                ),
            ],
            ignore_index=True,
        )
        lines.append(
            _items(
                shop_id,
                cancel_codes,
                cancel_at,
                np.asarray(sim.codes)[cancel_j],
                CANCELLED_UNITS,
                1,
            )
        )
    return orders, pd.concat(lines, ignore_index=True)


def _items(
    shop_id: int,
    order_codes: np.ndarray,
    created: pd.DatetimeIndex,
    variants: np.ndarray,
    amount: np.ndarray | float,
    item_id: int,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "shop_id": shop_id,
            "order_code": order_codes,
            "item_id": item_id,
            "created_at": created,
            "item_type": "product",
            "code": variants,
            "name": variants,
            "amount": amount,
            "price_with_vat": 0,
        }
    )


def copy(conn: psycopg.Connection, table: str, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    columns = ", ".join(frame.columns)
    with (
        conn.cursor() as cur,
        cur.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)") as out,
    ):
        for lo in range(0, len(frame), 200_000):
            buffer = io.StringIO()
            frame.iloc[lo : lo + 200_000].to_csv(buffer, header=False, index=False)
            out.write(buffer.getvalue())


def yesterday(timezone: str = TZ, at: datetime | None = None) -> date:
    """The as_of day of a run starting at `at` (default now): the last complete shop-local day."""
    return (at or datetime.now(ZoneInfo(timezone))).astimezone(ZoneInfo(timezone)).date() - (
        timedelta(days=1)
    )


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), ZoneInfo(TZ))


def inject_stock_loss(sim: Simulation, variant: int, day: int, units: float) -> None:
    """Stock vanishes on `day` without a sale (shrinkage, a miscount): the anomaly to find."""
    shift = sim.sales[day, variant] - units  # the day's sales stay on the shelf, `units` go
    sim.sales[day, variant] = 0.0
    sim.stock[day:, variant] += shift


def inject_sale(sim: Simulation, variant: int, day: int, units: float) -> None:
    """A burst of `units` extra sales on `day` (stock falls with it)."""
    sim.sales[day, variant] += units
    sim.stock[day:, variant] -= units


def well_stocked(sim: Simulation, days: int, need: float, skip: set[int]) -> int:
    """A variant whose stock stays above `need` over the last `days` days."""
    floor = sim.stock[-days - 1 :].min(axis=0)
    order = [int(j) for j in np.argsort(-floor) if int(j) not in skip]
    if floor[order[0]] <= need:
        raise ValueError(f"no variant keeps {need} units in stock over the last {days} days")
    return order[0]
