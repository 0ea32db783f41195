"""Activities of SyncWorkflow: change-feed passes, the stock pass, daily reconciliation.

Every write is idempotent: documents go through the snapshot mappers and the shared Loader
(which only writes rows whose content changed), deletions are absolute, and the cursor
only moves forward, in the same transaction as the rows it covers. A retried pass re-reads
from the committed cursor and skips entities already stored at their feed change time.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, LiteralString
from urllib.parse import quote

import orjson
import psycopg
from sqlalchemy import select, update
from temporalio import activity

from activities.outbound_webhooks.events import publish
from activities.shoptet.client import ShoptetClient
from activities.shoptet.errors import NotFound, ShoptetError
from activities.shoptet_access import NotInstalled, permanent, shop_client, shoptet_failure
from activities.snapshots.ingest import fields as f
from activities.snapshots.ingest.loader import (
    DATA_ERRORS,
    Loader,
    Reject,
    build_batch,
    line_text,
    refusal,
    tsv,
)
from activities.snapshots.ingest.tables import STOCK_LEVELS
from db.engine import raw_connection, session_scope
from db.models import Installation, Shop, SyncCursor
from db.search import sources as search_sources
from db.tagged_cache import invalidate, shop_tag
from workflows.sync import (
    FinishRequest,
    PassResult,
    ReconcileResult,
    SyncPlan,
    SyncRequest,
)

log = logging.getLogger(__name__)

OVERLAP = timedelta(seconds=60)  # re-read this much of the feed: late commits at Shoptet
# Change times are whole seconds: a second change in the same second as the one we fetched
# has the same change time. A stored row counts as settled (safe to skip at that change time)
# only when it was written this long after the change, clock skew included.
SETTLED = timedelta(seconds=30)
IDLE_LAG = timedelta(hours=1)  # an empty feed moves the cursor to this long before the pass
FEED_HISTORY = timedelta(days=29)  # Shoptet keeps 30 days of changes
RECONCILE_EVERY = timedelta(hours=24)
APPLY_BATCH = 200  # feed entries per fetch-and-load round
DETAIL_CONCURRENCY = 3  # Shoptet allows 3 concurrent requests per token
DIFF_LIMIT = 500  # a window with at most this many entities is compared key by key
MIN_WINDOW = timedelta(hours=1)
SHIFT_REREADS = 3  # reads of a listing that keeps shifting before its last read is used
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
ACTIVE = ("active", "installing")


@dataclass(frozen=True)
class Entity:
    """How one resource looks at Shoptet and in our tables."""

    resource: str
    key: str  # `code` or `guid`
    feed: str
    listing: str
    list_key: str
    list_page: int
    detail: str
    table: LiteralString  # spliced into SQL: literals only
    key_column: LiteralString
    key_type: LiteralString  # SQL array type of the key
    soft_delete: bool
    detail_params: dict[str, str] | None = None

    def unwrap(self, data: Any) -> Any:
        """The document in a detail answer (product detail is `data` itself)."""
        if self.resource == "orders":
            return data.get("order")
        if self.resource == "customers":
            return data.get("customer")
        return data


ENTITIES = {
    "orders": Entity(
        "orders", "code", "/api/orders/changes", "/api/orders", "orders", 50, "/api/orders/{}",
        "orders", "code", "text", soft_delete=False,
    ),
    "products": Entity(
        "products", "guid", "/api/products/changes", "/api/products", "products", 1000,
        "/api/products/{}", "products", "guid", "uuid", soft_delete=True,
        # the same include the products snapshot asks for, so both write the same rows
        detail_params={"include": "perStockAmounts"},
    ),
    "customers": Entity(
        "customers", "guid", "/api/customers/changes", "/api/customers", "customers", 1000,
        "/api/customers/{}", "customers", "guid", "uuid", soft_delete=True,
    ),
}

CURSOR_SQL = (
    "UPDATE sync_cursors SET changed_since = GREATEST(changed_since, %(cursor)s::timestamptz), "
    "items_synced = items_synced + %(upserted)s, updated_at = now() "
    "WHERE shop_id = %(shop)s AND resource = %(resource)s"
)


def shoptet_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


# -- planning and bookkeeping


@activity.defn
async def plan_sync(req: SyncRequest) -> SyncPlan:
    """Skip shops that are not active; say whether today's reconciliation is due."""
    now = datetime.now(UTC)
    async with session_scope() as session:
        row = (
            await session.execute(
                select(Shop.status, Installation.installed_at, Installation.uninstalled_at)
                .outerjoin(Installation, Installation.shop_id == Shop.id)
                .where(Shop.id == req.shop_id)
            )
        ).first()
        if row is None:
            return SyncPlan(False, f"shop {req.shop_id} does not exist")
        status, installed_at, uninstalled_at = row
        if status not in ACTIVE or installed_at is None or uninstalled_at is not None:
            return SyncPlan(False, f"shop {req.shop_id} is {status}")
        cursor = await session.get(SyncCursor, (req.shop_id, req.resource))
        if cursor is None:
            # installed before sync existed: start at installation, count that as reconciled
            cursor = SyncCursor(
                shop_id=req.shop_id, resource=req.resource,
                changed_since=installed_at, last_reconciled_at=now,
            )
            session.add(cursor)
        if req.resource not in ENTITIES:
            return SyncPlan(True)
        if req.reconcile is not None:
            return SyncPlan(True, reconcile=req.reconcile)
        due = cursor.last_reconciled_at is None or now - cursor.last_reconciled_at >= RECONCILE_EVERY
        stale = cursor.changed_since is not None and now - cursor.changed_since > FEED_HISTORY
        return SyncPlan(True, reconcile=due or stale)


