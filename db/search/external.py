"""The configured search backend when it is not PostgreSQL: an OpenSearch index over HTTP.

`SEARCH_BACKEND=opensearch` makes the ingest and the sync feed documents (built by the same
SELECTs as `search_documents`, db/search/sources.py) to OpenSearch through the `SearchBackend`
interface, and the API ask it. One HTTP client per process; the index is created (with the
folding analyzer) on first use.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

import httpx

from db.config import get_settings
from db.search.opensearch import OpenSearchSearch

_ready: set[tuple[str, str]] = set()


def enabled() -> bool:
    return get_settings().search_backend == "opensearch"


@asynccontextmanager
async def opensearch() -> AsyncGenerator[OpenSearchSearch]:
    """The configured OpenSearch index, created on first use in this process."""
    settings = get_settings()
    if not settings.opensearch_url:
        raise RuntimeError("SEARCH_BACKEND=opensearch needs OPENSEARCH_URL")
    async with httpx.AsyncClient(base_url=settings.opensearch_url, timeout=30) as client:
        backend = OpenSearchSearch(client, index=settings.opensearch_index)
        where = (settings.opensearch_url, settings.opensearch_index)
        if where not in _ready:
            await backend.ensure_index()
            _ready.add(where)
        yield backend
