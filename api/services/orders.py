"""Orders of a shop: the keyset-paginated list, one order with its items, counts per status.

The list is ordered by (created_at DESC, code DESC), unique within a shop and served by
`ix_orders_shop_created (shop_id, created_at, code)`; a page continues strictly after the
last row's pair, so depth costs nothing (never OFFSET). Cursors are opaque and bound to the
shop and filters they were issued for. A page is read in time windows (its quarter first, see
`windows`), each from `orders` alone unless the window reaches into the archive, then from
`orders_all` (hot + archive; partition pruning works through its UNION ALL).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import (
    Column,
    ColumnElement,
    Interval,
    MetaData,
    RowMapping,
    Select,
    Table,
    and_,
    case,
    func,
    literal_column,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession

from api.common.params import ShortText, Timestamp
from api.pagination import Cursor, Page, decode_cursor, encode_cursor
from api.problems import Problem
from db import summaries
from db.models import Order, OrderItem
from db.models.base import table_of
from db.models.maintenance import archive_name, history_view_name, orders_archive
from db.partitions import Quarter, parse_partition_name
from db.summaries import StatusCount
from db.tagged_cache import cached, shop_tag


def _view(source: Table) -> Table:
    """A read-only Table for the `<table>_all` view, with the hot table's columns."""
    return Table(
        history_view_name(source.name),
        MetaData(),
        *(Column(c.name, c.type) for c in source.columns),
    )


HOT = table_of(Order)
ALL = _view(HOT)
ITEMS_ALL = _view(table_of(OrderItem))
ROW_COLUMNS = (
    "code",
    "created_at",
    "status_id",
    "status_name",
    "billing_name",
    "email",
    "total_with_vat",
    "currency",
    "paid",
    "item_count",
    "channel",
)


class OrderRow(BaseModel):
    code: str
    created_at: datetime
    status_id: int | None
    status_name: str | None
    billing_name: str | None
    email: str | None
    total_with_vat: Decimal
    currency: str
    paid: bool | None
    item_count: int
    channel: str = "shoptet"  # where it was sold (db.models.channels.CHANNELS)


class OrderItemOut(BaseModel):
    item_id: int
    item_type: str
    code: str | None
    name: str
    variant_name: str | None
    amount: Decimal
    unit_price_with_vat: Decimal | None
    price_with_vat: Decimal
    vat_rate: Decimal | None


class BillingAddress(BaseModel):
    name: str | None
    company: str | None
    city: str | None
    zip: str | None
    country: str | None


class OrderDetail(OrderRow):
    guid: uuid.UUID | None
    changed_at: datetime | None
    cancelled: bool
    source_name: str | None
    phone: str | None
    customer_guid: uuid.UUID | None
    shipping_name: str | None
    payment_name: str | None
    exchange_rate: Decimal | None
    total_without_vat: Decimal | None
    total_vat: Decimal | None
    to_pay: Decimal | None
    billing_address: BillingAddress
    delivery_address: dict[str, Any] | None
    archived: bool
    items: list[OrderItemOut]


@dataclass(frozen=True)
class OrderFilters:
    created_from: datetime | None = None  # inclusive
    created_to: datetime | None = None  # exclusive
    status_id: int | None = None
    q: str | None = None  # code prefix, or part of the e-mail or billing name
    channel: str | None = None  # only orders sold on this channel

    def __post_init__(self) -> None:
        for name in ("created_from", "created_to"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:  # a bare time is read as UTC
                object.__setattr__(self, name, value.replace(tzinfo=UTC))
        if self.created_from and self.created_to and self.created_from >= self.created_to:
            raise Problem(
                422,
                "Invalid date range",
                f"created_from {self.created_from.isoformat()} must be before created_to {self.created_to.isoformat()}.",
            )

    def identity(self, shop_id: int, *more: object) -> bytes:
        """The shop, these filters and `more`, as bytes to hash."""
        return repr((shop_id, *(str(v) for v in asdict(self).values()), *more)).encode()

    def fingerprint(self, shop_id: int) -> str:
        """Ties a cursor to the shop and filters it was issued for."""
        return hashlib.blake2b(self.identity(shop_id), digest_size=6).hexdigest()


async def archive_end(session: AsyncSession) -> datetime | None:
    """End of the newest quarter in the archive: ranges from there on are hot only."""
    names = (
        await session.execute(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = to_regclass(:archive)"
            ),
            {"archive": archive_name("orders")},
        )
    ).scalars()
    ends = [parsed[1].end for name in names if (parsed := parse_partition_name(name))]
    return max(ends, default=None)