@activity.defn
async def finish_sync(req: FinishRequest) -> None:
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "last_success_at": now,
        "last_error": f"{req.rejected} documents rejected; see sync_rejects" if req.rejected else None,
    }
    if req.reconciled:
        values["last_reconciled_at"] = now
    async with session_scope() as session:
        await session.execute(
            update(SyncCursor)
            .where(SyncCursor.shop_id == req.shop_id, SyncCursor.resource == req.resource)
            .values(**values)
        )


@activity.defn
async def record_sync_error(shop_id: int, resource: str, message: str) -> None:
    async with session_scope() as session:
        await session.execute(
            update(SyncCursor)
            .where(SyncCursor.shop_id == shop_id, SyncCursor.resource == resource)
            .values(last_error=message[:2000])
        )


async def _cursor(shop_id: int, resource: str) -> datetime:
    async with session_scope() as session:
        cursor = await session.get(SyncCursor, (shop_id, resource))
        installed = (
            await session.execute(
                select(Installation.installed_at).where(Installation.shop_id == shop_id)
            )
        ).scalar_one_or_none()
    since = (cursor.changed_since if cursor else None) or installed
    if since is None:
        raise permanent(f"shop {shop_id} has no installation to sync from")
    return since


# -- applying changes


@dataclass
class Tally:
    fetched: int = 0
    unchanged: int = 0
    upserted: int = 0
    deleted: int = 0
    rejected: int = 0


Change = tuple[str | None, datetime | None]  # (changeType, changeTime)


