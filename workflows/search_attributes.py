"""Custom search attributes, so ops can filter workflows by shop, resource and status in the console."""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    SearchAttributeUpdate,
    TypedSearchAttributes,
)

SHOP_ID = SearchAttributeKey.for_int("ShopId")
RESOURCE = SearchAttributeKey.for_keyword("ShopResource")
RUN_KIND = SearchAttributeKey.for_keyword("RunKind")
RUN_STATUS = SearchAttributeKey.for_keyword("RunStatus")
CHANNEL = SearchAttributeKey.for_keyword("Channel")  # sales channel of a channel sync

ALL = (SHOP_ID, RESOURCE, RUN_KIND, RUN_STATUS, CHANNEL)


def for_run(
    kind: str, shop_id: int | None = None, resource: str | None = None, channel: str | None = None
) -> TypedSearchAttributes:
    """Attributes a workflow is started with."""
    pairs: list[SearchAttributePair[Any]] = [SearchAttributePair(RUN_KIND, kind)]
    if shop_id is not None:
        pairs.append(SearchAttributePair(SHOP_ID, shop_id))
    if resource is not None:
        pairs.append(SearchAttributePair(RESOURCE, resource))
    if channel is not None:
        pairs.append(SearchAttributePair(CHANNEL, channel))
    return TypedSearchAttributes(pairs)


def set_status(status: str) -> None:
    """Inside a workflow: show the run's status in the console's RunStatus column."""
    update: SearchAttributeUpdate[str] = RUN_STATUS.value_set(status)
    # The SDK annotates the parameter as Sequence[SearchAttributeUpdate] without its type argument.
    workflow.upsert_search_attributes([update])  # pyright: ignore[reportUnknownMemberType]


def dev_server_flags() -> list[str]:
    """`--search-attribute Name=Type` flags for `temporal server start-dev`."""
    kinds = {"INT": "Int", "KEYWORD": "Keyword"}
    return [f"--search-attribute={key.name}={kinds[key.indexed_value_type.name]}" for key in ALL]
