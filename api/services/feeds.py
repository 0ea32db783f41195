"""A shop's catalog feeds from the owner's side (enable, carriers, token, generate now) and the
public side (which shop a feed token belongs to, and its file with cache validators)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError

from api.problems import Problem
from api.security import new_token, token_hash
from db.config import get_settings
from db.models import ShopFeed
from infra.temporal_client import ensure_schedule
from workflows import search_attributes
from workflows.feeds import FeedsRequest, FeedsWorkflow, feeds_workflow_id
from workflows.queues import Queue
from workflows.schedules import feeds_schedule

CarrierId = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Z0-9_]+$")]
Money = Annotated[Decimal, Field(ge=0, le=Decimal("99999999"), max_digits=12, decimal_places=2)]
FILE_NAMES = {"heureka.xml": "heureka", "zbozi.xml": "zbozi", "google.xml": "google", "idealo.csv": "idealo"}  # fmt: skip


class Carrier(BaseModel):
    """A Heureka/Zboží DELIVERY block: the marketplace's carrier id (e.g. PPL, ZASILKOVNA,
    CESKA_POSTA) and its price, with cash on delivery."""

    id: CarrierId
    price: Money
    price_cod: Money | None = None


class FeedSettingsIn(BaseModel):
    enabled: bool = True
    delivery: list[Carrier] = Field(default_factory=list[Carrier], max_length=20)
    out_of_stock_days: int = Field(default=14, ge=0, le=365)


class FeedSettingsOut(BaseModel):
    enabled: bool
    urls: dict[str, str]  # format -> the stable URL to give the marketplace
    delivery: list[Carrier]
    out_of_stock_days: int
    generated_at: datetime | None
    items: dict[str, int]  # format -> items in the last generated file


class FeedStarted(BaseModel):
    workflow_id: str
    run_id: str | None


def _out(row: ShopFeed) -> FeedSettingsOut:
    base = get_settings().public_base_url.rstrip("/")
    token = quote(row.token, safe="")
    return FeedSettingsOut(
        enabled=row.enabled,
        urls={fmt: f"{base}/feeds/{token}/{name}" for name, fmt in FILE_NAMES.items()},
        delivery=[Carrier.model_validate(d) for d in row.delivery],
        out_of_stock_days=row.out_of_stock_days,
        generated_at=row.generated_at,
        items={k: int(v) for k, v in row.items.items()},
    )


async def settings_of(session: AsyncSession, shop_id: int) -> FeedSettingsOut | None:
    row = await session.get(ShopFeed, shop_id)
    return None if row is None else _out(row)


async def configure(
    session: AsyncSession, client: Client, shop_id: int, body: FeedSettingsIn
) -> FeedSettingsOut:
    """Save the settings (a first save makes the feed token) and create or delete the shop's
    hourly schedule to match `enabled`."""
    row = await session.get(ShopFeed, shop_id)
    if row is None:
        token = new_token()
        row = ShopFeed(shop_id=shop_id, token=token, token_hash=token_hash(token), items={})
        session.add(row)
    row.enabled = body.enabled
    row.delivery = [c.model_dump(mode="json") for c in body.delivery]
    row.out_of_stock_days = body.out_of_stock_days
    await session.flush()
    await _sync_schedule(client, shop_id, body.enabled)
    await session.commit()
    await session.refresh(row)
    return _out(row)


async def rotate_token(session: AsyncSession, shop_id: int) -> FeedSettingsOut:
    """A new feed URL secret; the old URLs stop working at once (the marketplaces need the new)."""
    row = await session.get(ShopFeed, shop_id)
    if row is None:
        raise Problem(404, "Feeds not set up", f"Shop {shop_id} has no feeds; enable them first.")
    token = new_token()
    row.token, row.token_hash = token, token_hash(token)
    await session.commit()
    await session.refresh(row)
    return _out(row)


async def _sync_schedule(client: Client, shop_id: int, enabled: bool) -> None:
    decl = feeds_schedule(shop_id)
    try:
        if enabled:
            await ensure_schedule(client, decl)
        else:
            try:
                await client.get_schedule_handle(decl.id).delete()
            except RPCError as exc:
                if "not found" not in str(exc).lower():
                    raise
    except RPCError as exc:
        raise Problem(503, "Could not schedule the feeds", f"Temporal refused: {exc}") from exc


async def generate_now(client: Client, shop_id: int) -> FeedStarted:
    """Start the shop's feeds workflow, or return the one already running."""
    try:
        handle = await client.start_workflow(
            FeedsWorkflow.run,
            FeedsRequest(shop_id),
            id=feeds_workflow_id(shop_id),
            task_queue=Queue.EXPORTS.value,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            search_attributes=search_attributes.for_run("feeds", shop_id),
        )
    except RPCError as exc:
        raise Problem(503, "Could not start the feeds", f"Temporal refused: {exc}") from exc
    return FeedStarted(workflow_id=handle.id, run_id=handle.result_run_id)


async def shop_of_token(session: AsyncSession, token: str) -> int | None:
    """The shop whose enabled feeds this token opens, or None."""
    return (
        await session.execute(
            select(ShopFeed.shop_id).where(
                ShopFeed.token_hash == token_hash(token), ShopFeed.enabled.is_(True)
            )
        )
    ).scalar_one_or_none()


class FeedFile(BaseModel):
    path: Path
    etag: str  # of the gzip bytes; the decompressed representation's ends in "-identity"
    last_modified: str  # HTTP date
    mtime: int


def feed_file(shop_id: int, file_name: str) -> FeedFile | None:
    """The gzip file of a feed with its validators, or None when not generated yet."""
    path = get_settings().data_dir / "feeds" / str(shop_id) / f"{file_name}.gz"
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    modified = datetime.fromtimestamp(int(stat.st_mtime), tz=UTC)
    return FeedFile(
        path=path,
        etag=f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"',
        last_modified=format_datetime(modified, usegmt=True),
        mtime=int(stat.st_mtime),
    )


def not_modified(file: FeedFile, etag: str, headers: Any) -> bool:
    """RFC 9110 conditional GET: If-None-Match (weak comparison) wins over If-Modified-Since."""
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or etag in tags
    since = headers.get("if-modified-since")
    if since:
        try:
            return parsedate_to_datetime(since).timestamp() >= file.mtime
        except (TypeError, ValueError):
            return False
    return False