class Applier:
    """Fetches changed entities (bounded concurrency) and writes them with the shared Loader."""

    def __init__(
        self, client: ShoptetClient, conn: psycopg.AsyncConnection[Any], shop_id: int, entity: Entity
    ) -> None:
        self.client, self.conn, self.shop_id, self.entity = client, conn, shop_id, entity
        self.loader = Loader(conn, entity.resource, shop_id)
        self.tally = Tally()
        self._gate = asyncio.Semaphore(DETAIL_CONCURRENCY)

    async def apply(self, changes: dict[str, Change], cursor: datetime | None) -> None:
        """Bring `changes` into the tables and move the cursor to `cursor` (None: keep it)."""
        deletes = {k for k, (kind, _) in changes.items() if kind == "delete"}
        edits = {k: t for k, (kind, t) in changes.items() if kind != "delete"}
        stored = await self.stored_times(list(edits))
        wanted = [k for k, t in edits.items() if t is None or not _settled(stored.get(k), t)]
        self.tally.unchanged += len(edits) - len(wanted)
        docs, gone = await self._fetch(wanted)
        self.tally.deleted += await self._delete(deletes | gone)
        batch = build_batch(
            self.entity.resource,
            self.shop_id,
            ((n, raw) for n, (_, raw) in enumerate(docs, 1)),
            len(docs) + 1,
            0,
        )
        result = await self.loader.load(
            batch,
            progress=(
                CURSOR_SQL,
                {"cursor": cursor, "shop": self.shop_id, "resource": self.entity.resource},
            ),
        )
        self.tally.upserted += result.upserted
        if self.entity.resource == "orders" and docs:
            await publish(self.shop_id, [
                ("order.changed" if key in stored else "order.created", {"code": key})
                for key, _ in docs
            ])
        if self.entity.soft_delete and docs:
            await self._undelete([k for k, _ in docs])
        if batch.rejects or result.refused:
            await self._quarantine(batch.rejects + result.refused, docs)

    async def stored_times(self, keys: list[str]) -> dict[str, tuple[datetime | None, datetime]]:
        """(changed_at, synced_at) of the stored rows among `keys`."""
        if not keys:
            return {}
        e = self.entity
        alive = " AND NOT deleted" if e.soft_delete else ""  # a flagged row is not a stored one
        cur = await self.conn.execute(
            f"SELECT {e.key_column}::text, changed_at, synced_at FROM {e.table} "
            f"WHERE shop_id = %s AND {e.key_column} = ANY(%s::{e.key_type}[]){alive}",
            (self.shop_id, keys),
        )
        return {key: (changed, synced) for key, changed, synced in await cur.fetchall()}

    async def _fetch(self, keys: list[str]) -> tuple[list[tuple[str, bytes]], set[str]]:
        """Details of `keys`; keys Shoptet no longer knows (404) come back as deleted."""
        e = self.entity

        async def one(key: str) -> tuple[str, bytes | None]:
            async with self._gate:
                try:
                    data = await self.client.get(e.detail.format(quote(key, safe="")), e.detail_params)
                except NotFound:
                    return key, None
            return key, orjson.dumps(e.unwrap(data) if isinstance(data, dict) else data)

        found = await asyncio.gather(*(one(k) for k in keys))
        self.tally.fetched += len(keys)
        docs = [(k, raw) for k, raw in found if raw is not None]
        return docs, {k for k, raw in found if raw is None}

    async def _delete(self, keys: set[str]) -> int:
        """Orders deleted at Shoptet are removed; products and customers are flagged `deleted`."""
        if not keys:
            return 0
        e, shop, values = self.entity, self.shop_id, list(keys)
        async with self.conn.transaction():
            if e.soft_delete:
                cur = await self.conn.execute(
                    f"UPDATE {e.table} SET deleted = true, synced_at = now() "
                    f"WHERE shop_id = %s AND {e.key_column} = ANY(%s::{e.key_type}[]) AND NOT deleted",
                    (shop, values),
                )
                await search_sources.refresh(self.conn, shop, e.resource, values)
                return cur.rowcount
            await self.conn.execute(
                "DELETE FROM order_items WHERE shop_id = %s AND order_code = ANY(%s::text[])",
                (shop, values),
            )
            cur = await self.conn.execute(
                "DELETE FROM orders WHERE shop_id = %s AND code = ANY(%s::text[])", (shop, values)
            )
            await search_sources.refresh(self.conn, shop, e.resource, values)
        if cur.rowcount:  # after commit, like the loader
            await invalidate(shop_tag(self.shop_id, "orders"))
        return cur.rowcount

    async def _undelete(self, keys: list[str]) -> None:
        """An entity Shoptet just served exists, whatever an earlier pass concluded."""
        e = self.entity
        await self.conn.execute(
            f"UPDATE {e.table} SET deleted = false "
            f"WHERE shop_id = %s AND {e.key_column} = ANY(%s::{e.key_type}[]) AND deleted",
            (self.shop_id, keys),
        )
        await search_sources.refresh(self.conn, self.shop_id, e.resource, keys)

    async def _quarantine(self, rejects: list[Reject], docs: list[tuple[str, bytes]]) -> None:
        self.tally.rejected += len(rejects)
        rows = [
            (self.shop_id, self.entity.resource, docs[r.line_no - 1][0][:100],
             r.raw or line_text(docs[r.line_no - 1][1]), r.reason)
            for r in rejects
        ]
        async with self.conn.cursor() as cur:
            await cur.executemany(
                "INSERT INTO sync_rejects (shop_id, resource, entity_key, raw, reason) "
                "VALUES (%s, %s, %s, %s, %s)",
                rows,
            )
        log.warning(
            "shop %s: %d %s documents rejected, first: %s",
            self.shop_id, len(rows), self.entity.resource, rows[0][4],
        )


