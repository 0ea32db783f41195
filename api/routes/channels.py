"""Sales channels of a shop: connections (owner only to add or remove), sync now, the sync's
state with live progress, and orders that came in with nothing left to reserve."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from api.common.params import BigIntId, Timestamp
from api.deps import ManagedShop, OwnedShop, SessionDep, ShopOfCaller, TemporalDep
from api.services import channels
from api.services.channels import (
    ChannelCount,
    ChannelSales,
    ChannelStatusOut,
    ConnectionIn,
    ConnectionOut,
    ConnectionSettingsIn,
    OversoldOut,
)
from api.services.shop_runs import StartedOut
from db.models import ChannelConnection

router = APIRouter(prefix="/api/shops/{shop_id}/channels", tags=["channels"])


async def _connection(
    shop: ShopOfCaller, session: SessionDep, connection_id: Annotated[BigIntId, Path()]
) -> ChannelConnection:
    return await channels.connection_of(session, shop.id, connection_id)


# the shop's connection, resolved before Temporal is reached, so another shop's id is a 404
ShopConnection = Annotated[ChannelConnection, Depends(_connection)]


@router.get("")
async def list_connections(shop: ShopOfCaller, session: SessionDep) -> list[ConnectionOut]:
    return await channels.list_connections(session, shop.id)


@router.post("", status_code=201)
async def add_connection(
    shop: OwnedShop, session: SessionDep, body: ConnectionIn, temporal: TemporalDep
) -> ConnectionOut:
    return await channels.add_connection(session, temporal, shop.id, body)


@router.patch("/{connection_id}")
async def update_connection(
    shop: OwnedShop, session: SessionDep, row: ShopConnection, body: ConnectionSettingsIn,
    temporal: TemporalDep,
) -> ConnectionOut:  # fmt: skip
    return await channels.update_connection(session, temporal, row, body)


@router.delete("/{connection_id}", status_code=204)
async def remove_connection(
    shop: OwnedShop, session: SessionDep, connection_id: BigIntId, temporal: TemporalDep
) -> Response:
    await channels.remove_connection(session, temporal, shop.id, connection_id)
    return Response(status_code=204)


@router.post("/{connection_id}/sync", status_code=202)
async def sync_now(shop: ManagedShop, row: ShopConnection, temporal: TemporalDep) -> StartedOut:
    return await channels.start_sync(temporal, row)


@router.get("/{connection_id}/status")
async def sync_status(row: ShopConnection, temporal: TemporalDep) -> ChannelStatusOut:
    return await channels.status(temporal, row)


@router.get("/orders")
async def orders_per_channel(shop: ShopOfCaller, session: SessionDep) -> list[ChannelCount]:
    return await channels.channel_counts(session, shop.id)


@router.get("/sales")
async def sales_per_channel(
    shop: ShopOfCaller,
    session: SessionDep,
    created_from: Annotated[
        Timestamp | None, Query(description="ISO 8601, UTC if no offset.")
    ] = None,
    created_to: Annotated[Timestamp | None, Query(description="Exclusive.")] = None,
) -> list[ChannelSales]:
    """Orders (not cancelled) and revenue with VAT per channel and currency in the period."""
    return await channels.channel_sales(session, shop.id, created_from, created_to)


@router.get("/oversold")
async def oversold(shop: ShopOfCaller, session: SessionDep) -> list[OversoldOut]:
    return await channels.oversold(session, shop.id)
