"""Warm a shop's hot cached answers once an ingest has finished.

The ingest's batches moved the shop's cache tags, so the first page view after a snapshot would
pay for every recount; computing them here, at the end of the run, moves that cost off the
user. Warming is best effort: a failure is logged and never fails the snapshot.
"""

from __future__ import annotations

import logging

from db import summaries

log = logging.getLogger(__name__)


async def warm_after_ingest(shop_id: int) -> list[str]:
    """The names of the answers warmed (none when warming failed)."""
    try:
        return await summaries.warm(shop_id)
    except Exception:  # the snapshot is done whatever the cache does
        log.exception("cache warming for shop %s failed", shop_id)
        return []
