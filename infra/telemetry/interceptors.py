"""Temporal interceptors: trace context from client to workflow to activity (the SDK's own
TracingInterceptor), and our activity telemetry (duration per attempt and captured failures).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from temporalio import activity, client, worker
from temporalio.contrib.opentelemetry import TracingInterceptor

from db.telemetry_store import STORE
from infra.telemetry.errors import capture_exception
from infra.telemetry.metrics import observe


class ActivityTelemetry(client.Interceptor, worker.Interceptor):
    """Given to `Client.connect`, so every worker built on that client measures its activities."""

    def intercept_activity(self, next: worker.ActivityInboundInterceptor) -> worker.ActivityInboundInterceptor:
        return _MeasuredActivity(next)


class _MeasuredActivity(worker.ActivityInboundInterceptor):
    async def execute_activity(self, input: worker.ExecuteActivityInput) -> Any:
        info = activity.info()
        outcome = "completed"
        started = time.perf_counter()
        try:
            return await self.next.execute_activity(input)
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        except BaseException as exc:
            outcome = "failed"
            context = {
                "activity": info.activity_type,
                "workflow_id": info.workflow_id,
                "workflow_type": info.workflow_type,
                "attempt": info.attempt,
                "queue": info.task_queue,
            }
            capture_exception(exc, "activity", context)
            raise
        finally:
            ms = (time.perf_counter() - started) * 1000
            observe("activity", info.activity_type, ms, activity=info.activity_type, queue=info.task_queue, outcome=outcome)
            STORE.record_latency("queue", info.task_queue, ms)  # the queue's average, for its wait estimate


def interceptors() -> list[Any]:
    """Outermost first: the tracing span is open while our activity telemetry runs."""
    return [TracingInterceptor(), ActivityTelemetry()]