def _settled(stored: tuple[datetime | None, datetime] | None, changed: datetime) -> bool:
    """The stored row already holds the state of `changed` and nothing can share that second."""
    if stored is None or stored[0] != changed:
        return False
    return stored[1] - changed >= SETTLED


def _result(tally: Tally, seen: int, cursor: datetime | None) -> PassResult:
    return PassResult(
        seen=seen, fetched=tally.fetched, unchanged=tally.unchanged, upserted=tally.upserted,
        deleted=tally.deleted, rejected=tally.rejected,
        cursor=cursor.isoformat() if cursor is not None else None,
    )


# -- the change-feed pass


class FeedPass:
    """Where the cursor may move while reading one feed.

    Mid-pass the cursor follows the last change time only while the feed has come in
    ascending order and no page shift was seen; at the end it moves to the newest change
    seen (or, after a shift, only to just before the page where entries may have slipped).
    Every move keeps an OVERLAP, and the cursor never moves backwards.
    """

    def __init__(self, since: datetime) -> None:
        self.since = since
        self.seen = 0
        self.last: datetime | None = None
        self.newest: datetime | None = None
        self.ascending = True
        self.shift_floor: datetime | None = None
        self.shifted = False

    def observe(self, changed: datetime | None) -> None:
        self.seen += 1
        if changed is None:
            self.ascending = False
            return
        if self.last is not None and changed < self.last:
            self.ascending = False
        self.last = changed
        self.newest = changed if self.newest is None else max(self.newest, changed)

    def on_shift(self, old_total: int, new_total: int | None) -> None:
        log.info("change feed total moved %s -> %s while paging", old_total, new_total)
        if not self.shifted:
            self.shifted, self.shift_floor = True, self.last

    def mid_pass(self) -> datetime | None:
        if self.ascending and not self.shifted and self.last is not None:
            return self.last - OVERLAP
        return None

    def final(self, started: datetime) -> datetime | None:
        if self.seen == 0:
            return max(self.since, started - IDLE_LAG)
        if self.shifted:
            if not self.ascending or self.shift_floor is None:
                return None
            return self.shift_floor - OVERLAP
        return self.newest - OVERLAP if self.newest is not None else None


