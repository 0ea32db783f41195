"""Webhook endpoints a merchant registers for our events (managers change them, members read
the delivery log), with a replay of any delivery and a test ping."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field

from activities.outbound_webhooks.events import EVENTS
from api.deps import ManagedShop, SessionDep, ShopOfCaller, TemporalDep
from api.services import outbound_webhooks as service
from api.services.outbound_webhooks import AttemptOut, DeliveryOut, EndpointCreated, EndpointOut

router = APIRouter(prefix="/api/shops/{shop_id}/webhook-endpoints", tags=["outbound webhooks"])

EndpointId = Annotated[int, Path(ge=1, le=2**62)]
DeliveryId = Annotated[int, Path(ge=1, le=2**62)]
Url = Annotated[str, Field(min_length=8, max_length=2000)]
Events = Annotated[list[Annotated[str, Field(max_length=60)]], Field(min_length=1, max_length=20)]


class EndpointIn(BaseModel):
    url: Url
    events: Events
    description: str | None = Field(default=None, max_length=200)


class EndpointPatch(BaseModel):
    url: Url | None = None
    events: Events | None = None
    description: str | None = Field(default=None, max_length=200)
    enabled: bool | None = None


class EventOut(BaseModel):
    event: str
    description: str


@router.get("/events")
async def event_types(shop: ShopOfCaller) -> list[EventOut]:
    """The events an endpoint can subscribe to."""
    return [EventOut(event=k, description=v) for k, v in EVENTS.items() if k != "ping"]


@router.get("")
async def list_endpoints(shop: ShopOfCaller, session: SessionDep) -> list[EndpointOut]:
    return await service.endpoints(session, shop.id)


@router.post("", status_code=201)
async def create_endpoint(shop: ManagedShop, session: SessionDep, body: EndpointIn) -> EndpointCreated:
    """Register an endpoint; the answer carries its signing secret, shown this once."""
    return await service.create(session, shop.id, body.url, body.events, body.description)


@router.patch("/{endpoint_id}")
async def update_endpoint(
    shop: ManagedShop, session: SessionDep, endpoint_id: EndpointId, body: EndpointPatch
) -> EndpointOut:
    """Change it; `enabled: true` switches a disabled endpoint on again."""
    return await service.update(
        session, shop.id, endpoint_id, url=body.url, events=body.events,
        description=body.description, enabled=body.enabled,
    )


@router.delete("/{endpoint_id}", status_code=204)
async def delete_endpoint(shop: ManagedShop, session: SessionDep, endpoint_id: EndpointId) -> Response:
    await service.delete(session, shop.id, endpoint_id)
    return Response(status_code=204)


@router.post("/{endpoint_id}/ping", status_code=202)
async def ping_endpoint(
    shop: ManagedShop, session: SessionDep, client: TemporalDep, endpoint_id: EndpointId
) -> DeliveryOut:
    return await service.send_ping(session, client, shop.id, endpoint_id)


@router.get("/{endpoint_id}/deliveries")
async def list_deliveries(
    shop: ShopOfCaller, session: SessionDep, endpoint_id: EndpointId,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryOut]:
    """The delivery log, newest first."""
    return await service.deliveries(session, shop.id, endpoint_id, limit)


@router.get("/{endpoint_id}/deliveries/{delivery_id}/attempts")
async def list_attempts(
    shop: ShopOfCaller, session: SessionDep, endpoint_id: EndpointId, delivery_id: DeliveryId
) -> list[AttemptOut]:
    """Every attempt of one delivery with the endpoint's response code."""
    return await service.attempts(session, shop.id, endpoint_id, delivery_id)


@router.post("/{endpoint_id}/deliveries/{delivery_id}/replay", status_code=202)
async def replay_delivery(
    shop: ManagedShop, session: SessionDep, client: TemporalDep, endpoint_id: EndpointId,
    delivery_id: DeliveryId,
) -> DeliveryOut:
    """Send the delivery's event again, as a new delivery."""
    return await service.replay(session, client, shop.id, endpoint_id, delivery_id)
