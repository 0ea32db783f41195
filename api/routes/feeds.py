"""Catalog feeds: the owner's settings under /api/shops/{shop_id}/feeds, and the feed files at
/feeds/{token}/{file} (no session: a marketplace fetches them; the token is the secret)."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse, Response, StreamingResponse

from api.deps import ManagedShop, SessionDep, ShopOfCaller, TemporalDep
from api.problems import Problem
from api.services import feeds
from api.services.feeds import FeedSettingsIn, FeedSettingsOut, FeedStarted

router = APIRouter(tags=["feeds"])

FeedToken = Annotated[str, Path(min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]
READ_CHUNK = 64 * 1024


@router.get("/api/shops/{shop_id}/feeds")
async def feed_settings(shop: ShopOfCaller, session: SessionDep) -> FeedSettingsOut | None:
    return await feeds.settings_of(session, shop.id)


@router.put("/api/shops/{shop_id}/feeds")
async def configure_feeds(
    shop: ManagedShop, session: SessionDep, client: TemporalDep, body: FeedSettingsIn
) -> FeedSettingsOut:
    return await feeds.configure(session, client, shop.id, body)


@router.post("/api/shops/{shop_id}/feeds/token")
async def rotate_feed_token(shop: ManagedShop, session: SessionDep) -> FeedSettingsOut:
    return await feeds.rotate_token(session, shop.id)


@router.post("/api/shops/{shop_id}/feeds/generate", status_code=202)
async def generate_feeds(shop: ManagedShop, client: TemporalDep) -> FeedStarted:
    return await feeds.generate_now(client, shop.id)


def _gunzip(path: str) -> Iterator[bytes]:
    with gzip.open(path, "rb") as src:
        while chunk := src.read(READ_CHUNK):
            yield chunk


# not part of the JSON API (a file behind a capability URL), so not in its OpenAPI schema
@router.api_route(
    "/feeds/{token}/{file_name}",
    methods=["GET", "HEAD"],
    response_model=None,
    include_in_schema=False,
)
async def feed_file(
    token: FeedToken, file_name: str, request: Request, session: SessionDep
) -> Response:
    fmt = feeds.FILE_NAMES.get(file_name)
    shop_id = await feeds.shop_of_token(session, token) if fmt else None
    if shop_id is None or fmt is None:
        raise Problem(404, "Feed not found", "No feed at this address; copy it again from shopops.")
    file = feeds.feed_file(shop_id, file_name)
    if file is None:
        raise Problem(404, "Feed not generated yet", "The first generation has not finished yet.")
    gzipped = "gzip" in request.headers.get("accept-encoding", "").lower()
    etag = file.etag if gzipped else f'{file.etag[:-1]}-identity"'
    media_type = "text/csv; charset=utf-8" if fmt == "idealo" else "application/xml; charset=utf-8"
    headers = {
        "ETag": etag,
        "Last-Modified": file.last_modified,
        "Vary": "Accept-Encoding",
        "Cache-Control": "public, max-age=300",
    }
    if feeds.not_modified(file, etag, request.headers):
        return Response(status_code=304, headers=headers)
    if gzipped:
        return FileResponse(
            file.path, media_type=media_type, headers={**headers, "Content-Encoding": "gzip"}
        )
    if request.method == "HEAD":
        return Response(media_type=media_type, headers=headers)
    return StreamingResponse(_gunzip(str(file.path)), media_type=media_type, headers=headers)