@activity.defn
async def sync_changes(req: SyncRequest) -> PassResult:
    """Read the change feed from the committed cursor and apply it in rounds."""
    entity = ENTITIES[req.resource]
    started = datetime.now(UTC)
    since = await _cursor(req.shop_id, req.resource)
    feed = FeedPass(since)
    conn = await raw_connection()
    try:
        async with shop_client(req.shop_id) as client:
            applier = Applier(client, conn, req.shop_id, entity)
            pending: dict[str, Change] = {}
            async for item in client.iter_list(
                entity.feed, "changes", {"from": shoptet_time(since)}, items_per_page=1000,
                on_shift=feed.on_shift,
            ):
                changed = parse_time(item.get("changeTime"))
                feed.observe(changed)
                pending[str(item[entity.key])] = (item.get("changeType"), changed)
                if len(pending) >= APPLY_BATCH:
                    await applier.apply(pending, feed.mid_pass())
                    pending = {}
                    activity.heartbeat(feed.seen)
            cursor = feed.final(started)
            await applier.apply(pending, cursor)
    except (ShoptetError, NotInstalled) as exc:
        raise shoptet_failure(exc, f"reading the {req.resource} change feed") from exc
    finally:
        await conn.close()
    log.info("shop %s %s: %s", req.shop_id, req.resource, applier.tally)
    return _result(applier.tally, feed.seen, cursor)


# -- stock: no change feed, so every pass reads the supplies of every stock


def supply_row(supply: Any, shop_id: int, stock_id: int) -> tuple[str, ...]:
    if not isinstance(supply, dict):
        raise f.BadLine(f"expected a supply object, got {type(supply).__name__}")
    return (
        str(shop_id),
        str(stock_id),
        f.text(supply, "code", 100, required=True),
        f.decimal(supply, "amount", f.QUANTITY, required=True),
        f.decimal(supply, "claim", f.QUANTITY),
        f.text(supply, "location", 100),
        f.timestamp(supply, "changeTime"),
    )


async def _upsert_levels(conn: psycopg.AsyncConnection[Any], rows: list[str]) -> tuple[int, int]:
    """(rows written, rows PostgreSQL refused): a refused block is retried row by row, so one
    odd supply costs only itself."""
    if not rows:
        return 0, 0
    try:
        return await _write_levels(conn, rows), 0
    except DATA_ERRORS:
        pass
    written = refused = 0
    for row in rows:
        try:
            written += await _write_levels(conn, [row])
        except DATA_ERRORS as exc:
            refused += 1
            log.warning("stock level refused: %s: %r", refusal(exc), row[:200])
    return written, refused


async def _write_levels(conn: psycopg.AsyncConnection[Any], rows: list[str]) -> int:
    async with conn.transaction():
        await conn.execute(STOCK_LEVELS.create_stage_sql())
        async with conn.cursor() as cur:
            async with cur.copy(STOCK_LEVELS.copy_sql()) as copy:
                await copy.write("".join(rows).encode())
            await cur.execute(STOCK_LEVELS.upsert_sql())
            return len(await cur.fetchall())


async def _remove_vanished(
    conn: psycopg.AsyncConnection[Any], shop_id: int, stock_id: int, codes: set[str]
) -> int:
    """Delete the stock's levels of variants Shoptet no longer lists (after a complete read)."""
    async with conn.transaction():
        cur = await conn.execute(
            "DELETE FROM stock_levels WHERE shop_id = %s AND stock_id = %s "
            "AND variant_code <> ALL(%s::text[])",
            (shop_id, stock_id, sorted(codes)),
        )
        return cur.rowcount


async def _remove_vanished_stocks(
    conn: psycopg.AsyncConnection[Any], shop_id: int, stock_ids: list[int]
) -> int:
    """Delete stocks Shoptet no longer has, with their levels."""
    async with conn.transaction():
        cur = await conn.execute(
            "DELETE FROM stock_levels WHERE shop_id = %s AND stock_id <> ALL(%s::int[])",
            (shop_id, stock_ids),
        )
        await conn.execute(
            "DELETE FROM stocks WHERE shop_id = %s AND stock_id <> ALL(%s::int[])",
            (shop_id, stock_ids),
        )
        return cur.rowcount


