"""Nightly fan-out: one child workflow per shop, a batch at a time, never two runs of one shop.

Shared by the nightly analytics workflows. Each child's workflow id names its shop, so a shop
whose run is still going (started from the API, or left over) is reported `already_running`
instead of being started twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ChildWorkflowError, WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

from workflows import search_attributes
from workflows.common import DB_RETRY
from workflows.queues import Queue

StartChild = Callable[[int], Awaitable[workflow.ChildWorkflowHandle[Any, Any]]]


@dataclass(frozen=True)
class ShopOutcome:
    shop_id: int
    status: str  # the child's result status | failed | already_running


@dataclass(frozen=True)
class NightlyRequest:
    shop_ids: list[int] | None = None  # None: every active shop (continue-as-new passes the rest)
    parallel: int | None = None  # None: the domain's `parallel_shops` setting
    done: list[ShopOutcome] = field(default_factory=list[ShopOutcome])


@dataclass(frozen=True)
class NightlyPlan:
    shop_ids: list[int]
    parallel: int


class NightlyFanOut:
    """Base of a nightly workflow: its `outcomes` query and `fan_out`. The subclass is the
    `@workflow.defn` and its `@workflow.run` calls `fan_out` (Temporal wants the run method
    declared on the workflow class itself)."""

    def __init__(self) -> None:
        self._outcomes: list[ShopOutcome] = []

    @workflow.query
    def outcomes(self) -> list[ShopOutcome]:
        return self._outcomes

    async def fan_out(
        self, req: NightlyRequest | None, plan_activity: str, start: StartChild
    ) -> list[ShopOutcome]:
        """Plan with `plan_activity` (shop ids in, NightlyPlan out), then run the shops
        `parallel` at a time; continues as new with the shops left when the history grows long."""
        req = req or NightlyRequest()
        self._outcomes = list(req.done)
        plan: NightlyPlan = await workflow.execute_activity(
            plan_activity,
            req.shop_ids,
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=DB_RETRY,
            result_type=NightlyPlan,
        )
        parallel = max(1, req.parallel or plan.parallel)
        pending = list(plan.shop_ids)
        while pending:
            batch, pending = pending[:parallel], pending[parallel:]
            await run_batch(batch, start, self._outcomes)
            if pending and workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(NightlyRequest(pending, parallel, self._outcomes))
        return self._outcomes


async def start_shop_child(
    run: Any, request: Any, *, workflow_id: str, run_kind: str, shop_id: int
) -> workflow.ChildWorkflowHandle[Any, Any]:
    """A shop's run as a child of the nightly workflow: on the analytics queue, searchable by
    kind and shop, and left running (ABANDON) if the nightly workflow ends first."""
    return await workflow.start_child_workflow(
        run,
        request,
        id=workflow_id,
        task_queue=Queue.ANALYTICS.value,
        parent_close_policy=ParentClosePolicy.ABANDON,
        search_attributes=search_attributes.for_run(run_kind, shop_id),
    )


async def run_batch(shop_ids: list[int], start: StartChild, outcomes: list[ShopOutcome]) -> None:
    """Start a child per shop with `start(shop_id)`, then wait for all of them, appending each
    shop's outcome to `outcomes` as it is known.

    A child's result must have a `status` attribute; a failed child is `failed`.
    """
    started: list[tuple[int, workflow.ChildWorkflowHandle[Any, Any]]] = []
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
