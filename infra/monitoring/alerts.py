"""Alerts: a check that turns critical raises one notification and one open alert; it stays open
(and silent) while the check is warn or critical, and is resolved with an info notification
when the check is ok again. The partial unique index on open alerts makes the "one open alert
per check" hold even when two evaluations race.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import session_scope
from db.notify import notify
from infra.monitoring.checks import CheckResult, cz

ALERT_KIND = "monitoring.alert"
RESOLVED_KIND = "monitoring.resolved"

_STATE_UPSERT = """
INSERT INTO monitoring_check_states AS s (name, part, state, value, summary, checked_at, changed_at)
VALUES (:name, :part, :state, :value, :summary, :now, :now)
ON CONFLICT (name) DO UPDATE SET
    part = excluded.part, state = excluded.state, value = excluded.value, summary = excluded.summary,
    checked_at = excluded.checked_at,
    changed_at = CASE WHEN s.state = excluded.state THEN s.changed_at ELSE excluded.checked_at END
"""


@dataclass
class AlertChanges:
    opened: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    critical: list[str] = field(default_factory=list)


def _body(result: CheckResult) -> str:
    """The check and its figure; a check without a figure (e.g. "no backup yet") says only why."""
    if result.value is None:
        return result.description
    threshold = f", critical at {result.critical:g} {result.unit}" if result.critical is not None else ""
    return f"{result.description} Value {result.value:g} {result.unit}{threshold}."


def _label_cs(result: CheckResult) -> str:
    return f"{result.name} ({result.description_cs.rstrip('.')})" if result.description_cs else result.name


def _body_cs(result: CheckResult) -> str:
    if result.value is None:
        return result.description_cs or result.description
    threshold = f", kritické od {cz(result.critical, 3).rstrip('0').rstrip(',')}" if result.critical is not None else ""
    return f"Hodnota {cz(result.value, 3).rstrip('0').rstrip(',')} {result.unit}{threshold}."


async def _open(session: AsyncSession, result: CheckResult, now: datetime) -> bool:
    alert_id = (
        await session.execute(
            text(
                "INSERT INTO monitoring_alerts (check_name, summary, value, opened_at) "
                "VALUES (:name, :summary, :value, :now) "
                "ON CONFLICT (check_name) WHERE resolved_at IS NULL DO NOTHING RETURNING id"
            ),
            {"name": result.name, "summary": result.summary, "value": result.value, "now": now},
        )
    ).scalar()
    if alert_id is None:
        return False
    note = await notify(
        session,
        level="critical",
        kind=ALERT_KIND,
        title=f"{result.name} is critical: {result.summary}"[:300],
        title_cs=f"{_label_cs(result)} – kritické: {result.summary_cs or result.summary}"[:300],
        body=_body(result),
        body_cs=_body_cs(result),
        data={"check": result.name, "part": result.part, "alert_id": alert_id, "value": result.value},
    )
    await session.execute(
        text("UPDATE monitoring_alerts SET notification_id = :n WHERE id = :id"), {"n": note.id, "id": alert_id}
    )
    return True


async def _resolve(session: AsyncSession, result: CheckResult, now: datetime) -> bool:
    alert_id = (
        await session.execute(
            text(
                "UPDATE monitoring_alerts SET resolved_at = :now WHERE check_name = :name AND resolved_at IS NULL "
                "RETURNING id"
            ),
            {"name": result.name, "now": now},
        )
    ).scalar()
    if alert_id is None:
        return False
    await notify(
        session,
        level="info",
        kind=RESOLVED_KIND,
        title=f"{result.name} is ok again: {result.summary}"[:300],
        title_cs=f"{_label_cs(result)} – opět v pořádku: {result.summary_cs or result.summary}"[:300],
        data={"check": result.name, "part": result.part, "alert_id": alert_id},
    )
    return True


async def apply(results: list[CheckResult], now: datetime) -> AlertChanges:
    """Store each check's state and open or resolve alerts; one transaction per evaluation."""
    changes = AlertChanges()
    async with session_scope() as session:
        for result in results:
            await session.execute(
                text(_STATE_UPSERT),
                {"name": result.name, "part": result.part, "state": result.state, "value": result.value,
                 "summary": result.summary, "now": now},
            )
            if result.state == "critical":
                changes.critical.append(result.name)
                if await _open(session, result, now):
                    changes.opened.append(result.name)
            elif result.state == "ok" and await _resolve(session, result, now):
                changes.resolved.append(result.name)
    return changes
