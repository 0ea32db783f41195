"""The catalogue of runtime settings (key, default, type, description) and how to read them.

Domains declare their settings here so the settings page can list every knob with its
default. Reads go through `get_setting`, which the settings cache (issue 7) will serve from
memory and Redis; writes go through `set_setting`, which invalidates every process's cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AppSetting


@dataclass(frozen=True)
class SettingDef:
    key: str
    default: Any
    type: str  # int | float | bool | str | json
    description: str
    scope: str = "app"  # app | shop (a shop value overrides the app value)


CATALOGUE: dict[str, SettingDef] = {}


def declare(*defs: SettingDef) -> None:
    for d in defs:
        CATALOGUE[d.key] = d


declare(
    SettingDef("snapshots.retry_limit", 3, "int", "How often the sweep retries a failed snapshot run.", "shop"),
    SettingDef("snapshots.chunk_lines", 20000, "int", "Lines ingested per chunk (one heartbeat each)."),
    SettingDef("sync.interval_minutes", 5, "int", "Minutes between incremental syncs of a shop.", "shop"),
    SettingDef("partitions.future_quarters", 4, "int", "Quarter partitions kept premade ahead of today."),
    SettingDef("archive.retention_days", 730, "int", "Orders older than this move to the archive tables."),
)


def definition(key: str) -> SettingDef:
    try:
        return CATALOGUE[key]
    except KeyError:
        raise KeyError(f"unknown setting {key!r}; declare it in db/app_settings.py") from None


def coerce(key: str, value: Any) -> Any:
    """Validate a value for a setting, raising ValueError with a message a person can act on."""
    kind = definition(key).type
    casts = {"int": int, "float": float, "str": str}
    if kind == "bool":
        if isinstance(value, bool):
            return value
        raise ValueError(f"{key} must be true or false, got {value!r}")
    if kind in casts:
        if isinstance(value, bool) or (kind != "str" and isinstance(value, str) and not value.strip()):
            raise ValueError(f"{key} must be a {kind}, got {value!r}")
        try:
            return casts[kind](value)
        except (TypeError, ValueError):
            raise ValueError(f"{key} must be a {kind}, got {value!r}") from None
    return value


async def get_setting(session: AsyncSession, key: str, shop_id: int | None = None) -> Any:
    """The shop's value, else the app value, else the declared default (uncached DB read)."""
    d = definition(key)
    rows = (
        await session.execute(
            select(AppSetting.shop_id, AppSetting.value).where(
                AppSetting.key == key,
                (AppSetting.shop_id.is_(None)) | (AppSetting.shop_id == shop_id),
            )
        )
    ).all()
    values = {sid: value for sid, value in rows}
    if shop_id is not None and shop_id in values:
        return values[shop_id]
    return values.get(None, d.default)


async def set_setting(
    session: AsyncSession, key: str, value: Any, shop_id: int | None = None, user_id: int | None = None
) -> Any:
    value = coerce(key, value)
    stmt = insert(AppSetting).values(key=key, shop_id=shop_id, value=value, updated_by=user_id)
    stmt = stmt.on_conflict_do_update(
        index_elements=["key", "shop_id"], set_={"value": value, "updated_by": user_id}
    )
    await session.execute(stmt)
    return value
