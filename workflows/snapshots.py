"""SnapshotWorkflow: request a Shoptet snapshot job, wait for it, download, ingest in chunks.

Nothing is lost: the job id, the downloaded file and every committed chunk are durable, a
crashed chunk resumes from its last heartbeat, a failed or expired job is replaced by a fresh
one, and every write is an idempotent upsert, so a retry never duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, cast

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, FailureError
from temporalio.workflow import ParentClosePolicy

from workflows import activity_names as act
from workflows import search_attributes
from workflows.common import DB_RETRY, SHOPTET_RETRY
from workflows.queues import Queue

RESOURCES = ("orders", "products", "customers")
TERMINAL_JOB_STATES = ("completed", "failed", "killed", "expired")
# Seconds between job-detail polls while no `job:finished` arrives: 9 polls stay under
# Shoptet's limit of 10 for an unprocessed job and span about 1.8 h of its 3 h auto-fail;
# the 10th is kept for the deadline, so a job whose `job:finished` was lost is still found.
POLL_DELAYS = (5, 15, 30, 60, 120, 300, 600, 1800, 3600)
LAST_POLL_PATCH = "snapshot-last-poll-at-deadline"  # histories before it never made the 10th poll
# a full snapshot indexes its search documents once after the run (histories before: per batch)
INDEX_AFTER_RUN_PATCH = "snapshot-search-index-after-run"
INDEX_STEP = timedelta(hours=2)  # the whole shop's documents, chunk by chunk, heartbeating
INDEX_HEARTBEAT = timedelta(minutes=2)
JOB_DEADLINE = timedelta(hours=3, minutes=10)
MAX_FRESH_JOBS = 3
CHUNKS_PER_RUN = 200  # continue-as-new after this many chunks, or sooner if Temporal suggests
# a batch commits and heartbeats every second or so; a dead worker is noticed within this
INGEST_HEARTBEAT = timedelta(seconds=15)
DB_STEP = timedelta(minutes=2)  # one short transaction on our database, with room for lock waits
SHOPTET_CALL = timedelta(minutes=2)  # one Shoptet request, including the per-shop pace wait

INGEST_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=12,
    non_retryable_error_types=["SnapshotFileMissing"],
)

# the after-run indexing resumes from its heartbeat; the rows are committed whatever it does
INDEX_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2), backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=2), maximum_attempts=20,
)


@dataclass(frozen=True)
class ResultFile:
    path: str  # plain JSON-lines working file
    raw_path: str  # bytes as downloaded
    sha256: str
    bytes: int
    lines: int
    gzip: bool
    chunk_lines: int
    offsets: list[int] = field(default_factory=list[int])


@dataclass
class SnapshotState:
    """What a run has achieved; carried across continue-as-new."""

    job_id: str | None = None
    file: ResultFile | None = None
    next_chunk: int = 0
    processed_lines: int = 0
    rows_upserted: int = 0
    rejected_lines: int = 0
    fresh_jobs: int = 0


@dataclass(frozen=True)
class SnapshotRequest:
    run_id: int
    shop_id: int
    resource: str
    changed_since: datetime | None = None
    reuse_file_of: int | None = None  # a retry re-uses a failed run's verified download
    poll_delays: tuple[int, ...] = POLL_DELAYS
    chunks_per_run: int = CHUNKS_PER_RUN
    state: SnapshotState | None = None
    job_deadline_s: int = int(JOB_DEADLINE.total_seconds())  # tests shorten the 3 h wait

    @classmethod
    def for_run(
        cls, run_id: int, shop_id: int, resource: str, params: dict[str, object],
        reuse_file_of: int | None = None,
    ) -> SnapshotRequest:
        """The request for a snapshot_runs row (its params hold the optional filters)."""
        since = params.get("changed_since")
        delays = params.get("poll_delays")
        chunks = params.get("chunks_per_run")
        deadline = params.get("job_deadline_s")
        return cls(
            run_id=run_id,
            shop_id=shop_id,
            resource=resource,
            changed_since=datetime.fromisoformat(str(since)) if since else None,
            reuse_file_of=reuse_file_of,
            poll_delays=_int_tuple(cast("list[int]", delays)) if isinstance(delays, list) else POLL_DELAYS,
            chunks_per_run=int(chunks) if isinstance(chunks, int) else CHUNKS_PER_RUN,
            job_deadline_s=int(deadline) if isinstance(deadline, int) else int(JOB_DEADLINE.total_seconds()),
        )


@dataclass(frozen=True)
class JobRequest:
    run_id: int
    shop_id: int
    resource: str
    changed_since: datetime | None


@dataclass(frozen=True)
class JobQuery:
    run_id: int
    shop_id: int
    job_id: str


@dataclass(frozen=True)
class JobState:
    job_id: str
    status: str  # pending | running | completed | failed | killed | expired | poll-limit
    result_url: str | None = None
    log: str | None = None


@dataclass(frozen=True)
class DownloadRequest:
    run_id: int
    shop_id: int
    job_id: str
    result_url: str


@dataclass(frozen=True)
class ChunkRequest:
    run_id: int
    shop_id: int
    resource: str
    path: str
    chunk: int
    start_line: int  # 1-based
    start_offset: int
    end_line: int  # exclusive
    total_lines: int
    # False: the search documents are left to INDEX_SNAPSHOT after the run (a full snapshot)
    index_search: bool = True


@dataclass(frozen=True)
class IndexRequest:
    run_id: int
    shop_id: int
    resource: str


@dataclass(frozen=True)
class ChunkResult:
    end_line: int
    lines: int
    upserted: int
    rejected: int
    seconds: float


@dataclass(frozen=True)
class RunOutcome:
    run_id: int
    status: str
    error: str | None = None


@dataclass
class Progress:
    phase: str = "requested"  # requested | waiting | downloading | ingesting | indexing | done
    status: str = "running"
    job_id: str | None = None
    total_lines: int | None = None
    processed_lines: int = 0
    rows_upserted: int = 0
    rejected_lines: int = 0
    rate_lines_per_s: float | None = None
    eta_seconds: float | None = None
    error: str | None = None

    @property
    def percent(self) -> float | None:
        if not self.total_lines:
            return 100.0 if self.phase == "done" else None
        return round(100.0 * self.processed_lines / self.total_lines, 1)


@workflow.defn
class SnapshotWorkflow:
    def __init__(self) -> None:
        self._progress = Progress()
        self._finished_jobs: set[str] = set()
        self._first_chunk = 0
        self._index_after = False

    @workflow.query
    def progress(self) -> Progress:
        return self._progress

    @workflow.signal
    def job_finished(self, job_id: str) -> None:
        """Sent by the webhook receiver on Shoptet's `job:finished` (also sent for failures)."""
        self._finished_jobs.add(job_id)

    @workflow.run
    async def run(self, req: SnapshotRequest) -> RunOutcome:
        state = replace(req.state) if req.state else SnapshotState()
        self._first_chunk = state.next_chunk
        self._restore(state)
        search_attributes.set_status("running")
        # a full snapshot writes most of a shop: its search documents are built once, set-based,
        # after the run on the indexing queue; an incremental one refreshes them per batch
        self._index_after = req.changed_since is None and workflow.patched(INDEX_AFTER_RUN_PATCH)
        try:
            if state.file is None:
                await self._activity(
                    act.MARK_RUN_STARTED, req.run_id, retry=DB_RETRY, timeout=DB_STEP
                )
                state.file = await self._obtain_file(req, state)
            while state.next_chunk < len(state.file.offsets):
                await self._ingest_chunk(req, state)
                if state.next_chunk < len(state.file.offsets) and self._should_continue_as_new(req, state):
                    workflow.continue_as_new(replace(req, state=state))
            outcome: RunOutcome = await self._activity(
                act.FINISH_RUN, req.run_id, retry=DB_RETRY, timeout=DB_STEP, result_type=RunOutcome
            )
            if self._index_after:
                self._progress.phase = "indexing"
                await workflow.execute_activity(
                    act.INDEX_SNAPSHOT, IndexRequest(req.run_id, req.shop_id, req.resource),
                    task_queue=Queue.INDEXING.value, start_to_close_timeout=INDEX_STEP,
                    heartbeat_timeout=INDEX_HEARTBEAT, retry_policy=INDEX_RETRY,
                )
        except (ActivityError, ApplicationError) as err:
            message = _describe(err) if isinstance(err, ActivityError) else one_line(str(err))
            self._progress.status, self._progress.error = "failed", message
            search_attributes.set_status("failed")
            await self._activity(
                act.FAIL_RUN, req.run_id, message, retry=DB_RETRY, timeout=DB_STEP
            )
            raise ApplicationError(f"snapshot run {req.run_id} failed: {message}") from err
        self._progress.phase, self._progress.status = "done", outcome.status
        search_attributes.set_status(outcome.status)
        return outcome

    def _restore(self, state: SnapshotState) -> None:
        p = self._progress
        p.job_id, p.processed_lines = state.job_id, state.processed_lines
        p.rows_upserted, p.rejected_lines = state.rows_upserted, state.rejected_lines
        if state.file is not None:
            p.phase, p.total_lines = "ingesting", state.file.lines

    async def _obtain_file(self, req: SnapshotRequest, state: SnapshotState) -> ResultFile:
        if req.reuse_file_of is not None:
            reused: ResultFile | None = await self._activity(
                act.REUSE_RESULT_FILE, req.run_id, req.reuse_file_of, retry=DB_RETRY,
                timeout=timedelta(hours=1), heartbeat=timedelta(minutes=2), result_type=ResultFile,
            )
            if reused is not None:
                self._on_file(reused)
                return reused
        while state.fresh_jobs < MAX_FRESH_JOBS:
            state.fresh_jobs += 1
            self._progress.phase = "requested"
            job_id: str = await self._activity(
                act.REQUEST_SNAPSHOT_JOB,
                JobRequest(req.run_id, req.shop_id, req.resource, req.changed_since),
                retry=SHOPTET_RETRY,
                timeout=SHOPTET_CALL,
                result_type=str,
            )
            state.job_id = self._progress.job_id = job_id
            job = await self._wait_for_job(req, job_id)
            if job.status == "completed":
                try:
                    downloaded: ResultFile = await self._activity(
                        act.DOWNLOAD_RESULT,
                        DownloadRequest(req.run_id, req.shop_id, job_id, job.result_url or ""),
                        retry=SHOPTET_RETRY,
                        timeout=timedelta(hours=1),
                        heartbeat=timedelta(minutes=2),
                        result_type=ResultFile,
                    )
                except ActivityError as err:
                    if _cause_type(err) != "ResultExpired":
                        raise
                    workflow.logger.warning("result of job %s expired; requesting a fresh job", job_id)
                    continue
                self._on_file(downloaded)
                return downloaded
            workflow.logger.warning("snapshot job %s ended %s: %s", job_id, job.status, job.log)
        raise ApplicationError(
            f"Shoptet did not complete a snapshot job in {MAX_FRESH_JOBS} attempts", non_retryable=True
        )

    def _on_file(self, file: ResultFile) -> None:
        self._progress.phase, self._progress.total_lines = "ingesting", file.lines

    async def _wait_for_job(self, req: SnapshotRequest, job_id: str) -> JobState:
        """Wait for `job:finished`, polling job detail as a fallback within Shoptet's limits."""
        self._progress.phase = "waiting"
        deadline = workflow.now() + timedelta(seconds=req.job_deadline_s)
        polls_left = True
        for delay in (*req.poll_delays, None):
            remaining = (deadline - workflow.now()).total_seconds()
            if remaining <= 0:
                break
            wait = remaining if delay is None or not polls_left else min(delay, remaining)
            try:
                await workflow.wait_condition(lambda: job_id in self._finished_jobs, timeout=wait)
            except TimeoutError:
                if not polls_left:
                    break
                if delay is None and not workflow.patched(LAST_POLL_PATCH):
                    break
                # else: at the deadline, the last poll Shoptet still allows
            job: JobState = await self._activity(
                act.CHECK_SNAPSHOT_JOB, JobQuery(req.run_id, req.shop_id, job_id),
                retry=SHOPTET_RETRY, timeout=SHOPTET_CALL, result_type=JobState,
            )
            if job.status in TERMINAL_JOB_STATES:
                return job
            if job.status == "poll-limit":
                polls_left = False  # only the webhook can tell us now
        return JobState(job_id, "failed", log="no job:finished and no terminal state before the 3 h deadline")

    async def _ingest_chunk(self, req: SnapshotRequest, state: SnapshotState) -> None:
        file = state.file
        assert file is not None
        index = state.next_chunk
        start_line = 1 + index * file.chunk_lines
        chunk = ChunkRequest(
            run_id=req.run_id,
            shop_id=req.shop_id,
            resource=req.resource,
            path=file.path,
            chunk=index,
            start_line=start_line,
            start_offset=file.offsets[index],
            end_line=min(start_line + file.chunk_lines, file.lines + 1),
            total_lines=file.lines,
            index_search=not self._index_after,
        )
        started = workflow.now()
        try:
            result: ChunkResult = await self._activity(
                act.INGEST_CHUNK, chunk, retry=INGEST_RETRY, timeout=timedelta(hours=1),
                heartbeat=INGEST_HEARTBEAT, result_type=ChunkResult,
            )
        except ActivityError as err:
            if _cause_type(err) != "SnapshotFileMissing":
                raise
            # the working file is gone (another host, disk cleanup): fetch it again
            state.file = None
            state.file = await self._obtain_file(req, state)
            return
        state.next_chunk += 1
        state.processed_lines = result.end_line - 1
        state.rows_upserted += result.upserted
        state.rejected_lines += result.rejected
        elapsed = max((workflow.now() - started).total_seconds(), result.seconds, 1e-3)
        p = self._progress
        p.phase, p.processed_lines = "ingesting", state.processed_lines
        p.rows_upserted, p.rejected_lines = state.rows_upserted, state.rejected_lines
        p.rate_lines_per_s = round(result.lines / elapsed, 1)
        left = file.lines - state.processed_lines
        p.eta_seconds = round(left / p.rate_lines_per_s, 1) if p.rate_lines_per_s else None

    def _should_continue_as_new(self, req: SnapshotRequest, state: SnapshotState) -> bool:
        done_here = state.next_chunk - self._first_chunk
        return done_here >= req.chunks_per_run or workflow.info().is_continue_as_new_suggested()

    async def _activity(
        self,
        name: str,
        *args: object,
        retry: RetryPolicy,
        timeout: timedelta,
        heartbeat: timedelta | None = None,
        result_type: type | None = None,
    ) -> Any:
        return await workflow.execute_activity(
            name,
            args=list(args),
            start_to_close_timeout=timeout,
            heartbeat_timeout=heartbeat,
            retry_policy=retry,
            result_type=result_type,
        )


