"""A meter and a daily budget on every metered outbound call (Shoptet, e-mail, webhooks, AI).

`charge(shop_id, kind, n)` is the one door: one Lua script in Redis checks the shop's budget
for the kind, adds `n` to the day's counter (or counts a refusal) and reports whether the
80 % line was crossed, so a Shoptet call costs one round trip. A call is refused once the day's
use has reached the budget (100 %); a charge with `force` records use that already happened (the
tokens an AI answer cost). Days are Prague days: a budget resets at the merchant's midnight.
Counters live in Redis for three days; `flush_usage` copies them into `usage_daily` (the
history the pages show), and `usage_for` overlays today's live counters on that history.
Budgets are read from `usage_budgets` through a short Redis cache that `set_budget` clears.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import session_scope
from db.models import UsageBudget, UsageDay
from db.redis_client import redis_client

SHOPTET_CALLS = "shoptet_calls"
EMAILS = "emails"
WEBHOOK_DELIVERIES = "webhook_deliveries"
AI_TOKENS = "ai_tokens"
KINDS = {
    SHOPTET_CALLS: "Shoptet API calls",
    EMAILS: "e-mails sent",
    WEBHOOK_DELIVERIES: "outbound webhook deliveries (Slack messages included)",
    AI_TOKENS: "AI provider tokens",
}
KINDS_CS = {
    SHOPTET_CALLS: "volání Shoptet API",
    EMAILS: "odeslané e-maily",
    WEBHOOK_DELIVERIES: "odeslané webhooky (včetně zpráv do Slacku)",
    AI_TOKENS: "tokeny poskytovatele AI",
}
APP_WIDE = 0  # the shop id of use no shop caused (an ops e-mail)
WARN_SHARE = 0.8
DAY_ZONE = ZoneInfo("Europe/Prague")
KEEP_SECONDS = 3 * 86400  # a day's counters outlive the day so a late flush still finds them
BUDGET_CACHE_SECONDS = 30
DIRTY = "usage:dirty"

# KEYS: used, refused, dirty set; ARGV: n, limit (-1 none), force (0/1), member, ttl
_CHARGE = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local n = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('SADD', KEYS[3], ARGV[4])
if ARGV[3] == '0' and limit >= 0 and used >= limit then
  local refused = redis.call('INCRBY', KEYS[2], n > 0 and n or 1)
  redis.call('EXPIRE', KEYS[2], ARGV[5])
  return {0, used, refused}
end
local now = used
if n > 0 then
  now = redis.call('INCRBY', KEYS[1], n)
  redis.call('EXPIRE', KEYS[1], ARGV[5])
end
return {1, used, now}
"""


class BudgetExceeded(RuntimeError):
    """The shop has used its daily budget of this kind; the call was refused and counted."""

    def __init__(self, shop_id: int, kind: str, used: int, limit: int) -> None:
        self.shop_id, self.kind, self.used, self.limit = shop_id, kind, used, limit
        super().__init__(
            f"shop {shop_id} has used its daily budget of {KINDS.get(kind, kind)} "
            f"({used} of {limit}); the call was refused. An admin can raise the budget on the "
            "shop's page, or it resets at midnight (Europe/Prague)."
        )


@dataclass(frozen=True)
class Charge:
    used: int  # the day's use after this charge
    limit: int | None


class UsageOut(BaseModel):
    kind: str
    day: date
    used: int
    refused: int
    limit: int | None
    share: float | None  # used ÷ limit


def usage_day(at: datetime | None = None) -> date:
    return (at or datetime.now(UTC)).astimezone(DAY_ZONE).date()


def _key(shop_id: int, kind: str, day: date, what: str) -> str:
    return f"usage:{what}:{shop_id}:{kind}:{day.isoformat()}"


async def budget(shop_id: int, kind: str) -> int | None:
    """The shop's daily limit of `kind` (None: unlimited), cached briefly in Redis."""
    if shop_id == APP_WIDE:
        return None
    cache = redis_client()
    key = f"usage:budget:{shop_id}:{kind}"
    cached = await cache.get(key)
    if cached is not None:
        return None if cached == b"none" else int(cached)
    async with session_scope() as session:
        limit = await session.scalar(
            select(UsageBudget.daily_limit).where(
                UsageBudget.shop_id == shop_id, UsageBudget.kind == kind
            )
        )
    await cache.set(key, "none" if limit is None else str(limit), ex=BUDGET_CACHE_SECONDS)
    return limit


async def set_budget(session: AsyncSession, shop_id: int, kind: str, limit: int | None) -> None:
    """Set (or with None remove) a shop's daily limit; the caller commits."""
    if kind not in KINDS:
        raise ValueError(f"unknown metered kind {kind!r}; known: {', '.join(KINDS)}")
    if limit is None:
        await session.execute(
            delete(UsageBudget).where(UsageBudget.shop_id == shop_id, UsageBudget.kind == kind)
        )
    else:
        stmt = insert(UsageBudget).values(shop_id=shop_id, kind=kind, daily_limit=limit)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["shop_id", "kind"],
                set_={"daily_limit": limit, "updated_at": datetime.now(UTC)},
            )
        )
    await redis_client().delete(f"usage:budget:{shop_id}:{kind}")


