"""Activities of SnapshotWorkflow: Shoptet job calls, download, chunked ingest, run bookkeeping.

Each is idempotent: run-row updates are absolute or guarded, downloads overwrite, and the
ingest commits rows and its line offset in one transaction, so any retry is safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import sys
import time
from collections.abc import Generator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from psycopg import sql
from sqlalchemy import select, update
from sqlalchemy.orm import aliased
from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from activities.heartbeats import in_thread, with_heartbeats
from activities.search.warm import warm_after_ingest
from activities.shoptet.errors import ShoptetError
from activities.shoptet_access import NotInstalled, permanent, shop_client, shoptet_failure
from activities.snapshots.files import SnapshotFileError, read_lines, sha256_of, unpack
from activities.snapshots.ingest.loader import (
    Batch,
    Loader,
    LoadResult,
    RawLines,
    line_text,
)
from activities.snapshots.ingest.parsing import build_batch_from_file, start_parser
from db.app_settings import get_setting
from db.config import get_settings
from db.engine import raw_connection, session_scope
from db.models import SnapshotRun
from db.notify import cs_number, notify
from db.snapshots import RunAlreadyActive, close_active_run, create_run
from infra.outbound_webhooks.events import publish
from infra.workflow_state import closed_outside
from workflows.snapshots import (
    ChunkRequest,
    ChunkResult,
    DownloadRequest,
    JobQuery,
    JobRequest,
    JobState,
    ResultFile,
    RetryPlan,
    RunOutcome,
    SnapshotRequest,
    one_line,
)

BATCH_LINES = {"orders": 2000, "customers": 5000, "products": 1000}
SNAPSHOT_PATHS = {
    "orders": "/api/orders/snapshot",
    "products": "/api/products/snapshot",
    "customers": "/api/customers/snapshot",
}
SNAPSHOT_INCLUDES = {"products": "perStockAmounts,images"}


async def _update_run(run_id: int, **values: Any) -> None:
    async with session_scope() as session:
        await session.execute(update(SnapshotRun).where(SnapshotRun.id == run_id).values(**values))


@activity.defn
async def mark_run_started(run_id: int) -> None:
    async with session_scope() as session:
        await session.execute(
            update(SnapshotRun)
            .where(SnapshotRun.id == run_id)
            .values(status="running", phase="requested", error=None)
        )
        await session.execute(
            update(SnapshotRun)
            .where(SnapshotRun.id == run_id, SnapshotRun.started_at.is_(None))
            .values(started_at=datetime.now(UTC))
        )


def _shoptet_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


@activity.defn
async def request_snapshot_job(req: JobRequest) -> str:
    params: dict[str, str] = {}
    if req.changed_since is not None:
        params["changeTimeFrom"] = _shoptet_time(req.changed_since)
    if include := SNAPSHOT_INCLUDES.get(req.resource):
        params["include"] = include
    try:
        async with shop_client(req.shop_id) as client:
            data = await client.get(SNAPSHOT_PATHS[req.resource], params=params)
    except NotInstalled as exc:
        raise permanent(str(exc)) from exc
    except ShoptetError as exc:
        raise shoptet_failure(exc, f"requesting the {req.resource} snapshot") from exc
    job_id = str(data["jobId"])
    await _update_run(req.run_id, job_id=job_id, phase="waiting", status="running")
    return job_id


@activity.defn
async def check_snapshot_job(query: JobQuery) -> JobState:
    try:
        async with shop_client(query.shop_id) as client:
            data = await client.get(f"/api/system/jobs/{query.job_id}")
    except ShoptetError as exc:
        if exc.error_code == "job-detail-try-counter-exceeded-limit":
            return JobState(query.job_id, "poll-limit", log=exc.message)
        if exc.status == 404:
            return JobState(query.job_id, "failed", log=f"job not found: {exc.message}")
        raise shoptet_failure(exc, f"reading job {query.job_id}") from exc
    except NotInstalled as exc:
        raise permanent(str(exc)) from exc
    job = data.get("job", data)  # older responses had no `job` wrapper
    return JobState(
        job_id=query.job_id,
        status=str(job.get("status")),
        result_url=job.get("resultUrl"),
        log=job.get("log"),
    )


def _run_dir(shop_id: int) -> Path:
    path = get_settings().snapshot_dir / str(shop_id)
    path.mkdir(parents=True, exist_ok=True)
    return path


def work_path(shop_id: int, run_id: int) -> Path:
    """The run's unpacked JSON-lines file; deleted when the run finishes."""
    return _run_dir(shop_id) / f"run{run_id}.jsonl"


