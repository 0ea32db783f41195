"""The catalogue of runtime settings (key, default, type, description) and how to read them.

Domains declare their settings here so the settings page can list every knob with its
default. Reads go through `get_setting`, served by the settings cache (db/settings_cache.py)
from memory and Redis; writes go through `set_setting`, which invalidates every process's
cache once the caller's transaction commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AppSetting
from db.settings_cache import mark_changed, settings_cache


@dataclass(frozen=True)
class SettingDef:
    key: str
    default: Any
    type: str  # int | float | bool | str | json
    description: str
    scope: str = "app"  # app | shop (a shop value overrides the app value)
    minimum: float | None = None  # numbers below it are refused
    maximum: float | None = None  # numbers above it are refused
    choices: tuple[str, ...] = ()  # a str setting takes one of these
    pattern: str | None = None  # a str setting matches this (re.fullmatch), with `pattern_hint` saying how
    pattern_hint: str = ""


CATALOGUE: dict[str, SettingDef] = {}


def declare(*defs: SettingDef) -> None:
    for d in defs:
        CATALOGUE[d.key] = d


declare(
    SettingDef("snapshots.retry_limit", 3, "int", "How often the sweep retries a failed snapshot run.", "shop", minimum=0, maximum=20),
    SettingDef("snapshots.chunk_lines", 20000, "int", "Lines ingested per chunk (one heartbeat each).", minimum=100),
    SettingDef("sync.interval_minutes", 5, "int", "Minutes between incremental syncs of a shop.", "shop", minimum=1, maximum=1440),
    SettingDef("partitions.future_quarters", 4, "int", "Quarter partitions kept premade ahead of today.", minimum=1, maximum=16),
    SettingDef("archive.retention_days", 730, "int", "Orders older than this move to the archive tables.", minimum=90),
)

declare(
    SettingDef("backups.retention_days", 30, "int", "Days a database backup is kept (the newest good one always stays).", minimum=1),
    SettingDef("pitr.base_backup_interval_days", 7, "int", "Days between PITR base backups (WAL since the last one is replayed on restore).", minimum=1),
    SettingDef("pitr.keep_base_backups", 2, "int", "PITR base backups kept; archived WAL older than the oldest kept one is removed.", minimum=1),
    SettingDef("backups.verify_interval_days", 7, "int", "Days between restore verifications of the newest backup.", minimum=1),
    SettingDef("retention.notifications_days", 90, "int", "Notifications older than this are deleted.", minimum=1),
    SettingDef("retention.webhook_events_days", 30, "int", "Stored raw webhooks older than this are deleted.", minimum=1),
    SettingDef("retention.snapshot_files_days", 14, "int", "Downloaded snapshot files older than this are deleted from disk.", minimum=1),
    SettingDef("retention.snapshot_rejects_days", 90, "int", "Quarantined snapshot lines older than this are deleted.", minimum=1),
    SettingDef("retention.sync_rejects_days", 90, "int", "Shoptet documents the sync could not map, kept this long.", minimum=1),
    SettingDef("cleanup.batch_size", 5000, "int", "Rows deleted per statement by the cleanup, so locks stay short.", minimum=100),
    SettingDef("integrity.shoptet_grace_minutes", 60, "int", "Orders younger than this are left out of the Shoptet count check (sync lag).", minimum=0),
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
            cast = casts[kind](value)
        except (TypeError, ValueError):
            raise ValueError(f"{key} must be a {kind}, got {value!r}") from None
        if kind == "int" and isinstance(value, float) and value != cast:
            raise ValueError(f"{key} must be a whole number, got {value!r}")
        d = definition(key)
        if d.minimum is not None and not isinstance(cast, str) and cast < d.minimum:
            raise ValueError(f"{key} must be at least {d.minimum:g}, got {value!r}")
        if d.maximum is not None and not isinstance(cast, str) and cast > d.maximum:
            raise ValueError(f"{key} must be at most {d.maximum:g}, got {value!r}")
        if d.choices and cast not in d.choices:
            raise ValueError(f"{key} must be one of {', '.join(d.choices)}, got {value!r}")
        if d.pattern is not None and isinstance(cast, str) and not re.fullmatch(d.pattern, cast):
            raise ValueError(f"{key} must be {d.pattern_hint or d.pattern}, got {value!r}")
        return cast
    return value


async def get_setting(session: AsyncSession, key: str, shop_id: int | None = None) -> Any:
    """The shop's value, else the app value, else the declared default (cached)."""
    definition(key)
    return await settings_cache().get(key, shop_id, lambda: read_setting(session, key, shop_id))


async def read_setting(session: AsyncSession, key: str, shop_id: int | None = None) -> Any:
    """The same answer as get_setting, straight from the database (the cache's loader)."""
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
    """Validate and store; every process's cache drops the old value when the caller commits."""
    value = coerce(key, value)
    stmt = insert(AppSetting).values(key=key, shop_id=shop_id, value=value, updated_by=user_id)
    stmt = stmt.on_conflict_do_update(
        index_elements=["key", "shop_id"], set_={"value": value, "updated_by": user_id}
    )
    await session.execute(stmt)
    mark_changed(session.sync_session)
    return value