def one_line(message: str, limit: int = 300) -> str:
    """A failure as the one line a run row keeps and the UI shows: its first non-blank line,
    whitespace collapsed, cut at `limit` (tracebacks stay in Temporal's history)."""
    first = next((line for line in message.splitlines() if line.strip()), "")
    text = " ".join(first.split()) or "no reason given"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cause_type(err: ActivityError) -> str | None:
    cause = err.cause
    return cause.type if isinstance(cause, ApplicationError) else None


def _describe(err: ActivityError) -> str:
    """The step that failed and why, e.g. "download_result: downloading the result of job 7:
    GET … → 503 …": the innermost ApplicationError (our own message), else the deepest cause."""
    cause: BaseException | None = err.cause
    while isinstance(cause, FailureError) and cause.cause is not None and not isinstance(cause, ApplicationError):
        cause = cause.cause
    reason = getattr(cause, "message", None) or str(cause or err)  # str() would prefix the type
    return one_line(f"{err.activity_type}: {reason}")


def _int_tuple(values: list[int]) -> tuple[int, ...]:
    return tuple(int(v) for v in values)


@dataclass(frozen=True)
class RetryPlan:
    """A failed run the sweep retries: the new run's request."""

    request: SnapshotRequest
    workflow_id: str


@workflow.defn
class SnapshotSweepWorkflow:
    """Scheduled: retry failed runs up to the shop's limit; notify when it gives up."""

    @workflow.run
    async def run(self) -> int:
        plans: list[RetryPlan] = await workflow.execute_activity(
            act.PLAN_SNAPSHOT_RETRIES,
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=DB_RETRY,
            result_type=list[RetryPlan],
        )
        for plan in plans:
            await workflow.start_child_workflow(
                SnapshotWorkflow.run,
                plan.request,
                id=plan.workflow_id,
                task_queue=Queue.SNAPSHOTS.value,
                parent_close_policy=ParentClosePolicy.ABANDON,
                search_attributes=search_attributes.for_run(
                    "snapshot", plan.request.shop_id, plan.request.resource
                ),
            )
        return len(plans)
