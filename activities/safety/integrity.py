"""Integrity checks as data: each check is one function returning findings (PgHero style).

A finding is `passed`, `failed` (a fault in the data), `error` (the check could not run) or
`skipped` (with the reason, e.g. a shop without a usable installation). Findings are stored in
`integrity_findings`; every failing check raises one notification.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.shoptet.client import ShoptetClient
from activities.shoptet.errors import ShoptetError
from activities.shoptet.tokens import OAuthTokenSource, StaticToken, TokenSource
from db.app_settings import get_setting
from db.config import get_settings
from db.engine import session_scope
from db.models import Installation, IntegrityFinding, IntegrityRun, Shop
from db.notify import cs_count, cs_number, notify
from db.partitions import PARTITIONED_TABLES, Quarter, existing_quarters
from workflows.safety.integrity import CheckError, CheckOutcome, CheckRequest, IntegrityReport

SAMPLE = 5
TOKEN_MARGIN = timedelta(seconds=60)


@dataclass(frozen=True)
class Finding:
    status: str
    detail: str
    faults: int = 0
    shop_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    detail_cs: str | None = None  # a failing finding becomes a notification, in Czech too

    def __post_init__(self) -> None:
        if self.status in FAILING and not self.detail_cs:
            raise ValueError(f"a {self.status} finding needs its Czech detail: {self.detail}")


Check = Callable[[AsyncSession], Awaitable[list[Finding]]]


async def items_without_orders(session: AsyncSession) -> list[Finding]:
    rows = await session.execute(
        text(
            """
            SELECT i.shop_id, count(*) AS n,
                   (array_agg(DISTINCT i.order_code))[1:5] AS sample
            FROM order_items i
            WHERE NOT EXISTS (
                SELECT 1 FROM orders o
                WHERE o.shop_id = i.shop_id AND o.code = i.order_code
                  AND o.created_at = i.created_at)
            GROUP BY i.shop_id ORDER BY i.shop_id
            """
        )
    )
    return [
        Finding(
            "failed",
            f"{n} order item(s) of shop {shop_id} belong to no order, e.g. orders {list(sample)}",
            n,
            shop_id,
            {"sample_order_codes": list(sample)},
            f"Obchod {shop_id}: {cs_count(n, 'položka', 'položky', 'položek')} bez objednávky, "
            f"např. objednávky {list(sample)}",
        )
        for shop_id, n, sample in rows
    ] or [Finding("passed", "every order item belongs to an order")]


async def order_totals(session: AsyncSession) -> list[Finding]:
    """Orders whose total differs from the sum of their items by more than 0.01 per item."""
    rows = await session.execute(
        text(
            """
            WITH items AS (
                SELECT shop_id, order_code, created_at,
                       sum(price_with_vat) AS items_total, count(*) AS n
                FROM order_items GROUP BY shop_id, order_code, created_at),
            off AS (
                SELECT o.shop_id, o.code, o.total_with_vat, i.items_total
                FROM orders o JOIN items i
                  ON i.shop_id = o.shop_id AND i.order_code = o.code
                 AND i.created_at = o.created_at
                WHERE abs(o.total_with_vat - i.items_total) > 0.01 * i.n)
            SELECT shop_id, count(*),
                   (array_agg(json_build_array(code, total_with_vat::text, items_total::text)
                              ORDER BY code))[1:5]
            FROM off GROUP BY shop_id ORDER BY shop_id
            """
        )
    )
    return [
        Finding(
            "failed",
            f"{n} order(s) of shop {shop_id} have a total that differs from the sum of their "
            f"items by more than 0.01 per item, e.g. (code, total, items) {list(sample)}",
            n,
            shop_id,
            {"sample": list(sample)},
            f"Obchod {shop_id}: {cs_count(n, 'objednávka', 'objednávky', 'objednávek')} s celkovou "
            f"částkou, která se od součtu položek liší o víc než 0,01 na položku, např. "
            f"(kód, celkem, položky) {list(sample)}",
        )
        for shop_id, n, sample in rows
    ] or [Finding("passed", "every order total matches the sum of its items")]


async def default_partitions(session: AsyncSession) -> list[Finding]:
    """Rows in any DEFAULT partition: maintenance keeps them empty, so any row is a fault."""
    names = (
        (
            await session.execute(
                text(
                    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.relispartition AND n.nspname = current_schema() "
                    "AND pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT' ORDER BY 1"
                )
            )
        )
        .scalars()
        .all()
    )
    findings = []
    for name in names:
        rows = (await session.execute(text(f'SELECT count(*) FROM "{name}"'))).scalar_one()
        if rows:
            findings.append(
                Finding(
                    "failed",
                    f"{rows} row(s) in default partition {name}",
                    rows,
                    data={"table": name},
                    detail_cs=f"Výchozí oddíl {name} obsahuje "
                    f"{cs_count(rows, 'řádek', 'řádky', 'řádků')}",
                )
            )
    return findings or [
        Finding("passed", f"default partitions empty: {', '.join(names) or 'none'}")
    ]


async def future_partitions(session: AsyncSession) -> list[Finding]:
    """Quarter partitions missing from this quarter to `partitions.future_quarters` ahead."""
    ahead = int(await get_setting(session, "partitions.future_quarters"))
    now = Quarter.of(datetime.now(UTC))
    wanted = [now.add(i) for i in range(ahead + 1)]
    conn = await session.connection()
    findings = []
    for table in PARTITIONED_TABLES:
        have = set(await conn.run_sync(lambda c, t=table: existing_quarters(c, t)))
        missing = [q.label for q in wanted if q not in have]
        if missing:
            findings.append(
                Finding(
                    "failed",
                    f"{table} lacks partitions for {', '.join(missing)} (wanted {ahead} quarters ahead)",
                    len(missing),
                    data={"table": table, "missing": missing},
                    detail_cs=f"Tabulce {table} chybí oddíly pro {', '.join(missing)} "
                    f"(požadováno {ahead} čtvrtletí dopředu)",
                )
            )
    return findings or [
        Finding(
            "passed",
            f"partitions present up to {wanted[-1].label} for {', '.join(PARTITIONED_TABLES)}",
        )
    ]


def _token_source(inst: Installation, http: httpx.AsyncClient) -> TokenSource:
    """The stored API token while fresh; else one minted from the OAuth token (not stored)."""
    expires = inst.api_token_expires_at
    if inst.api_token and expires and expires - TOKEN_MARGIN > datetime.now(UTC):
        return StaticToken(inst.api_token)
    return OAuthTokenSource(http, get_settings().shoptet_partner_url, inst.oauth_token)


def unusable_reason(shop: Shop, inst: Installation | None) -> str | None:
    if shop.status in ("uninstalled", "suspended"):
        return f"shop is {shop.status}"
    if inst is None:
        return "no installation"
    if inst.uninstalled_at is not None:
        return f"addon uninstalled at {inst.uninstalled_at.isoformat()}"
    if not inst.oauth_token:
        return "installation has no OAuth token"
    return None


async def _our_order_count(session: AsyncSession, shop_id: int, cutoff: datetime) -> int:
    tables = ["orders"]
    if (await session.execute(text("SELECT to_regclass('orders_archive')"))).scalar_one():
        tables.append("orders_archive")
    total = 0
    for table in tables:
        total += (
            await session.execute(
                text(f"SELECT count(*) FROM {table} WHERE shop_id = :s AND created_at <= :c"),
                {"s": shop_id, "c": cutoff},
            )
        ).scalar_one()
    return int(total)


async def shoptet_counts(session: AsyncSession) -> list[Finding]:
    """Our order count per shop against Shoptet's paginator.totalCount (orders older than the grace)."""
    grace = int(await get_setting(session, "integrity.shoptet_grace_minutes"))
    cutoff = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=grace)
    shops = (await session.execute(select(Shop).order_by(Shop.id))).scalars().all()
    findings = []
    async with httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=10.0)) as http:
        for shop in shops:
            inst = (
                await session.execute(select(Installation).where(Installation.shop_id == shop.id))
            ).scalar_one_or_none()
            reason = unusable_reason(shop, inst)
            if reason:
                findings.append(
                    Finding("skipped", f"shop {shop.id} not compared: {reason}", shop_id=shop.id)
                )
                continue
            assert inst is not None
            client = ShoptetClient(
                get_settings().shoptet_api_url, _token_source(inst, http), http=http,
                shop_id=shop.id,
            )
            try:
                data = await client.get(
                    "/api/orders",
                    {"itemsPerPage": 1, "creationTimeTo": cutoff.strftime("%Y-%m-%dT%H:%M:%S%z")},
                )
                theirs = int(data["paginator"]["totalCount"])
            except (ShoptetError, KeyError, TypeError, ValueError) as exc:
                findings.append(
                    Finding(
                        "error",
                        f"shop {shop.id}: could not read Shoptet's order count: {exc}",
                        shop_id=shop.id,
                        detail_cs=f"Obchod {shop.id}: počet objednávek v Shoptetu se nepodařilo "
                        f"načíst: {exc}",
                    )
                )
                continue
            ours = await _our_order_count(session, shop.id, cutoff)
            status = "passed" if ours == theirs else "failed"
            findings.append(
                Finding(
                    status,
                    f"shop {shop.id}: {ours} orders here, {theirs} in Shoptet (created up to {cutoff.isoformat()})",
                    abs(ours - theirs),
                    shop.id,
                    {"ours": ours, "shoptet": theirs, "cutoff": cutoff.isoformat()},
                    f"Obchod {shop.id}: objednávek u nás {cs_number(ours, 0)}, v Shoptetu "
                    f"{cs_number(theirs, 0)} (vytvořených do {cutoff.isoformat()})",
                )
            )
    return findings or [Finding("passed", "no shops to compare")]