def source_for(lower: datetime | None, archived_until: datetime | None) -> Table:
    """`orders` when the range starts after everything archived, else the `orders_all` view."""
    if archived_until is None or (lower is not None and lower >= archived_until):
        return HOT
    return ALL


def windows(filters: OrderFilters, after: datetime | None, now: datetime) -> list[datetime | None]:
    """Lower bounds of the time windows a page is read in, newest first: the quarter of the
    page's top, the four before it, then everything down to `created_from`.

    Planning a query over every quarter of hot and archive costs 10–20 ms, far more than
    running it; a window of one quarter plans in about 1 ms, and a page of a big shop
    is nearly always found there. A small shop needs the wider windows too.
    """
    top = after or (filters.created_to - timedelta(microseconds=1) if filters.created_to else now)
    quarter = Quarter.of(top)
    bounds: list[datetime | None] = []
    for lower in (quarter.start, quarter.add(-4).start, None):
        if filters.created_from and (lower is None or lower <= filters.created_from):
            bounds.append(filters.created_from)
            break
        bounds.append(lower)
    return bounds


def _like(q: str) -> str:
    return q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class OrdersCursor(Cursor):
    at: Timestamp  # the last row's created_at
    code: ShortText  # and its code
    f: str  # the fingerprint of the shop and filters it was issued for


def _after(cursor: str | None, fingerprint: str) -> tuple[datetime, str] | None:
    after = decode_cursor(cursor, OrdersCursor)
    if after is None:
        return None
    if after.f != fingerprint:
        raise Problem(
            400,
            "Cursor does not match the filters",
            "This cursor belongs to another shop or other filters; start again without a cursor.",
        )
    return after.at, after.code


# A text filter (`q`) is answered per window in one of two ways. The newest PROBE_ROWS rows of
# the window are read in index order and tested (a broad term, e.g. the year's code prefix,
# fills the page there in a few ms); when they hold too few hits, the window's matches come
# from the trigram index instead (a bitmap per partition, sorted): a selective term used to walk
# every row of every window in index order, 2.2 s at 1.8 M orders, 7–10 s under load.
PROBE_ROWS = 2_000
TRIGRAM_MIN = 3  # a trigram index cannot answer shorter terms