async def _chunk_lines() -> int:
    async with session_scope() as session:
        return int(await get_setting(session, "snapshots.chunk_lines"))


async def _prepare(shop_id: int, run_id: int, raw: Path, digest: str, size: int) -> ResultFile:
    chunk_lines = await _chunk_lines()
    work = work_path(shop_id, run_id)
    # progress crosses back to the event loop: activity.heartbeat() fails in a thread
    unpacked = await in_thread(
        lambda report: unpack(raw, work, chunk_lines, lambda n: report(f"unpacked {n} lines")),
        "unpacking",
    )
    file = ResultFile(
        path=str(work),
        raw_path=str(raw),
        sha256=digest,
        bytes=size,
        lines=unpacked.lines,
        gzip=unpacked.gzip,
        chunk_lines=chunk_lines,
        offsets=unpacked.offsets,
    )
    await _update_run(
        run_id,
        file_path=str(raw),
        file_sha256=digest,
        file_bytes=size,
        total_lines=unpacked.lines,
        phase="ingesting",
    )
    return file


@activity.defn
async def download_result(req: DownloadRequest) -> ResultFile:
    await _update_run(req.run_id, phase="downloading")
    if not req.result_url:  # a completed job with no result: nothing to ingest
        raw = _run_dir(req.shop_id) / f"run{req.run_id}-{req.job_id}.raw"
        raw.write_bytes(b"")
        return await _prepare(req.shop_id, req.run_id, raw, sha256_of(raw), 0)
    raw = _run_dir(req.shop_id) / f"run{req.run_id}-{req.job_id}.raw"
    try:
        async with shop_client(req.shop_id) as client:
            result = await with_heartbeats(client.download(req.result_url, raw), "downloading")
    except ShoptetError as exc:
        if exc.status in (404, 410):
            raise ApplicationError(
                f"result of job {req.job_id} is gone ({exc.status}); it expires 24 h after completion",
                type="ResultExpired",
                non_retryable=True,
            ) from exc
        raise shoptet_failure(exc, f"downloading the result of job {req.job_id}") from exc
    try:
        return await _prepare(req.shop_id, req.run_id, raw, result.sha256, result.bytes)
    except SnapshotFileError as exc:
        raise ApplicationError(str(exc), type="CorruptDownload") from exc  # retried: download again


@activity.defn
async def reuse_result_file(run_id: int, prior_run_id: int) -> ResultFile | None:
    """A retry re-uses the failed run's download when it is still on disk and intact."""
    async with session_scope() as session:
        prior = await session.get(SnapshotRun, prior_run_id)
    if prior is None or not prior.file_path or not prior.file_sha256:
        return None
    raw = Path(prior.file_path)
    if not raw.exists() or await with_heartbeats(asyncio.to_thread(sha256_of, raw), "checksum") != prior.file_sha256:
        return None
    await _update_run(run_id, job_id=prior.job_id)
    return await _prepare(prior.shop_id, run_id, raw, prior.file_sha256, prior.file_bytes or 0)


PROGRESS_SQL = """
UPDATE snapshot_runs SET
    processed_lines = %(processed)s,
    rows_upserted = rows_upserted + %(upserted)s,
    rejected_lines = rejected_lines + %(rejected)s,
    rate_lines_per_s = %(rate)s,
    eta_seconds = %(eta)s,
    phase = 'ingesting',
    status = CASE WHEN status IN ('failed', 'pending') THEN 'running' ELSE status END,
    updated_at = now()
WHERE id = %(run_id)s
"""