@activity.defn
async def sync_stock(req: SyncRequest) -> PassResult:
    """Stocks and every variant's amount per stock; only changed rows are written, and levels
    of variants (or stocks) Shoptet no longer lists are removed once a stock was read whole."""
    conn = await raw_connection()
    seen = upserted = rejected = deleted = 0
    try:
        async with shop_client(req.shop_id) as client:
            data = await client.get("/api/stocks")
            stocks = data.get("stocks") or []
            default = data.get("defaultStockId")
            async with conn.transaction():
                for stock in stocks:
                    await conn.execute(
                        "INSERT INTO stocks (shop_id, stock_id, title, is_default) VALUES (%s, %s, %s, %s) "
                        "ON CONFLICT (shop_id, stock_id) DO UPDATE SET title = excluded.title, "
                        "is_default = excluded.is_default",
                        (req.shop_id, int(stock["id"]), str(stock.get("title") or stock["id"])[:200],
                         stock["id"] == default),
                    )
            if stocks:  # an empty answer is more likely a fault than a shop without stocks
                deleted += await _remove_vanished_stocks(
                    conn, req.shop_id, [int(stock["id"]) for stock in stocks]
                )
            for stock in stocks:
                rows: list[str] = []
                codes: set[str] = set()
                async for supply in client.iter_list(
                    f"/api/stocks/{int(stock['id'])}/supplies", "supplies",
                    {"include": "changeTime"}, items_per_page=1000,
                ):
                    seen += 1
                    if isinstance(supply, dict) and isinstance(supply.get("code"), str):
                        codes.add(supply["code"])  # a rejected row still exists in Shoptet
                    try:
                        rows.append(tsv(supply_row(supply, req.shop_id, int(stock["id"]))))
                    except f.BadLine as exc:
                        rejected += 1
                        log.warning("shop %s stock %s: bad supply row: %s", req.shop_id, stock["id"], exc)
                    if len(rows) >= 5000:
                        written, refused = await _upsert_levels(conn, rows)
                        upserted, rejected, rows = upserted + written, rejected + refused, []
                        activity.heartbeat(seen)
                written, refused = await _upsert_levels(conn, rows)
                upserted, rejected = upserted + written, rejected + refused
                deleted += await _remove_vanished(conn, req.shop_id, int(stock["id"]), codes)
    except (ShoptetError, NotInstalled) as exc:
        raise shoptet_failure(exc, "reading stock supplies") from exc
    finally:
        await conn.close()
    return PassResult(seen=seen, upserted=upserted, rejected=rejected, deleted=deleted)


# -- daily reconciliation


