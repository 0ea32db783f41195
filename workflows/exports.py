"""DataExportWorkflow: write one export's file on the exports queue, with progress to query.

The writer activity streams rows from a server-side cursor (or COPY TO STDOUT) to a file and
signals its progress here every second or so; `progress` answers the UI's polling from this
state without touching the database. The file's expiry is set when it is done; the cleanup
workflow deletes it after that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

from workflows import activity_names as act
from workflows.common import DB_RETRY

WORKFLOW_PREFIX = "export:"


@dataclass(frozen=True)
class ExportRequest:
    export_id: str


@dataclass(frozen=True)
class ExportProgress:
    status: str  # pending | running | done | failed
    rows_done: int
    rows_estimate: int | None


@dataclass(frozen=True)
class ExportStarted:
    rows_estimate: int | None


@dataclass(frozen=True)
class ExportWritten:
    rows: int
    file_size: int
    peak_rss_mb: float


def workflow_id(export_id: str) -> str:
    return f"{WORKFLOW_PREFIX}{export_id}"


@workflow.defn
class DataExportWorkflow:
    def __init__(self) -> None:
        self._status = "pending"
        self._rows = 0
        self._estimate: int | None = None

    @workflow.query
    def progress(self) -> ExportProgress:
        return ExportProgress(self._status, self._rows, self._estimate)

    @workflow.signal
    def rows_written(self, rows: int) -> None:
        """From the writer activity, as it goes (a signal per second at most)."""
        self._rows = max(self._rows, rows)

    @workflow.run
    async def run(self, req: ExportRequest) -> ExportProgress:
        try:
            started = await workflow.execute_activity(
                act.START_EXPORT,
                req.export_id,
                start_to_close_timeout=timedelta(minutes=2),
                retry_policy=DB_RETRY,
                result_type=ExportStarted,
            )
            self._status, self._estimate = "running", started.rows_estimate
            written = await workflow.execute_activity(
                act.WRITE_EXPORT,
                req.export_id,
                start_to_close_timeout=timedelta(hours=4),
                heartbeat_timeout=timedelta(minutes=2),
                # a retry starts the file over: a couple of tries, then say it failed
                retry_policy=RetryPolicy(maximum_attempts=2, initial_interval=timedelta(seconds=5)),
                result_type=ExportWritten,
            )
        except ActivityError as exc:
            self._status = "failed"
            await workflow.execute_activity(
                act.FAIL_EXPORT,
                args=[req.export_id, str(exc.cause or exc)[:2000]],
                start_to_close_timeout=timedelta(minutes=1),
                retry_policy=DB_RETRY,
            )
            return self.progress()
        self._status, self._rows = "done", written.rows
        return self.progress()
