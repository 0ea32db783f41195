"""The usage counters' flush as an activity (the meter itself is `db.metering`)."""

from __future__ import annotations

from temporalio import activity

from db.metering import flush_usage


@activity.defn(name="flush_usage_counters")
async def flush_usage_counters() -> int:
    return await flush_usage()


ACTIVITIES = [flush_usage_counters]
