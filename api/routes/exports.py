"""A shop's exports: start one (CSV or XLSX, orders-list filters for orders and items), follow
its progress, download the file while it lasts (members of the shop only)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field, model_validator

from api.common.params import Int32, Timestamp
from api.deps import CurrentCaller, SessionDep, ShopOfCaller, TemporalDep
from api.problems import Problem
from api.services import exports
from api.services.exports import ExportOut, Format, Kind

router = APIRouter(prefix="/api/shops/{shop_id}/exports", tags=["exports"])

MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ExportFilters(BaseModel):
    created_from: Timestamp | None = None
    created_to: Timestamp | None = None
    status_id: Int32 | None = None
    q: str | None = Field(default=None, min_length=3, max_length=100)

    @model_validator(mode="after")
    def _range(self) -> ExportFilters:
        for name in ("created_from", "created_to"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                setattr(self, name, value.replace(tzinfo=UTC))
        if self.created_from and self.created_to and self.created_from >= self.created_to:
            raise ValueError("created_from must be before created_to")
        return self


class ExportIn(BaseModel):
    kind: Kind
    format: Format = "csv"
    filters: ExportFilters = Field(default_factory=ExportFilters)


@router.post("", status_code=202)
async def start_export(
    shop: ShopOfCaller, caller: CurrentCaller, session: SessionDep, client: TemporalDep, body: ExportIn
) -> ExportOut:
    """Start writing the file in the background; poll the export for its progress."""
    filters = body.filters.model_dump(mode="json", exclude_none=True)
    return await exports.start(session, client, shop.id, caller.user.id, body.kind, body.format, filters)


@router.get("")
async def list_exports(
    shop: ShopOfCaller, session: SessionDep, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[ExportOut]:
    return await exports.listing(session, shop.id, limit)


@router.get("/{export_id}")
async def get_export(shop: ShopOfCaller, session: SessionDep, client: TemporalDep, export_id: uuid.UUID) -> ExportOut:
    return await exports.one(session, client, shop.id, export_id)


@router.get("/{export_id}/download", response_class=FileResponse)
async def download_export(shop: ShopOfCaller, session: SessionDep, export_id: uuid.UUID) -> FileResponse:
    """The file, to members of the export's shop, until it expires (410 after)."""
    path, name = await exports.file_for_download(session, shop.id, export_id, datetime.now(UTC))
    fmt = path.suffix.lstrip(".")
    if fmt not in MEDIA:
        raise Problem(410, "Export expired", "This export's file is gone; start a new export.")
    return FileResponse(path, media_type=MEDIA[fmt], filename=name)