async def _resume_line(conn: Any, req: ChunkRequest) -> tuple[int, int]:
    """Where this attempt starts: the later of the last heartbeat and the offset committed with
    the rows (the SDK throttles heartbeats, the run row is updated in every batch's transaction)."""
    line, offset = req.start_line, req.start_offset
    details = activity.info().heartbeat_details
    if details:
        hb_line, hb_offset = int(details[0]), int(details[1])
        if req.start_line <= hb_line <= req.end_line:
            line, offset = hb_line, hb_offset
    cur = await conn.execute("SELECT processed_lines FROM snapshot_runs WHERE id = %s", (req.run_id,))
    committed_next = (await cur.fetchone())[0] + 1
    if line < committed_next <= req.end_line:
        for line_no, after, _ in read_lines(Path(req.path), line, offset, committed_next):
            line, offset = line_no + 1, after
    return line, offset


_parser: ProcessPoolExecutor | None = None


def parser_pool() -> ProcessPoolExecutor:
    """One long-lived parser process per worker: parsing runs beside the loader, not under
    its GIL, so on two cores PostgreSQL and the parser work at the same time.

    The process imports only `activities.snapshots.ingest.parsing` (its initializer and its
    task live there), and it is started without the worker's main script: `spawn` would run
    that again in the child (`shopops` → the whole CLI, ~110 MB of modules it never uses).
    """
    global _parser
    if _parser is None:
        pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=start_parser,
            initargs=(os.getpid(),),
        )
        with _main_module_hidden():
            pool.submit(os.getpid)  # spawns the process now (its result is not needed)
        _parser = pool
    return _parser


@contextlib.contextmanager
def _main_module_hidden() -> Generator[None]:
    """While a process is spawned: `__main__` names no file and no module, so the child does
    not import it (multiprocessing.spawn.get_preparation_data reads exactly these two)."""
    main = sys.modules["__main__"]
    saved = {k: main.__dict__[k] for k in ("__file__", "__spec__") if k in main.__dict__}
    main.__dict__.pop("__file__", None)
    main.__dict__["__spec__"] = None
    try:
        yield
    finally:
        main.__dict__.pop("__spec__", None)
        main.__dict__.update(saved)


def _reset_parser_pool() -> None:
    global _parser
    if _parser is not None:
        _parser.shutdown(wait=False, cancel_futures=True)
    _parser = None


def _raw_lines(path: str, start_line: int, start_offset: int, end_line: int) -> RawLines:
    """Reads the text of lines PostgreSQL refused, for their quarantine rows (rarely called)."""

    def read(wanted: list[int]) -> dict[int, str]:
        want = set(wanted)
        return {
            n: line_text(raw)
            for n, _, raw in read_lines(Path(path), start_line, start_offset, end_line)
            if n in want
        }

    return read