async def page(
    session: AsyncSession, shop_id: int, filters: OrderFilters, cursor: str | None, limit: int,
    probe_rows: int = PROBE_ROWS,
) -> Page[OrderRow]:
    fingerprint = filters.fingerprint(shop_id)
    after = _after(cursor, fingerprint)
    archived_until = await archive_end(session)
    rows: list[dict[str, Any]] = []
    below: datetime | None = None  # the previous window's lower bound (exclusive upper here)
    by_trigrams = bool(filters.q and len(filters.q.strip()) >= TRIGRAM_MIN)
    top = after[0] if after else None
    bounds = (await _quarters(session, shop_id, filters, top) if by_trigrams
              else windows(filters, top, datetime.now(UTC)))
    for n, lower in enumerate(bounds):
        src = source_for(lower, archived_until)
        needed = limit + 1 - len(rows)
        if by_trigrams:
            rows += await _text_window(session, src, shop_id, filters, lower, below, after, needed,
                                       probe_rows if n == 0 else 0)
        else:
            stmt = _windowed(_filtered(select(*(src.c[n] for n in ROW_COLUMNS)), src, shop_id, filters),
                             src, lower, below, after)
            stmt = stmt.order_by(src.c.created_at.desc(), src.c.code.desc()).limit(needed)
            rows += [dict(r) for r in (await session.execute(stmt)).mappings()]
        if len(rows) > limit:
            break
        below = lower
    items = [OrderRow.model_validate(r) for r in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        next_cursor = cursor_after(shop_id, filters, items[-1].created_at, items[-1].code)
    return Page(items=items, next_cursor=next_cursor)


async def cached_page(
    session: AsyncSession, shop_id: int, filters: OrderFilters, cursor: str | None, limit: int,
) -> Page[OrderRow]:
    """`page` from the tagged cache (kind `orders`): every writer of the shop's orders (the
    snapshot ingest, the sync, the channel import, a legacy swap) moves its `orders` tag after
    its commit, so a cached page is never older than the last write. The text filter is the
    heavy case (a code prefix can match 100 000 orders, sorted per quarter): the same search
    paged back and forth, or asked by two people, is computed once."""
    key = hashlib.blake2b(filters.identity(shop_id, cursor, limit), digest_size=16).hexdigest()
    return await cached(
        f"orders-page:{shop_id}:{key}",
        [shop_tag(shop_id, "orders")],
        lambda: page(session, shop_id, filters, cursor, limit),
        kind="orders",
        dump=lambda value: value.model_dump(mode="json"),
        restore=Page[OrderRow].model_validate,
    )


def _windowed(stmt: Select[Any], src: Table, lower: datetime | None, below: datetime | None,
              after: tuple[datetime, str] | None) -> Select[Any]:
    if lower is not None:
        stmt = stmt.where(src.c.created_at >= lower)
    if below is not None:
        stmt = stmt.where(src.c.created_at < below)
    if after:
        # the plain bound lets the planner prune quarters; the row comparison is the keyset
        stmt = stmt.where(src.c.created_at <= after[0], tuple_(src.c.created_at, src.c.code) < after)
    return stmt


async def _text_window(
    session: AsyncSession, src: Table, shop_id: int, filters: OrderFilters, lower: datetime | None,
    below: datetime | None, after: tuple[datetime, str] | None, needed: int, probe_rows: int,
) -> list[dict[str, Any]]:
    """The window's first `needed` matches of the text filter, newest first (see PROBE_ROWS;
    `probe_rows` 0: straight to the trigram index)."""
    if probe_rows:
        hits, done = await _probe(session, src, shop_id, filters, lower, below, after, needed, probe_rows)
        if done:
            return hits
    # sorting on an expression the (created_at, code) index cannot give makes the planner fetch
    # the matches through the trigram index and sort them
    stmt = _windowed(_filtered(select(*(src.c[n] for n in ROW_COLUMNS)), src, shop_id, filters),
                     src, lower, below, after)
    stmt = stmt.order_by((src.c.created_at + literal_column("interval '0 s'", Interval)).desc(),
                         src.c.code.desc()).limit(needed)
    return [dict(r) for r in (await session.execute(stmt)).mappings()]


async def _probe(
    session: AsyncSession, src: Table, shop_id: int, filters: OrderFilters, lower: datetime | None,
    below: datetime | None, after: tuple[datetime, str] | None, needed: int, probe_rows: int,
) -> tuple[list[dict[str, Any]], bool]:
    """The matches among the window's newest `probe_rows` rows, and whether they settle it."""
    plain = replace(filters, q=None)
    newest_first = (src.c.created_at.desc(), src.c.code.desc())
    hit = _text_match(src, filters.q or "")
    probe = (
        _windowed(_filtered(select(*(src.c[n] for n in ROW_COLUMNS), hit.label("hit"),
                                   func.row_number().over(order_by=newest_first).label("rn")),
                            src, shop_id, plain), src, lower, below, after)
        .order_by(*newest_first).limit(probe_rows).subquery()
    )
    hits_so_far = func.sum(case((probe.c.hit, 1), else_=0)).over(order_by=probe.c.rn)
    numbered = select(probe, hits_so_far.label("hit_no")).subquery()
    probed = (await session.execute(
        select(numbered).where(or_(and_(numbered.c.hit, numbered.c.hit_no <= needed),
                                   numbered.c.rn == probe_rows)).order_by(numbered.c.rn)
    )).mappings().all()
    hits = [{n: r[n] for n in ROW_COLUMNS} for r in probed if r["hit"]]
    # settled when the page is full, or the window held no more rows than the probe read
    return hits, len(hits) >= needed or not any(r["rn"] == probe_rows for r in probed)


async def _quarters(session: AsyncSession, shop_id: int, filters: OrderFilters,
                    top: datetime | None) -> list[datetime | None]:
    """Lower bounds of one window per quarter, newest first, down to the shop's oldest order
    (or `created_from`): a trigram search sorts each quarter's matches only as far as needed."""
    oldest = (await session.execute(
        select(func.min(ALL.c.created_at)).where(ALL.c.shop_id == shop_id)
    )).scalar_one_or_none()
    if oldest is None:
        return []
    floor = max(oldest, filters.created_from) if filters.created_from else oldest
    start = top or (filters.created_to - timedelta(microseconds=1) if filters.created_to else datetime.now(UTC))
    quarter, bounds = Quarter.of(start), list[datetime | None]()
    while True:
        if quarter.start <= floor:
            bounds.append(filters.created_from)  # the last window: everything down to the floor
            return bounds
        bounds.append(quarter.start)
        quarter = quarter.prev()


def _text_match(src: Table, q: str) -> ColumnElement[bool]:
    term = _like(q.strip())
    return or_(
        src.c.code.ilike(f"{term}%", escape="\\"),
        src.c.email.ilike(f"%{term}%", escape="\\"),
        src.c.billing_name.ilike(f"%{term}%", escape="\\"),
    )


def _filtered(stmt: Select[Any], src: Table, shop_id: int, filters: OrderFilters) -> Select[Any]:
    stmt = stmt.where(src.c.shop_id == shop_id)
    if filters.created_from:
        stmt = stmt.where(src.c.created_at >= filters.created_from)
    if filters.created_to:
        stmt = stmt.where(src.c.created_at < filters.created_to)
    if filters.status_id is not None:
        stmt = stmt.where(src.c.status_id == filters.status_id)
    if filters.channel is not None:
        stmt = stmt.where(src.c.channel == filters.channel)
    if filters.q:
        stmt = stmt.where(_text_match(src, filters.q))
    return stmt


def cursor_after(shop_id: int, filters: OrderFilters, created_at: datetime, code: str) -> str:
    """The opaque cursor of the page that follows the order (created_at, code)."""
    return encode_cursor(
        {"at": created_at.isoformat(), "code": code, "f": filters.fingerprint(shop_id)}
    )


async def _newest(
    session: AsyncSession, table: Table, shop_id: int, code: str
) -> RowMapping | None:
    row = (
        (
            await session.execute(
                select(table)
                .where(table.c.shop_id == shop_id, table.c.code == code)
                .order_by(table.c.created_at.desc())
                .limit(1)
            )
        )
        .mappings()
        .first()
    )
    return row


async def detail(session: AsyncSession, shop_id: int, code: str) -> OrderDetail:
    """The order (newest version if a code repeats) from the hot table, else from the archive."""
    row = await _newest(session, HOT, shop_id, code)
    archived = row is None
    if row is None:
        row = await _newest(session, orders_archive, shop_id, code)
    if row is None:
        raise Problem(404, "Order not found", f"No order {code!r} in shop {shop_id}.")
    items = (
        (
            await session.execute(
                select(*(ITEMS_ALL.c[f] for f in OrderItemOut.model_fields))
                .where(
                    ITEMS_ALL.c.shop_id == shop_id,
                    ITEMS_ALL.c.order_code == code,
                    ITEMS_ALL.c.created_at == row["created_at"],
                )
                .order_by(ITEMS_ALL.c.item_id)
            )
        )
        .mappings()
        .all()
    )
    billing = BillingAddress(
        name=row["billing_name"],
        company=row["billing_company"],
        city=row["billing_city"],
        zip=row["billing_zip"],
        country=row["billing_country"],
    )
    fields = {k: row[k] for k in OrderDetail.model_fields if k in row}
    return OrderDetail(
        **fields,
        billing_address=billing,
        archived=archived,
        items=[OrderItemOut.model_validate(dict(i)) for i in items],
    )


async def status_counts(shop_id: int) -> list[StatusCount]:
    """Statuses the shop's orders are in, for the status filter (cached: `db.summaries`)."""
    return await summaries.order_status_counts(shop_id)
