"""Target tables of the ingest: columns in COPY order, conflict keys, and the upsert SQL.

An upsert only writes rows whose content changed (`IS DISTINCT FROM`), so loading the same
document twice changes nothing, not even a row version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import LiteralString


@dataclass(frozen=True)
class Table:
    # LiteralString: these names are spliced into SQL, so only literals from this module may be
    name: LiteralString
    columns: tuple[LiteralString, ...]
    key: tuple[LiteralString, ...]
    # child tables whose rows are replaced per parent (items of an order): parent's key columns
    parent: tuple[LiteralString, ...] = ()
    key_types: dict[str, LiteralString] = field(default_factory=dict[str, LiteralString])  # SQL types of key columns

    @property
    def stage(self) -> LiteralString:
        return f"stage_{self.name}"

    @property
    def payload(self) -> tuple[LiteralString, ...]:
        return tuple(c for c in self.columns if c not in self.key)

    def create_stage_sql(self) -> LiteralString:
        cols = ", ".join(self.columns)
        return (
            f"CREATE TEMP TABLE IF NOT EXISTS {self.stage} ON COMMIT DELETE ROWS AS "
            f"SELECT {cols} FROM {self.name} WITH NO DATA"
        )

    def copy_sql(self) -> LiteralString:
        return f"COPY {self.stage} ({', '.join(self.columns)}) FROM STDIN"

    def copy_target_sql(self) -> LiteralString:
        return f"COPY {self.name} ({', '.join(self.columns)}) FROM STDIN"

    def upsert_sql(self, parent: Table | None = None) -> LiteralString:
        """Insert new rows, update changed ones, never step back in time.

        Rows that did not change are not written (`IS DISTINCT FROM`); a document older than
        the stored row (`changed_at`) is ignored, so a late snapshot cannot undo a sync. With
        `parent`, only children of the parents passed as arrays (those just written) are
        touched, so an ignored old order cannot resurrect its old items.
        """
        cols = ", ".join(self.columns)
        mine = ", ".join(f"{self.name}.{c}" for c in self.payload)
        theirs = ", ".join(f"excluded.{c}" for c in self.payload)
        synced = ", synced_at = now()" if self.name in _SYNCED else ""
        sets = ", ".join(f"{c} = excluded.{c}" for c in self.payload) + synced
        newer = (
            f" AND ({self.name}.changed_at IS NULL OR excluded.changed_at IS NULL "
            f"OR excluded.changed_at >= {self.name}.changed_at)"
            if "changed_at" in self.payload
            else ""
        )
        source = f"{self.stage} s"
        if parent is not None:
            linked: list[tuple[LiteralString, LiteralString]] = [(mine_col, theirs_col) for mine_col, theirs_col in zip(self.parent, parent.key, strict=True)
                      if theirs_col != "shop_id"]
            arrays = ", ".join(f"%s::{parent.key_types[t]}[]" for _, t in linked)
            names = ", ".join(t for _, t in linked)
            join = " AND ".join(f"s.{m} = p.{t}" for m, t in linked)
            source += f" JOIN unnest({arrays}) AS p({names}) ON {join}"
        return (
            f"INSERT INTO {self.name} ({cols}) SELECT {', '.join(f's.{c}' for c in self.columns)} FROM {source} "
            f"ON CONFLICT ({', '.join(self.key)}) DO UPDATE SET {sets} "
            f"WHERE ({mine}) IS DISTINCT FROM ({theirs}){newer} "
            f"RETURNING {', '.join(self.key)}"
        )


_SYNCED = {"orders", "customers", "products", "variants", "stock_levels"}


ORDERS = Table(
    "orders",
    (
        "shop_id", "code", "created_at", "guid", "changed_at", "status_id", "status_name",
        "cancelled", "paid", "source_name", "email", "phone", "customer_guid", "billing_name",
        "billing_company", "billing_city", "billing_zip", "billing_country", "delivery_address",
        "shipping_name", "payment_name", "currency", "exchange_rate", "total_with_vat",
        "total_without_vat", "total_vat", "to_pay", "item_count",
    ),
    ("shop_id", "code", "created_at"),
    key_types={"code": "text", "created_at": "timestamptz"},
)

ORDER_ITEMS = Table(
    "order_items",
    (
        "shop_id", "order_code", "item_id", "created_at", "item_type", "product_guid", "code",
        "ean", "name", "variant_name", "brand", "amount", "amount_unit", "unit_price_with_vat",
        "price_with_vat", "price_without_vat", "vat", "vat_rate", "purchase_price",
        "supplier_name", "status_id",
    ),
    ("shop_id", "order_code", "item_id", "created_at"),
    parent=("shop_id", "order_code", "created_at"),
)

CUSTOMERS = Table(
    "customers",
    (
        "shop_id", "guid", "email", "phone", "full_name", "company", "city", "zip", "country",
        "customer_group", "disabled_orders", "created_at", "changed_at",
    ),
    ("shop_id", "guid"),
    key_types={"guid": "uuid"},
)

PRODUCTS = Table(
    "products",
    (
        "shop_id", "guid", "name", "type", "visibility", "brand", "default_category",
        "supplier_guid", "created_at", "changed_at",
    ),
    ("shop_id", "guid"),
    key_types={"guid": "uuid"},
)

PRODUCT_TRANSLATIONS = Table(
    "product_translations",
    ("shop_id", "product_guid", "locale", "name", "description"),
    ("shop_id", "product_guid", "locale"),
)

VARIANTS = Table(
    "variants",
    (
        "shop_id", "code", "product_guid", "ean", "name", "price_with_vat", "purchase_price",
        "currency", "vat_rate", "stock_total", "availability",
    ),
    ("shop_id", "code"),
)

STOCK_LEVELS = Table(
    "stock_levels",
    ("shop_id", "stock_id", "variant_code", "amount", "claim", "location", "changed_at"),
    ("shop_id", "stock_id", "variant_code"),
)