@activity.defn
async def ingest_chunk(req: ChunkRequest) -> ChunkResult:
    path = Path(req.path)
    if not path.exists():
        raise ApplicationError(f"working file {path} is missing", type="SnapshotFileMissing", non_retryable=True)
    started = time.monotonic()
    total = LoadResult()
    loop = asyncio.get_running_loop()
    batch_lines = BATCH_LINES[req.resource]
    conn = await raw_connection()
    try:
        line, offset = await _resume_line(conn, req)
        first_line = line
        if line > req.start_line:
            activity.logger.info("chunk %s resumes at line %s", req.chunk, line)
            await conn.execute(
                "UPDATE snapshot_runs SET resume_count = resume_count + 1, resumed_from_line = %s WHERE id = %s",
                (line, req.run_id),
            )
        # a full snapshot's documents are indexed after the run (index_snapshot), unless the
        # deployment asks for the per-batch refresh (SNAPSHOT_SEARCH_INDEX=batch)
        per_batch = req.index_search or get_settings().snapshot_search_index == "batch"
        loader = Loader(conn, req.resource, req.shop_id, index_search=per_batch)

        def parse(start: int, at: int) -> asyncio.Future[Batch | None]:
            return loop.run_in_executor(
                parser_pool(), build_batch_from_file,
                req.resource, req.shop_id, req.path, start, at, req.end_line, batch_lines,
            )

        pending = parse(line, offset)
        while (batch := await pending) is not None:
            raw_lines = _raw_lines(req.path, line, offset, batch.end_line)
            line, offset = batch.end_line, batch.end_offset
            pending = parse(line, offset)  # the next batch is parsed while this one loads
            done = batch.end_line - 1
            rate = (done - first_line + 1) / max(time.monotonic() - started, 1e-3)
            eta = (req.total_lines - done) / rate if rate else None
            result = await loader.load(
                batch,
                run_id=req.run_id,
                progress=(PROGRESS_SQL, {"processed": done, "rate": round(rate, 2),
                                         "eta": None if eta is None else round(eta, 1), "run_id": req.run_id}),
                raw_lines=raw_lines,
            )
            total.add(result)
            activity.heartbeat(batch.end_line, batch.end_offset)
        return ChunkResult(
            end_line=line,
            lines=line - first_line,
            upserted=total.upserted,
            rejected=total.rejected,
            seconds=time.monotonic() - started,
        )
    except BrokenProcessPool as exc:
        _reset_parser_pool()
        raise ApplicationError(f"snapshot parser process died: {exc}", type="ParserCrashed") from exc
    except SnapshotFileError as exc:
        raise ApplicationError(str(exc), type="SnapshotFileMissing", non_retryable=True) from exc
    finally:
        await conn.close()


# the resource in the genitive, as "Snímek objednávek" needs it
RESOURCE_CS = {
    "orders": "objednávek",
    "products": "produktů",
    "customers": "zákazníků",
    "stock": "skladových zásob",
}


def resource_cs(resource: str) -> str:
    return RESOURCE_CS.get(resource, resource)


# A run that wrote this many lines changed the statistics of its tables enough that the
# planner must see them before the merchant's first query: partitioned parents are never
# analysed by autovacuum, and autovacuum may be off or behind. Measured at 8.2 M order items:
# the orders list's text filter took 457 ms with the freshly loaded partitions unanalysed and
# 0.2 ms after `ANALYZE orders` (8 s) and `ANALYZE order_items` (7 s).
ANALYZE_MIN_LINES = 10_000
ANALYZED_TABLES = {
    "orders": ("orders", "order_items"),
    "products": ("products", "product_translations", "variants"),
    "customers": ("customers",),
    "stock": ("stock_levels",),
}


async def analyze_loaded(resource: str, lines: int) -> tuple[str, ...]:
    """ANALYZE the tables a large run loaded (a partitioned parent with all its partitions);
    returns the tables analysed."""
    tables = ANALYZED_TABLES.get(resource, ()) if lines >= ANALYZE_MIN_LINES else ()
    if tables:
        conn = await raw_connection()
        try:
            await conn.set_autocommit(True)
            for table in tables:
                await conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
        finally:
            await conn.close()
    return tables


@activity.defn
async def finish_run(run_id: int) -> RunOutcome:
    async with session_scope() as session:
        run = await session.get(SnapshotRun, run_id)
        if run is None:
            raise ApplicationError(f"snapshot run {run_id} vanished", non_retryable=True)
        status = "completed_with_rejects" if run.rejected_lines else "completed"
        run.status, run.phase, run.eta_seconds = status, "done", Decimal(0)
        run.finished_at = datetime.now(UTC)
        run.error = None
        if run.total_lines is not None:
            run.processed_lines = run.total_lines
        if run.rejected_lines:
            await notify(
                session,
                level="warning",
                kind="snapshot.rejects",
                shop_id=run.shop_id,
                key=f"run:{run.id}",
                title=f"{run.resource} snapshot #{run.id} finished with {run.rejected_lines} rejected lines",
                title_cs=f"Snímek {resource_cs(run.resource)} #{run.id} dokončen, odmítnuté řádky: "
                f"{cs_number(run.rejected_lines, 0)}",
                body="The rejected lines are kept with their reason; every valid line was imported.",
                body_cs="Odmítnuté řádky zůstávají uložené i s důvodem; všechny platné řádky byly "
                "naimportovány.",
                data={"run_id": run.id},
            )
        shop_id, resource, lines = run.shop_id, run.resource, run.processed_lines
        finished = {"run_id": run.id, "resource": run.resource, "status": status,
                    "total_lines": run.total_lines, "rejected_lines": run.rejected_lines}
    work_path(shop_id, run_id).unlink(missing_ok=True)
    analysed = await with_heartbeats(analyze_loaded(resource, lines), "analysing")
    if analysed:
        activity.logger.info("run %s: analysed %s", run_id, ", ".join(analysed))
    await warm_after_ingest(shop_id)
    await publish(shop_id, [("snapshot.finished", finished)])
    return RunOutcome(run_id, status)