class Reconciler:
    """Compares entity counts per creation-time window with Shoptet's paginator totals,
    halving windows that differ until they are small enough to compare key by key."""

    def __init__(self, applier: Applier) -> None:
        self.applier = applier
        self.entity = applier.entity
        self.compared = self.differing = self.shifts = 0

    async def remote_count(self, lo: datetime, hi: datetime) -> int:
        data = await self.applier.client.get(self.entity.listing, self._window(lo, hi) | {"itemsPerPage": 1})
        return int((data.get("paginator") or {}).get("totalCount") or 0)

    async def local_count(self, lo: datetime, hi: datetime) -> int:
        e = self.entity
        alive = " AND NOT deleted" if e.soft_delete else ""
        cur = await self.applier.conn.execute(
            f"SELECT count(*) FROM {e.table} WHERE shop_id = %s "
            f"AND created_at >= %s AND created_at < %s{alive}",
            (self.applier.shop_id, lo, hi),
        )
        row = await cur.fetchone()
        assert row is not None  # count(*) answers one row
        return int(row[0])

    @staticmethod
    def _window(lo: datetime, hi: datetime) -> dict[str, Any]:
        # Shoptet's bounds are inclusive and whole seconds; ours are half-open
        return {"creationTimeFrom": shoptet_time(lo), "creationTimeTo": shoptet_time(hi - timedelta(seconds=1))}

    async def run(self, hi: datetime) -> tuple[int, int]:
        windows = [(EPOCH, hi)]
        totals: tuple[int, int] | None = None
        while windows:
            lo, top = windows.pop()
            remote, local = await self.remote_count(lo, top), await self.local_count(lo, top)
            totals = totals or (remote, local)
            self.compared += 1
            activity.heartbeat(self.compared)
            if remote == local:
                continue
            self.differing += 1
            if remote <= DIFF_LIMIT or top - lo <= MIN_WINDOW:
                await self.diff(lo, top)
            else:
                mid = lo + (top - lo) / 2
                mid = mid.replace(microsecond=0)
                windows += [(mid, top), (lo, mid)]
        return totals or (0, 0)

    async def listing(self, lo: datetime, hi: datetime) -> dict[str, Change]:
        """Shoptet's entities of a window, read again from page 1 while the listing shifted
        under us (its totalCount moved between pages), at most SHIFT_REREADS times."""
        e = self.entity
        remote: dict[str, Change] = {}
        for _ in range(SHIFT_REREADS):
            shifted = False

            def on_shift(old: int, new: int | None) -> None:
                nonlocal shifted
                shifted = True

            remote: dict[str, Change] = {}
            async for item in self.applier.client.iter_list(
                e.listing, e.list_key, self._window(lo, hi), items_per_page=e.list_page, on_shift=on_shift
            ):
                remote[str(item[e.key])] = ("edit", parse_time(item.get("changeTime")))
            if not shifted:
                break
            self.shifts += 1
            log.info("shop %s %s listing shifted while paging; reading it again", self.applier.shop_id, e.resource)
        return remote

    async def diff(self, lo: datetime, hi: datetime) -> None:
        """Fetch what differs. A stored entity missing from the listing is asked for by its
        detail: only a 404 deletes it (a shift the re-read did not see, say one deletion and
        one insertion between pages, can hide a live entity from a listing, never from its detail)."""
        e = self.entity
        remote = await self.listing(lo, hi)
        alive = " AND NOT deleted" if e.soft_delete else ""
        cur = await self.applier.conn.execute(
            f"SELECT {e.key_column}::text, changed_at FROM {e.table} WHERE shop_id = %s "
            f"AND created_at >= %s AND created_at < %s{alive}",
            (self.applier.shop_id, lo, hi),
        )
        local = {key: changed for key, changed in await cur.fetchall()}
        changes: dict[str, Change] = {k: c for k, c in remote.items() if local.get(k, "missing") != c[1]}
        changes.update({k: ("missing", None) for k in local.keys() - remote.keys()})
        keys = list(changes)
        for start in range(0, len(keys), APPLY_BATCH):
            await self.applier.apply({k: changes[k] for k in keys[start : start + APPLY_BATCH]}, None)


@activity.defn
async def reconcile(req: SyncRequest) -> ReconcileResult:
    """Shoptet's advice: periodically compare with the source and re-fetch what differs."""
    entity = ENTITIES[req.resource]
    hi = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    conn = await raw_connection()
    try:
        async with shop_client(req.shop_id) as client:
            applier = Applier(client, conn, req.shop_id, entity)
            reconciler = Reconciler(applier)
            remote, local = await reconciler.run(hi)
    except (ShoptetError, NotInstalled) as exc:
        raise shoptet_failure(exc, f"reconciling {req.resource}") from exc
    finally:
        await conn.close()
    t = applier.tally
    log.info(
        "shop %s %s reconciled: shoptet %d, local %d, %d/%d windows differ, %s",
        req.shop_id, req.resource, remote, local, reconciler.differing, reconciler.compared, t,
    )
    return ReconcileResult(
        shoptet_total=remote, local_total=local, windows_compared=reconciler.compared,
        windows_differing=reconciler.differing, fetched=t.fetched, upserted=t.upserted, deleted=t.deleted,
    )


ACTIVITIES = [plan_sync, sync_changes, sync_stock, reconcile, finish_sync, record_sync_error]
