"""Runtime settings: app-wide (admin) and per shop (viewers read, managers write).

Values are validated with the catalogue's `coerce`; every bad key or value is reported in one
422 problem. Writes go through `set_setting`, so every process's cache drops the old value.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body
from pydantic import BaseModel
from sqlalchemy import select

from api.deps import AdminCaller, CurrentCaller, ManagedShop, SessionDep, ShopOfCaller
from api.problems import Problem
from db.app_settings import CATALOGUE, SettingDef, coerce, set_setting
from db.models import AppSetting
from db.settings_text import AREAS, text_for

router = APIRouter(tags=["settings"])


class SettingOut(BaseModel):
    key: str
    value: Any
    default: Any
    description: str
    type: str
    scope: str  # app | shop
    overridden: bool  # a value is stored at this level (else inherited or the default)
    area: str  # the page's group (db/settings_text.AREAS)
    unit: str  # db/settings_text.UNITS; "money" is the shop's currency
    label: dict[str, str]  # {"en": …, "cs": …}
    help: dict[str, str]
    minimum: float | None
    maximum: float | None
    choices: list[str]


class SettingsOut(BaseModel):
    items: list[SettingOut]


def _page_order(d: SettingDef) -> tuple[int, int, str]:
    """Areas in the page's order, then the catalogue's own order within an area."""
    text = text_for(d.key)
    area = AREAS.index(text.area) if text and text.area in AREAS else len(AREAS)
    return area, list(CATALOGUE).index(d.key), d.key


async def _listing(session: SessionDep, shop_id: int | None) -> SettingsOut:
    rows = await session.execute(
        select(AppSetting.key, AppSetting.shop_id, AppSetting.value).where(
            AppSetting.shop_id.is_(None) | (AppSetting.shop_id == shop_id)
        )
    )
    app_values: dict[str, Any] = {}
    shop_values: dict[str, Any] = {}
    for key, sid, value in rows:
        (app_values if sid is None else shop_values)[key] = value
    items = []
    for d in sorted(CATALOGUE.values(), key=_page_order):
        if shop_id is not None and d.scope != "shop":
            continue
        inherited = app_values.get(d.key, d.default)
        mine = shop_values if shop_id is not None else app_values
        items.append(
            SettingOut(
                key=d.key,
                value=mine.get(d.key, inherited),
                default=d.default if shop_id is None else inherited,
                description=d.description,
                type=d.type,
                scope=d.scope,
                overridden=d.key in mine,
                **_presentation(d),
            )
        )
    return SettingsOut(items=items)


def _presentation(d: SettingDef) -> dict[str, Any]:
    """Label, help, area and unit in both languages; a setting without text falls back to its key
    (a test keeps that from shipping)."""
    text = text_for(d.key)
    return {
        "area": text.area if text else d.key.split(".")[0],
        "unit": text.unit if text else "",
        "label": {"en": text.label_en, "cs": text.label_cs} if text else {"en": d.key, "cs": d.key},
        "help": {"en": d.description, "cs": text.help_cs if text else d.description},
        "minimum": d.minimum,
        "maximum": d.maximum,
        "choices": list(d.choices),
    }


def _validated(changes: dict[str, Any], shop_id: int | None) -> dict[str, Any]:
    errors, clean = [], {}
    for key, value in changes.items():
        d = CATALOGUE.get(key)
        if d is None:
            errors.append({"key": key, "msg": f"unknown setting {key!r}"})
            continue
        if shop_id is not None and d.scope != "shop":
            errors.append(
                {"key": key, "msg": f"{key} is app-wide; an admin changes it under /api/settings"}
            )
            continue
        try:
            clean[key] = coerce(key, value)
        except ValueError as exc:
            errors.append({"key": key, "msg": str(exc)})
    if errors:
        raise Problem(422, "Invalid settings", "; ".join(e["msg"] for e in errors), errors=errors)
    return clean


async def _save(
    session: SessionDep, changes: dict[str, Any], shop_id: int | None, user_id: int
) -> SettingsOut:
    for key, value in _validated(changes, shop_id).items():
        await set_setting(session, key, value, shop_id=shop_id, user_id=user_id)
    await session.commit()
    if "sync.interval_minutes" in changes:
        await _reschedule_sync(session, shop_id)
    return await _listing(session, shop_id)


async def _reschedule_sync(session: SessionDep, shop_id: int | None) -> None:
    """The sync interval lives in the shops' Temporal schedules: bring them in line now."""
    from sqlalchemy import select

    from api.services.sync import ensure_sync_schedules
    from db.models import Shop
    from infra.temporal_client import connect

    shops = [shop_id] if shop_id is not None else list(
        (await session.execute(select(Shop.id).where(Shop.status.in_(("active", "suspended"))))).scalars()
    )
    try:
        client = await connect()
        for sid in shops:
            await ensure_sync_schedules(client, session, sid)
    except Exception as exc:
        raise Problem(
            503,
            "Setting saved, schedules not updated",
            f"The new sync interval is stored but Temporal could not be reached ({exc}); "
            "run `shopops shop schedules <shop>` once it is back.",
        ) from exc


Changes = Body(..., description="{key: value, ...}", examples=[{"backups.retention_days": 14}])


@router.get("/api/settings")
async def app_settings(_: AdminCaller, session: SessionDep) -> SettingsOut:
    return await _listing(session, None)


@router.put("/api/settings")
async def change_app_settings(
    caller: AdminCaller, session: SessionDep, changes: dict[str, Any] = Changes
) -> SettingsOut:
    return await _save(session, changes, None, caller.user.id)


@router.get("/api/shops/{shop_id}/settings")
async def shop_settings(shop: ShopOfCaller, session: SessionDep) -> SettingsOut:
    return await _listing(session, shop.id)


@router.put("/api/shops/{shop_id}/settings")
async def change_shop_settings(
    shop: ManagedShop, caller: CurrentCaller, session: SessionDep, changes: dict[str, Any] = Changes
) -> SettingsOut:
    return await _save(session, changes, shop.id, caller.user.id)