declare(
    SettingDef("analytics.customers.holdout_weeks", 26, "int", "Weeks of recent orders the customer models are tested on before they are trusted.", "shop", minimum=4),
    SettingDef("analytics.customers.chunk_customers", 25000, "int", "Customers summarised per chunk (one activity, one progress step) of the customer analytics.", minimum=100),
    SettingDef("analytics.customers.parallel_shops", 2, "int", "Shops whose customer analytics run at the same time in the nightly run.", minimum=1),
    SettingDef("analytics.customers.rules_min_count", 3, "int", "Orders two products must share before one is recommended with the other.", "shop", minimum=2),
    SettingDef("analytics.customers.rules_days", 730, "int", "Days of orders the product recommendations are mined from.", "shop", minimum=30),
    SettingDef("analytics.customers.shipping_cost_share", 1.0, "float", "Share of the shipping a customer paid that the carrier costs the shop (1: shipping passes through at cost).", "shop", minimum=0, maximum=10),
    SettingDef("analytics.customers.shipping_cost_per_order", 0.0, "float", "Further shipping and packing cost of every order, in the shop's currency without VAT.", "shop", minimum=0),
    SettingDef("analytics.customers.payment_cost_percent", 0.0, "float", "Payment fees as a percentage of the order total with VAT (card and gateway fees).", "shop", minimum=0, maximum=100),
    SettingDef("analytics.customers.payment_cost_per_order", 0.0, "float", "Fixed payment fee of every order, in the shop's currency.", "shop", minimum=0),
)

declare(
    SettingDef("monitoring.thresholds", {}, "json", 'Monitoring check thresholds that differ from the defaults, by check: {"queue_wait": {"warn": 30, "critical": 60}}.'),
    SettingDef("monitoring.retention_days", 14, "int", "Days statement snapshots, latency minutes and error minutes are kept for the monitoring page.", minimum=1),
)

declare(
    SettingDef("analytics.inventory.history_days", 730, "int", "Days of sales history the inventory forecasts learn from.", "shop", minimum=56),
    SettingDef("analytics.inventory.horizon_days", 28, "int", "Days ahead each variant's demand is forecast; order-by dates reach as far.", "shop", minimum=7),
    SettingDef("analytics.inventory.chunk_variants", 2000, "int", "Variants forecast per chunk (one activity, one progress step) of the inventory planning.", minimum=50),
    SettingDef("analytics.inventory.parallel_shops", 1, "int", "Shops whose inventory planning runs at the same time in the nightly run.", minimum=1),
    SettingDef("analytics.inventory.service_level", 0.95, "float", "Chance of not running out during a replenishment cycle that safety stock aims for (below 1).", "shop", minimum=0.5, maximum=0.999),
    SettingDef("analytics.inventory.holding_cost_rate", 0.25, "float", "Yearly cost of holding stock as a share of its purchase price.", "shop", minimum=0.01, maximum=5),
    SettingDef("analytics.inventory.order_cost", 100.0, "float", "Your own cost of placing one purchase order (shop currency), added to the supplier's order cost.", "shop", minimum=0),
    SettingDef("analytics.inventory.order_window_days", 14, "int", "Variants whose order-by date falls within this many days are recommended for purchase.", "shop", minimum=1),
    SettingDef("analytics.inventory.budget", 0.0, "float", "Most one night's purchase recommendations may spend (0 = no limit).", "shop", minimum=0),
    SettingDef("analytics.inventory.lead_time_days", 7.0, "float", "Lead time in days assumed for variants without a supplier offer.", "shop", minimum=0),
    SettingDef("analytics.inventory.lead_time_sd_days", 2.0, "float", "Spread (SD, days) of that assumed lead time.", "shop", minimum=0),
    SettingDef("analytics.inventory.anomaly_days", 7, "int", "Recent days checked for sales and stock anomalies each night.", "shop", minimum=1),
    SettingDef("analytics.inventory.notify_severity", "medium", "str", "Least severity (low, medium, high) of an inventory anomaly that raises a notification.", "shop", choices=("low", "medium", "high")),
    SettingDef("analytics.inventory.max_notifications", 20, "int", "Anomaly notifications one run raises at most; the rest are summed up in one more.", "shop", minimum=1),
    SettingDef("analytics.inventory.holidays", "CZ", "str", "Country whose public holidays shape the forecasts (ISO code; empty for none).", "shop", pattern="(?:[A-Z]{2})?", pattern_hint="a two-letter country code such as CZ, or empty"),
    SettingDef("analytics.inventory.weather_source", "http", "str", "Where the shop's daily weather comes from: http (the Open-Meteo-compatible archive, imported nightly), csv (uploaded files only) or off (no weather regressor).", "shop", choices=("http", "csv", "off")),
    SettingDef("analytics.inventory.weather_region", "Praha", "str", "Name of the region whose weather the shop's forecasts may use (shops naming the same region share its series).", "shop", pattern=r"[^\s].{0,99}", pattern_hint="a region name of 1 to 100 characters"),
    SettingDef("analytics.inventory.weather_latitude", 50.08, "float", "Latitude of the weather region (degrees north).", "shop", minimum=-90, maximum=90),
    SettingDef("analytics.inventory.weather_longitude", 14.42, "float", "Longitude of the weather region (degrees east).", "shop", minimum=-180, maximum=180),
    SettingDef("analytics.inventory.weather_url", "", "str", "Base URL of the Open-Meteo-compatible weather archive (empty: WEATHER_API_URL)."),
)