@activity.defn
async def fail_run(run_id: int, message: str) -> None:
    await _update_run(
        run_id, status="failed", error=one_line(message), finished_at=datetime.now(UTC), eta_seconds=None
    )


async def _reconcile_closed_workflows() -> None:
    """Runs still marked active whose workflow closed outside shopops (terminated, cancelled or
    timed out in Temporal, or never started) get their true state, also when nobody reads them
    through the API (which does the same on every read)."""
    async with session_scope() as session:
        active = (
            await session.execute(select(SnapshotRun).where(SnapshotRun.status.in_(("pending", "running"))))
        ).scalars().all()
    client = activity.client()
    for run in active:
        try:
            closed = await closed_outside(client, run.workflow_id, run.requested_at)
        except RPCError as exc:
            activity.logger.warning("cannot describe %s: %s", run.workflow_id, exc)
            continue
        if closed is not None:
            async with session_scope() as session:
                await close_active_run(session, run.id, closed.status, closed.reason)


@activity.defn
async def plan_snapshot_retries() -> list[RetryPlan]:
    """Failed runs with no later run get a retry, until the shop's retry limit; then a notice."""
    await _reconcile_closed_workflows()
    later = aliased(SnapshotRun)
    async with session_scope() as session:
        failed = (
            await session.execute(
                select(SnapshotRun)
                .where(SnapshotRun.status == "failed")
                .where(
                    ~select(later.id)
                    .where(
                        later.shop_id == SnapshotRun.shop_id,
                        later.resource == SnapshotRun.resource,
                        later.id > SnapshotRun.id,
                    )
                    .exists()
                )
                .order_by(SnapshotRun.id)
                .limit(100)
            )
        ).scalars().all()
    plans: list[RetryPlan] = []
    for run in failed:
        async with session_scope() as session:
            limit = int(await get_setting(session, "snapshots.retry_limit", run.shop_id))
            if run.attempt >= limit:
                if not run.params.get("gave_up"):
                    await session.execute(
                        update(SnapshotRun)
                        .where(SnapshotRun.id == run.id)
                        .values(params={**run.params, "gave_up": True})
                    )
                    await notify(
                        session,
                        level="critical",
                        kind="snapshot.gave_up",
                        shop_id=run.shop_id,
                        key=f"run:{run.id}",
                        title=f"{run.resource} snapshot gave up after {run.attempt} attempts",
                        title_cs=f"Snímek {resource_cs(run.resource)} se nepodařil ani na "
                        f"{run.attempt}. pokus; další pokusy nebudou",
                        body=f"Last error: {run.error}. Retry it from the snapshot runs page.",
                        body_cs=f"Poslední chyba: {run.error}. Spusťte ho znovu na stránce běhů "
                        "snímků.",
                        data={"run_id": run.id},
                    )
                continue
            try:
                new = await create_run(
                    session, run.shop_id, run.resource, trigger="sweep", params=run.params,
                    retry_of=(run.id, run.attempt),
                )
            except RunAlreadyActive:
                continue
        plans.append(RetryPlan(request_for(new, reuse_file_of=run.id), new.workflow_id))
    return plans


def request_for(run: SnapshotRun, reuse_file_of: int | None = None) -> SnapshotRequest:
    return SnapshotRequest.for_run(run.id, run.shop_id, run.resource, run.params, reuse_file_of)
