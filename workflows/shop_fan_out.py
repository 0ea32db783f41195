"""Nightly fan-out: one child workflow per shop, a batch at a time, never two runs of one shop.

Shared by the nightly analytics workflows. Each child's workflow id names its shop, so a shop
whose run is still going (started from the API, or left over) is reported `already_running`
instead of being started twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ChildWorkflowError, WorkflowAlreadyStartedError


@dataclass(frozen=True)
class ShopOutcome:
    shop_id: int
    status: str  # the child's result status | failed | already_running


async def run_batch(
    shop_ids: list[int],
    start: Callable[[int], Awaitable[workflow.ChildWorkflowHandle[Any, Any]]],
) -> list[ShopOutcome]:
    """Start a child per shop with `start(shop_id)`, then wait for all of them.

    A child's result must have a `status` attribute; a failed child is `failed`.
    """
    outcomes: list[ShopOutcome] = []
    started = []
    for shop_id in shop_ids:
        try:
            started.append((shop_id, await start(shop_id)))
        except WorkflowAlreadyStartedError:
            outcomes.append(ShopOutcome(shop_id, "already_running"))
    for shop_id, handle in started:
        try:
            result = await handle
            outcomes.append(ShopOutcome(shop_id, str(result.status)))
        except ChildWorkflowError:
            outcomes.append(ShopOutcome(shop_id, "failed"))
    return outcomes
