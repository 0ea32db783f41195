"""Orders and items of a simulated BG/NBD shop, COPYed into PostgreSQL (tests and the benchmark).

Customers come from the pure module's simulation (`simulate_transactions`: Poisson purchases,
Beta dropout, Gamma-Gamma values, 2 % refunds as negative orders). Every third customer is a
guest (an e-mail, no GUID). With `guest_checkouts`, registered customers (rows in `customers`,
`copy_customers`) place that share of their orders as guests with their account e-mail, and
every guest e-mail is written in a random case with stray spaces: `customer_key` stays the
person (GUID, or the guest's lower-case e-mail), which is what identity resolution must find.
Items: each order holds one to three products; products 2k and 2k + 1 are often bought
together, so the rule mining has pairs to find.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass

import numpy as np
import pandas as pd
import psycopg

from activities.customers.simulation import simulate_transactions
from db.partitions import Quarter, create_partition_sql, partition_name

PRODUCTS = 40
CREATED_PARTITIONS: list[str] = []  # archive partitions made here (tests drop them)


@dataclass(frozen=True)
class SeededShop:
    shop_id: int
    orders: pd.DataFrame  # customer_key, created_at (UTC), total, code; what the SQL path reads
    customers: int


def customer_keys(shop_id: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(customer_guid or None, email or None) per simulated customer index."""
    guids = np.array(
        [
            None if i % 3 == 0 else str(uuid.uuid5(uuid.NAMESPACE_URL, f"shop{shop_id}/c{i}"))
            for i in range(n)
        ],
        dtype=object,
    )
    emails = np.array(
        [f"guest{i}@shop{shop_id}.example" if i % 3 == 0 else None for i in range(n)],
        dtype=object,
    )
    return guids, emails


def account_email(shop_id: int, i: int) -> str:
    """The e-mail of registered customer `i`'s account."""
    return f"customer{i}@shop{shop_id}.example"


def simulated_orders(
    shop_id: int,
    customers: int,
    *,
    seed: int,
    start: str = "2023-01-02",
    days: int = 728,
    guest_checkouts: float = 0.0,
) -> pd.DataFrame:
    """The simulated order table of a shop, with 1 % zero-value orders and customer keys; with
    `guest_checkouts` > 0, registered customers' orders carry their account e-mail and that
    share of them are guest checkouts, and guest e-mails are written messily."""
    rng = np.random.default_rng(seed)
    frame = simulate_transactions(customers, start=start, days=days, rng=rng)
    free = (rng.random(len(frame)) < 0.01) & (frame["total"] > 0)
    frame.loc[free, "total"] = 0.0
    guids, emails = customer_keys(shop_id, customers)
    idx = frame["customer_id"].to_numpy()
    frame["customer_guid"] = guids[idx]
    frame["email"] = emails[idx]
    frame["customer_key"] = np.where(
        frame["customer_guid"].isna(), frame["email"], frame["customer_guid"]
    )
    if guest_checkouts > 0:
        _mix_identities(frame, shop_id, guest_checkouts, rng)
    frame["created_at"] = frame["created_at"].dt.tz_localize("UTC")
    frame["code"] = [f"S{shop_id}-{i:08d}" for i in range(len(frame))]
    return frame


def _mix_identities(
    frame: pd.DataFrame, shop_id: int, guest_checkouts: float, rng: np.random.Generator
) -> None:
    """Registered orders get the account e-mail, `guest_checkouts` of them lose their GUID, and
    every guest order's e-mail gets a random case and stray spaces (in place)."""
    registered = frame["customer_guid"].notna().to_numpy()
    ids = frame["customer_id"].to_numpy()
    frame.loc[registered, "email"] = [account_email(shop_id, i) for i in ids[registered]]
    as_guest = registered & (rng.random(len(frame)) < guest_checkouts)
    frame.loc[as_guest, "customer_guid"] = None
    guest = frame["customer_guid"].isna().to_numpy()
    style = rng.integers(0, 4, len(frame))
    frame.loc[guest, "email"] = [
        _messy(email, s) for email, s in zip(frame.loc[guest, "email"], style[guest], strict=True)
    ]


def _messy(email: str, style: int) -> str:
    """`email` as people type it: as is, capitalised, in capitals, or with spaces around."""
    return (email, email.capitalize(), email.upper(), f"  {email} ")[style]