CHECKS: dict[str, Check] = {
    "items_without_orders": items_without_orders,
    "order_totals": order_totals,
    "default_partitions": default_partitions,
    "future_partitions": future_partitions,
    "shoptet_counts": shoptet_counts,
}
FAILING = ("failed", "error")


@activity.defn
async def start_integrity_run(workflow_id: str) -> int:
    async with session_scope() as session:
        existing = (
            await session.execute(
                select(IntegrityRun.id).where(IntegrityRun.workflow_id == workflow_id)
            )
        ).scalar_one_or_none()
        if existing is not None:  # a retried activity: same run
            return int(existing)
        run = IntegrityRun(workflow_id=workflow_id)
        session.add(run)
        await session.flush()
        return int(run.id)


@activity.defn
async def run_integrity_check(req: CheckRequest) -> CheckOutcome:
    """Run one check and store its findings; exceptions propagate (retried, then recorded as error)."""
    check = CHECKS.get(req.check)
    if check is None:
        raise ApplicationError(
            f"unknown integrity check {req.check!r}; known: {sorted(CHECKS)}", non_retryable=True
        )
    async with session_scope() as session:
        findings = await check(session)
    return await _store(req.run_id, req.check, findings)


@activity.defn
async def record_check_error(err: CheckError) -> CheckOutcome:
    return await _store(
        err.run_id,
        err.check,
        [
            Finding(
                "error",
                f"check {err.check} could not run: {err.error}",
                detail_cs=f"Kontrolu {err.check} se nepodařilo spustit: {err.error}",
            )
        ],
    )


