"""Snapshot jobs: 202 + jobId, pending → running → completed (or failed), a gzip JSON-lines
result under `/api-results/<jobId>-<rand>.json` valid 24 h, and a signed `job:finished`.

Status is evaluated against the sandbox clock when read, so `expired` (24 h after completion)
and the automatic `failed` of a hanging job (3 h after creation, no webhook) follow clock jumps.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from infra.sandbox.formats import shoptet_time
from infra.sandbox.generator import write_jsonl_gz
from infra.sandbox.paging import Selection
from infra.sandbox.shops import ShopData
from infra.sandbox.tokens import random_token

if TYPE_CHECKING:
    from infra.sandbox.state import SandboxState

log = logging.getLogger(__name__)

UNPROCESSED = ("pending", "running")


@dataclass
class Job:
    job_id: str
    eshop_id: int
    endpoint: str
    resource: str
    created: float
    base_url: str
    include: frozenset[str]
    hang: bool
    fail: bool
    status: str = "pending"
    started: float | None = None
    completed: float | None = None
    result_name: str | None = None
    valid_until: float | None = None
    log: str | None = None
    polls: int = 0  # detail calls while unprocessed
    lines: int = 0
    bytes: int = 0
    malformed: int = 0
    hostile: list[int] = field(default_factory=list)  # result lines with a hostile value

    def refresh(self, now: float, fail_after: float) -> None:
        """Apply the clock: hanging jobs fail after `fail_after`, results expire after validUntil."""
        if self.status in UNPROCESSED and self.hang and now >= self.created + fail_after:
            self.status = "failed"
            self.completed = self.created + fail_after
            self.log = "Job was not processed in time and was marked as failed."
        if self.status == "completed" and self.valid_until is not None and now > self.valid_until:
            self.status = "expired"

    @property
    def result_url(self) -> str | None:
        if self.result_name is None or self.status != "completed":
            return None
        return f"{self.base_url}api-results/{self.result_name}"

    def view(self) -> dict[str, Any]:
        duration = None
        if self.completed is not None and self.started is not None:
            duration = f"{self.completed - self.started:.3f}"
        return {
            "jobId": self.job_id,
            "endpoint": self.endpoint,
            "creationTime": shoptet_time(self.created),
            "completionTime": shoptet_time(self.completed) if self.completed is not None else None,
            "duration": duration,
            "status": self.status,
            "resultUrl": self.result_url,
            "validUntil": shoptet_time(self.valid_until) if self.valid_until is not None else None,
            "log": self.log,
        }


def _records(
    data: ShopData, resource: str, selection: Selection, include: frozenset[str]
) -> Iterator[dict[str, Any]]:
    for index in selection.window(0, len(selection)):
        if resource == "orders":
            yield data.order_detail(index, include)
        else:
            yield data.detail(resource, index, include)


class JobRunner:
    def __init__(self, state: SandboxState, results_dir: Path) -> None:
        self.state = state
        self.results_dir = results_dir
        self.jobs: dict[str, Job] = {}

    def new_job_id(self) -> str:
        while True:
            job_id = random_token(7)
            if job_id not in self.jobs:
                return job_id

    def get(self, job_id: str) -> Job | None:
        job = self.jobs.get(job_id)
        if job is not None:
            job.refresh(self.state.clock.now(), self.state.limits.job_fail_after)
        return job

    def start(
        self,
        eshop_id: int,
        endpoint: str,
        resource: str,
        selection: Selection,
        include: frozenset[str],
        base_url: str,
    ) -> Job:
        faults = self.state.faults
        job = Job(
            job_id=self.new_job_id(),
            eshop_id=eshop_id,
            endpoint=endpoint,
            resource=resource,
            created=self.state.clock.now(),
            base_url=base_url,
            include=include,
            hang=faults.job_hang,
            fail=faults.job_fail,
        )
        self.jobs[job.job_id] = job
        self.state.stats["jobs_created"] += 1
        data = self.state.shops[eshop_id].data.frozen()
        self.state.spawn(self._run(job, data, selection))
        return job

    async def _run(self, job: Job, data: ShopData, selection: Selection) -> None:
        faults, clock = self.state.faults, self.state.clock
        await asyncio.sleep(faults.job_pending_ms / 1000)
        if job.status != "pending":
            return
        job.status = "running"
        job.started = clock.now()
        if job.hang:
            return
        began = time.monotonic()
        if job.fail:
            await asyncio.sleep(faults.job_running_ms / 1000)
            job.status = "failed"
            job.completed = clock.now()
            job.log = "Snapshot generation failed: internal error while exporting data (sandbox fault job_fail)."
        else:
            name = f"{job.job_id}-{random_token(7)}.json"
            try:
                written = await asyncio.to_thread(
                    write_jsonl_gz,
                    self.results_dir / name,
                    _records(data, job.resource, selection, job.include),
                    malformed_rate=faults.malformed_rate,
                    hostile_rate=faults.hostile_rate,
                    seed=zlib.crc32(job.job_id.encode()),
                )
            except Exception:
                log.exception("snapshot job %s failed", job.job_id)
                job.status, job.completed, job.log = (
                    "failed",
                    clock.now(),
                    "Snapshot generation crashed.",
                )
            else:
                await asyncio.sleep(
                    max(0.0, faults.job_running_ms / 1000 - (time.monotonic() - began))
                )
                job.lines, job.bytes, job.malformed = (
                    written.lines,
                    written.bytes,
                    written.malformed,
                )
                job.hostile = written.hostile
                job.result_name = name
                job.completed = clock.now()
                job.valid_until = job.completed + self.state.limits.result_ttl
                job.status = "completed"
        if faults.drop_job_finished:
            self.state.stats["job_finished_dropped"] += 1
            return
        await self.state.notify(job.eshop_id, "job:finished", job.job_id)

    def result_path(self, name: str) -> Path | None:
        """The file behind a result URL while it is valid; expired results are deleted."""
        job = self.get(name.split("-", 1)[0])
        if job is None or job.result_name != name:
            return None
        path = self.results_dir / name
        if job.status != "completed":
            path.unlink(missing_ok=True)
            return None
        return path

    def expire(self, job_id: str) -> Job | None:
        job = self.get(job_id)
        if job is not None and job.status == "completed":
            job.valid_until = self.state.clock.now() - 1
            job.refresh(self.state.clock.now(), self.state.limits.job_fail_after)
        return job