def copy_customers(conn: psycopg.Connection, shop_id: int, customers: int) -> None:
    """The `customers` rows of the registered simulated customers, with their account e-mails."""
    guids, _ = customer_keys(shop_id, customers)
    registered = [i for i in range(customers) if guids[i] is not None]
    frame = pd.DataFrame(
        {
            "shop_id": shop_id,
            "guid": guids[registered],
            "email": [account_email(shop_id, i) for i in registered],
            "full_name": [f"Customer {i}" for i in registered],
        }
    )
    _copy(conn, "customers", frame)
    conn.commit()


def copy_orders(
    conn: psycopg.Connection,
    shop_id: int,
    orders: pd.DataFrame,
    *,
    archive_before: pd.Timestamp | None = None,
    items: bool = True,
    seed: int = 0,
) -> None:
    """COPY the orders (and items) in; orders before `archive_before` go to the archive tables
    (their quarter partitions are created), as a retention move would have left them."""
    hot = orders
    if archive_before is not None:
        old = orders["created_at"] < archive_before
        for quarter in {Quarter.of(t.to_pydatetime()) for t in orders.loc[old, "created_at"]}:
            for table in ("orders_archive", "order_items_archive"):
                name = partition_name(table, quarter)
                if conn.execute("SELECT to_regclass(%s)", (name,)).fetchone() == (None,):
                    conn.execute(create_partition_sql(table, quarter))
                    CREATED_PARTITIONS.append(name)
        _copy_orders(conn, "orders_archive", shop_id, orders.loc[old])
        if items:
            _copy_items(conn, "order_items_archive", shop_id, orders.loc[old], seed)
        hot = orders.loc[~old]
    _copy_orders(conn, "orders", shop_id, hot)
    if items:
        _copy_items(conn, "order_items", shop_id, hot, seed + 1)
    conn.commit()


def _copy_orders(conn: psycopg.Connection, table: str, shop_id: int, orders: pd.DataFrame) -> None:
    frame = pd.DataFrame(
        {
            "shop_id": shop_id,
            "code": orders["code"].to_numpy(),
            "created_at": orders["created_at"].to_numpy(),
            "customer_guid": orders["customer_guid"].to_numpy(),
            "email": orders["email"].to_numpy(),
            "total_with_vat": orders["total"].round(2).to_numpy(),
            "cancelled": False,
        }
    )
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    _copy(conn, table, frame)


def _copy_items(
    conn: psycopg.Connection, table: str, shop_id: int, orders: pd.DataFrame, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    purchases = orders.loc[orders["total"] >= 0]
    n = len(purchases)
    first = rng.integers(0, PRODUCTS, n)
    partner = np.where(first % 2 == 0, first + 1, first - 1)
    with_partner = rng.random(n) < 0.6
    third = rng.integers(0, PRODUCTS, n)
    with_third = rng.random(n) < 0.3
    rows = [pd.DataFrame({"order": np.arange(n), "product": first, "line": 1})]
    rows.append(
        pd.DataFrame(
            {"order": np.flatnonzero(with_partner), "product": partner[with_partner], "line": 2}
        )
    )
    rows.append(
        pd.DataFrame({"order": np.flatnonzero(with_third), "product": third[with_third], "line": 3})
    )
    lines = pd.concat(rows, ignore_index=True)
    frame = pd.DataFrame(
        {
            "shop_id": shop_id,
            "order_code": purchases["code"].to_numpy()[lines["order"]],
            "item_id": lines["line"].to_numpy(),
            "created_at": pd.to_datetime(
                purchases["created_at"].to_numpy()[lines["order"]], utc=True
            ),
            "item_type": "product",
            "code": [f"P{p:03d}" for p in lines["product"]],
            "name": [f"Product {p}" for p in lines["product"]],
            "amount": 1,
            "price_with_vat": 100,
        }
    )
    _copy(conn, table, frame)


def _copy(conn: psycopg.Connection, table: str, frame: pd.DataFrame) -> None:
    columns = ", ".join(frame.columns)
    with (
        conn.cursor() as cur,
        cur.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy,
    ):
        for lo in range(0, len(frame), 100_000):
            buffer = io.StringIO()
            frame.iloc[lo : lo + 100_000].to_csv(buffer, header=False, index=False)
            copy.write(buffer.getvalue())