async def _store(run_id: int, check: str, findings: list[Finding]) -> CheckOutcome:
    failing = [f for f in findings if f.status in FAILING]
    async with session_scope() as session:
        await session.execute(
            delete(IntegrityFinding).where(
                IntegrityFinding.run_id == run_id, IntegrityFinding.check == check
            )
        )
        session.add_all(
            IntegrityFinding(
                run_id=run_id,
                check=check,
                shop_id=f.shop_id,
                status=f.status,
                faults=f.faults,
                detail=f.detail,
                data=f.data,
            )
            for f in findings
        )
        for f in failing:
            await notify(
                session,
                level="critical" if f.status == "error" else "warning",
                kind=f"integrity.{check}",
                title=f"Integrity check {check} {'could not run' if f.status == 'error' else 'failed'}",
                title_cs=f"Kontrolu integrity {check} se nepodařilo spustit"
                if f.status == "error"
                else f"Kontrola integrity {check} selhala",
                body=f.detail,
                body_cs=f.detail_cs,
                shop_id=f.shop_id,
                data={"run_id": run_id, "faults": f.faults, **f.data},
            )
    status = (
        "error" if any(f.status == "error" for f in findings) else "failed" if failing else "passed"
    )
    detail = "; ".join(f.detail for f in (failing or findings))[:2000]
    return CheckOutcome(check, status, sum(f.faults for f in failing), detail)


@activity.defn
async def finish_integrity_run(run_id: int) -> IntegrityReport:
    async with session_scope() as session:
        rows = (
            await session.execute(
                select(
                    IntegrityFinding.check,
                    IntegrityFinding.status,
                    func.sum(IntegrityFinding.faults),
                    func.count(),
                )
                .where(IntegrityFinding.run_id == run_id)
                .group_by(IntegrityFinding.check, IntegrityFinding.status)
            )
        ).all()
        by_check: dict[str, dict[str, int]] = {}
        for check, status, faults, _ in rows:
            by_check.setdefault(check, {})[status] = int(faults or 0)
        outcomes = []
        for check, statuses in sorted(by_check.items()):
            status = (
                "error" if "error" in statuses else "failed" if "failed" in statuses else "passed"
            )
            faults = sum(v for k, v in statuses.items() if k in FAILING)
            outcomes.append(CheckOutcome(check, status, faults, ", ".join(sorted(statuses))))
        failed = sum(o.status in FAILING for o in outcomes)
        overall = "failed" if failed else "passed"
        await session.execute(
            update(IntegrityRun)
            .where(IntegrityRun.id == run_id)
            .values(status=overall, checks_failed=failed, finished_at=datetime.now(UTC))
        )
    return IntegrityReport(run_id, overall, outcomes)


ACTIVITIES = [start_integrity_run, run_integrity_check, record_check_error, finish_integrity_run]
