"""Shoptet's install callback: `GET /api/shoptet/install?code=…` (no user session; Shoptet calls it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.common.params import Text
from api.deps import SessionDep, TemporalDep
from api.services import installation

router = APIRouter(prefix="/api/shoptet", tags=["install"])


class InstalledOut(BaseModel):
    shop_id: int
    eshop_id: int
    first_install: bool
    seconds: float
    snapshots: list[str]


@router.get("/install")
async def shoptet_install(
    client: TemporalDep,
    session: SessionDep,
    code: Annotated[Text, Query(min_length=1, max_length=2000, description="Shoptet's one-time install code")],
) -> InstalledOut:
    """200 only once the shop is installed; any failure is a problem response Shoptet sees as failed."""
    done = await installation.install(client, session, code)
    return InstalledOut(
        shop_id=done.shop_id,
        eshop_id=done.eshop_id,
        first_install=done.first_install,
        seconds=done.seconds,
        snapshots=done.snapshots,
    )
