"""Who gets a notification on which channel: each user's rules by kind and level.

A rule names a kind (exact `inventory.sales_spike`, a family `inventory.`, or `*`), the lowest
level it applies from, and its channels (`in_app`, `email`, `slack`). The most specific rule a
user has for the kind decides; below its level only in-app remains; with no rule at all a user
gets in-app only, so e-mail and Slack are something a user turns on. In-app rows are always
stored (the page filters), e-mail and Slack become `notification_deliveries` rows.
Recipients of a shop's notification are its members and the admins; app-wide ones go to admins.
"""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Notification,
    NotificationDelivery,
    NotificationPreference,
    ShopMembership,
    User,
)

CHANNELS = ("in_app", "email", "slack")
LEVEL_RANK = {"info": 0, "warning": 1, "critical": 2}
DEFAULT_CHANNELS = ("in_app",)


class PreferenceRule(BaseModel):
    kind: str  # exact kind, a family ending in ".", or "*"
    min_level: str = "info"
    channels: list[str]


def _specificity(rule_kind: str, kind: str) -> int | None:
    """How closely a rule's kind matches (higher wins); None when it does not apply."""
    if rule_kind == kind:
        return 1000
    if rule_kind.endswith(".") and kind.startswith(rule_kind):
        return len(rule_kind)
    if rule_kind == "*":
        return 0
    return None


def channels_for(rules: list[PreferenceRule], kind: str, level: str) -> set[str]:
    """The channels one user's rules give a notification of `kind` at `level`."""
    best: tuple[int, PreferenceRule] | None = None
    for rule in rules:
        score = _specificity(rule.kind, kind)
        if score is not None and (best is None or score > best[0]):
            best = (score, rule)
    if best is None:
        return set(DEFAULT_CHANNELS)
    rule = best[1]
    if LEVEL_RANK[level] < LEVEL_RANK.get(rule.min_level, 0):
        return {"in_app"}
    return set(rule.channels)


async def rules_of(session: AsyncSession, user_id: int) -> list[PreferenceRule]:
    rows = (
        await session.execute(
            select(NotificationPreference)
            .where(NotificationPreference.user_id == user_id)
            .order_by(NotificationPreference.kind)
        )
    ).scalars()
    return [PreferenceRule(kind=r.kind, min_level=r.min_level, channels=r.channels) for r in rows]


async def replace_rules(session: AsyncSession, user_id: int, rules: list[PreferenceRule]) -> None:
    """The user's whole rule set becomes `rules` (the caller validated and commits)."""
    for row in (
        await session.execute(
            select(NotificationPreference).where(NotificationPreference.user_id == user_id)
        )
    ).scalars():
        await session.delete(row)
    await session.flush()
    for rule in rules:
        session.add(
            NotificationPreference(
                user_id=user_id, kind=rule.kind, min_level=rule.min_level,
                channels=sorted(set(rule.channels)),
            )
        )
    await session.flush()


async def owe_deliveries(session: AsyncSession, row: Notification) -> int:
    """Queue the e-mail and Slack deliveries the recipients' rules ask for; returns how many."""
    members = select(ShopMembership.user_id).where(ShopMembership.shop_id == row.shop_id)
    audience = User.role == "admin"
    if row.shop_id is not None:
        audience = or_(audience, User.id.in_(members))
    recipients = (
        await session.execute(select(User.id).where(User.is_active, audience))
    ).scalars().all()
    if not recipients:
        return 0
    prefs = (
        await session.execute(
            select(NotificationPreference).where(NotificationPreference.user_id.in_(recipients))
        )
    ).scalars()
    by_user: dict[int, list[PreferenceRule]] = {}
    for p in prefs:
        by_user.setdefault(p.user_id, []).append(
            PreferenceRule(kind=p.kind, min_level=p.min_level, channels=p.channels)
        )
    owed = 0
    for user_id, rules in by_user.items():
        for channel in sorted(channels_for(rules, row.kind, row.level) - {"in_app"}):
            session.add(NotificationDelivery(notification_id=row.id, user_id=user_id, channel=channel))
            owed += 1
    if owed:
        await session.flush()
    return owed
