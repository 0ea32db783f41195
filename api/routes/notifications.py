"""Notifications for the caller's shops (and app-wide ones for admins)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, HttpUrl
from sqlalchemy import ColumnElement, or_, select, true, update

from api.common.params import BigIntId, ShortText
from api.deps import CurrentCaller, SessionDep
from api.pagination import Page, page_by_id
from api.problems import Problem
from db.models import Notification, NotificationChannel
from db.notify import KINDS, known_kind
from db.notify_preferences import CHANNELS, LEVEL_RANK, PreferenceRule, replace_rules, rules_of
from db.secrets import encrypt

router = APIRouter(prefix="/api/notifications", tags=["notifications"])


class NotificationOut(BaseModel):
    id: int
    shop_id: int | None
    level: str
    kind: str
    title: str
    body: str | None
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None
    repeats: int = 1  # the same kind and key raised again within the de-duplication window
    last_at: datetime | None = None


def _visible(caller: CurrentCaller) -> ColumnElement[bool]:
    allowed = caller.shop_filter()
    if allowed is None:
        return true()
    return Notification.shop_id.in_(allowed)


@router.get("")
async def list_notifications(
    caller: CurrentCaller,
    session: SessionDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    unread: bool = False,
    level: ShortText | None = None,
) -> Page[NotificationOut]:
    query = select(Notification).where(_visible(caller))
    if unread:
        query = query.where(Notification.read_at.is_(None))
    if level:
        query = query.where(Notification.level == level)
    return await page_by_id(
        session,
        query,
        Notification.id,
        cursor,
        limit,
        lambda r: NotificationOut.model_validate(r, from_attributes=True),
    )


@router.post("/{notification_id}/read", status_code=204)
async def mark_read(notification_id: BigIntId, caller: CurrentCaller, session: SessionDep) -> None:
    marked = await session.execute(
        update(Notification)
        .where(Notification.id == notification_id, _visible(caller))
        .values(read_at=datetime.now(UTC))
        .returning(Notification.id)
    )
    if marked.first() is None:
        raise Problem(404, "Notification not found", f"No notification {notification_id}.")
    await session.commit()


@router.post("/read-all", status_code=204)
async def mark_all_read(caller: CurrentCaller, session: SessionDep) -> None:
    await session.execute(
        update(Notification)
        .where(_visible(caller), or_(Notification.read_at.is_(None)))
        .values(read_at=datetime.now(UTC))
    )
    await session.commit()


# ----------------------------------------------------------------------------- preferences


class PreferencesIn(BaseModel):
    rules: list[PreferenceRule] = Field(max_length=100)
    # omitted: keep the stored webhook; "" removes it
    slack_webhook_url: HttpUrl | Literal[""] | None = None


class KindInfo(BaseModel):
    kind: str
    description: str


class PreferencesOut(BaseModel):
    rules: list[PreferenceRule]
    slack_webhook_set: bool
    channels: list[str]
    levels: list[str]
    kinds: list[KindInfo]


async def _preferences(session: SessionDep, user_id: int) -> PreferencesOut:
    hook = await session.get(NotificationChannel, user_id)
    return PreferencesOut(
        rules=await rules_of(session, user_id),
        slack_webhook_set=bool(hook and hook.slack_webhook_encrypted),
        channels=list(CHANNELS),
        levels=list(LEVEL_RANK),
        kinds=[KindInfo(kind=k, description=v) for k, v in KINDS.items()],
    )


@router.get("/preferences")
async def get_preferences(caller: CurrentCaller, session: SessionDep) -> PreferencesOut:
    """The caller's rules: which channels get which kinds from which level up."""
    return await _preferences(session, caller.user.id)


@router.put("/preferences")
async def put_preferences(
    caller: CurrentCaller, session: SessionDep, body: PreferencesIn
) -> PreferencesOut:
    """Replace the caller's rules (and set or remove the Slack webhook)."""
    seen: set[str] = set()
    for i, rule in enumerate(body.rules):
        where = f"rules[{i}]"
        family = rule.kind.endswith(".") and any(k.startswith(rule.kind) for k in KINDS)
        if rule.kind != "*" and not (family or known_kind(rule.kind)):
            raise Problem(422, "Invalid request", f"{where}.kind: unknown kind {rule.kind!r}")
        if rule.min_level not in LEVEL_RANK:
            raise Problem(422, "Invalid request", f"{where}.min_level: one of {', '.join(LEVEL_RANK)}")
        if not set(rule.channels) <= set(CHANNELS):
            raise Problem(422, "Invalid request", f"{where}.channels: each one of {', '.join(CHANNELS)}")
        if rule.kind in seen:
            raise Problem(422, "Invalid request", f"{where}.kind: {rule.kind!r} appears twice")
        seen.add(rule.kind)
    await replace_rules(session, caller.user.id, body.rules)
    if body.slack_webhook_url is not None:
        url = str(body.slack_webhook_url)
        hook = await session.get(NotificationChannel, caller.user.id)
        if hook is None:
            hook = NotificationChannel(user_id=caller.user.id)
            session.add(hook)
        hook.slack_webhook_encrypted = encrypt(url) if url else None
    await session.commit()
    return await _preferences(session, caller.user.id)