async def charge(
    shop_id: int | None, kind: str, n: int = 1, *, force: bool = False, at: datetime | None = None
) -> Charge:
    """Count `n` units of `kind` for the shop today, or refuse (BudgetExceeded) when the day's
    use has reached its budget. `force` records use that already happened, never refusing;
    `n=0` only asks whether a call may start."""
    if kind not in KINDS:
        raise ValueError(f"unknown metered kind {kind!r}; known: {', '.join(KINDS)}")
    shop = shop_id or APP_WIDE
    day = usage_day(at)
    limit = await budget(shop, kind)
    result = await redis_client().eval(  # type: ignore[misc]  # redis-py types eval loosely
        _CHARGE,
        3,
        _key(shop, kind, day, "used"),
        _key(shop, kind, day, "refused"),
        DIRTY,
        n,
        -1 if limit is None else limit,
        "1" if force else "0",
        f"{shop}:{kind}:{day.isoformat()}",
        KEEP_SECONDS,
    )
    allowed, before, after = (int(x) for x in result)
    if not allowed:
        assert limit is not None
        await _warn_once(shop, kind, day, "exhausted", before, limit)
        raise BudgetExceeded(shop, kind, before, limit)
    if limit is not None and limit > 0 and after >= WARN_SHARE * limit > before:
        await _warn_once(shop, kind, day, "warning", after, limit)
    return Charge(used=after, limit=limit)


async def _warn_once(shop_id: int, kind: str, day: date, what: str, used: int, limit: int) -> None:
    """One notification per shop, kind, day and threshold (80 % reached, budget exhausted)."""
    first = await redis_client().set(
        _key(shop_id, kind, day, f"warned-{what}"), "1", nx=True, ex=KEEP_SECONDS
    )
    if not first:
        return
    from db.notify import notify

    name, name_cs = KINDS[kind], KINDS_CS[kind]
    share = round(100 * used / limit)
    async with session_scope() as session:
        if what == "warning":
            await notify(
                session,
                level="warning",
                kind="usage.warning",
                title=f"{share} % of today's budget of {name} used ({used} of {limit})",
                title_cs=f"Využito {share} % dnešního rozpočtu: {name_cs} ({used} z {limit})",
                shop_id=shop_id,
                key=f"{kind}:{day.isoformat()}",
                data={"kind": kind, "used": used, "limit": limit, "day": day.isoformat()},
            )
        else:
            await notify(
                session,
                level="critical",
                kind="usage.exhausted",
                title=f"Today's budget of {name} is used up ({limit}); further calls are refused",
                title_cs=f"Dnešní rozpočet je vyčerpán: {name_cs} ({limit}); další volání jsou odmítnuta",
                shop_id=shop_id,
                key=f"{kind}:{day.isoformat()}",
                data={"kind": kind, "limit": limit, "day": day.isoformat()},
            )


async def live_counters(shop_id: int, day: date) -> dict[str, tuple[int, int]]:
    """Today's (used, refused) per kind straight from Redis."""
    keys = [_key(shop_id, k, day, w) for k in KINDS for w in ("used", "refused")]
    values = await redis_client().mget(keys)
    out: dict[str, tuple[int, int]] = {}
    for i, kind in enumerate(KINDS):
        used, refused = values[2 * i], values[2 * i + 1]
        if used is not None or refused is not None:
            out[kind] = (int(used or 0), int(refused or 0))
    return out


async def flush_usage() -> int:
    """Copy the counters touched since the last flush into `usage_daily`; returns rows written."""
    cache = redis_client()
    members = await cache.spop(DIRTY, 10_000)  # type: ignore[misc]
    rows = []
    for raw in members or []:
        member = raw.decode() if isinstance(raw, bytes) else str(raw)
        shop, kind, day_text = member.split(":")
        day = date.fromisoformat(day_text)
        used, refused = await cache.mget(
            [_key(int(shop), kind, day, "used"), _key(int(shop), kind, day, "refused")]
        )
        rows.append(
            {"shop_id": int(shop), "kind": kind, "day": day,
             "used": int(used or 0), "refused": int(refused or 0)}
        )
    if not rows:
        return 0
    async with session_scope() as session:
        stmt = insert(UsageDay).values(rows)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["shop_id", "kind", "day"],
                set_={"used": stmt.excluded.used, "refused": stmt.excluded.refused},
            )
        )
    return len(rows)


async def usage_for(
    session: AsyncSession, shop_id: int, *, days: int = 14, at: datetime | None = None
) -> list[UsageOut]:
    """The shop's use per kind and day, newest first: stored days with today's live counters."""
    today = usage_day(at)
    rows = (
        await session.execute(
            select(UsageDay).where(
                UsageDay.shop_id == shop_id, UsageDay.day > today - timedelta(days=days)
            )
        )
    ).scalars()
    counts = {(r.kind, r.day): (r.used, r.refused) for r in rows}
    for kind, pair in (await live_counters(shop_id, today)).items():
        counts[(kind, today)] = pair
    limits: dict[str, int] = {
        kind: limit
        for kind, limit in await session.execute(
            select(UsageBudget.kind, UsageBudget.daily_limit).where(UsageBudget.shop_id == shop_id)
        )
    }
    for kind in limits:  # a budgeted kind shows today even before its first call
        counts.setdefault((kind, today), (0, 0))
    out = [
        UsageOut(
            kind=kind, day=day, used=used, refused=refused, limit=limits.get(kind),
            share=round(used / limits[kind], 4) if limits.get(kind) else None,
        )
        for (kind, day), (used, refused) in counts.items()
    ]
    return sorted(out, key=lambda u: (u.day, u.kind), reverse=True)
