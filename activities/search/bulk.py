"""A full snapshot's search documents, built once after its run (indexing queue).

A bulk snapshot writes most of a shop; refreshing the documents of every ingest batch in the
batch's transaction (three `to_tsvector` calls and two GIN indexes per record) sat on the
ingest's critical path. Instead the run's batches leave search alone and this activity, after
the run, upserts the documents of every record of the resource in keyset chunks of
`INDEX_CHUNK` records (one INSERT … SELECT each, its own transaction), then drops the documents
of records that are gone (those the pass did not write: older than its start). It heartbeats
(last key, documents written, pass start) after every chunk and every 10 s within one, and
resumes from the last heartbeat, so a killed worker costs at most one chunk. The change feeds
and webhooks keep refreshing per change (activities/sync.py), so search is current again the
moment this finishes, and nothing is ever rebuilt.
"""

from __future__ import annotations

import time
from datetime import datetime

from temporalio import activity

from activities.heartbeats import with_heartbeats
from db.config import get_settings
from db.engine import raw_connection
from db.search import sources
from db.tagged_cache import invalidate, shop_tag
from workflows.snapshots import IndexRequest


@activity.defn
async def index_snapshot(req: IndexRequest) -> int:
    """Index every record of the run's resource; returns the documents written."""
    if req.resource not in sources.KIND_OF_RESOURCE:
        return 0
    if get_settings().snapshot_search_index == "batch":
        return 0  # the run's batches refreshed them already
    after: str | None = None
    written, chunks_left, since = 0, True, None
    details = activity.info().heartbeat_details
    if details:  # a retry resumes after the last chunk it reported (None: all were done)
        after, written = (None if details[0] is None else str(details[0])), int(details[1])
        chunks_left, since = after is not None, datetime.fromisoformat(str(details[2]))
    started = time.monotonic()
    conn = await raw_connection()
    try:
        since = since or await sources.pass_started(conn)
        while chunks_left:
            latest = (after, written, since.isoformat())  # re-sent every 10 s while a chunk runs
            upto, done = await with_heartbeats(
                sources.index_chunk(conn, req.shop_id, req.resource, after), "indexing",
                lambda latest=latest: latest,
            )
            written += done
            after, chunks_left = upto, upto is not None
            await invalidate(shop_tag(req.shop_id, req.resource))  # cached searches (committed)
            activity.heartbeat(after, written, since.isoformat())
        pruned = await sources.prune(conn, req.shop_id, req.resource, since)
        await invalidate(shop_tag(req.shop_id, req.resource))
    finally:
        await conn.close()
    activity.logger.info(
        "run %s: %s %s documents indexed, %s pruned, in %.1f s",
        req.run_id, written, req.resource, pruned, time.monotonic() - started,
    )
    return written


ACTIVITIES = [index_snapshot]
