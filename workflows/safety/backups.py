"""BackupWorkflow: dump with a checksum, prune by retention, and prove a backup restores.

The schedule `maint:backup` runs it daily at 02:00 Europe/Prague. Restore verification runs
when the last one is older than the setting `backups.verify_interval_days` (weekly by
default), or when asked for (`shopops backup verify`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

from workflows import activity_names as act
from workflows.common import ONE_RETRY, SHORT_RETRY

WORKFLOW_ID = "maint:backup"
# on-demand dumps (API, CLI) share this id with USE_EXISTING: it is the lock, so a second
# request while one runs joins that run instead of dumping the same database again
ON_DEMAND_ID = f"{WORKFLOW_ID}:now"


@dataclass(frozen=True)
class BackupRequest:
    dump: bool = True
    verify: bool | None = None  # None: verify when the last verification is due
    backup_id: int | None = None  # verify this backup instead of the newest


@dataclass(frozen=True)
class DumpRequest:
    name: str


@dataclass(frozen=True)
class DumpResult:
    backup_id: int
    name: str
    file_bytes: int
    sha256: str
    tables: int
    rows: int
    seconds: float


@dataclass(frozen=True)
class VerifyRequest:
    backup_id: int | None = None  # None: the newest completed backup


@dataclass(frozen=True)
class VerifyResult:
    backup_id: int
    status: str  # passed | failed | corrupt
    tables: int = 0
    mismatches: dict[str, list[int]] = field(default_factory=dict[str, list[int]])
    error: str | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class PruneResult:
    deleted: list[str]
    kept: int


@dataclass(frozen=True)
class BackupFailure:
    name: str
    error: str


@dataclass(frozen=True)
class BackupReport:
    dump: DumpResult | None
    pruned: PruneResult
    verify: VerifyResult | None


@dataclass
class BackupProgress:
    phase: str = "starting"  # dumping | pruning | verifying | done | failed
    backup_id: int | None = None
    verify_status: str | None = None


DUMP_RETRY = RetryPolicy(maximum_attempts=3, initial_interval=timedelta(minutes=1))


@workflow.defn
class BackupWorkflow:
    def __init__(self) -> None:
        self._progress = BackupProgress()

    @workflow.query
    def progress(self) -> BackupProgress:
        return self._progress

    @workflow.run
    async def run(self, req: BackupRequest | None = None) -> BackupReport:
        req = req or BackupRequest()  # schedules start it without arguments
        dump = await self._dump() if req.dump else None
        self._progress.phase = "pruning"
        pruned = await workflow.execute_activity(
            act.PRUNE_BACKUPS,
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=SHORT_RETRY,
            result_type=PruneResult,
        )
        verify = None
        target = await self._verify_target(req, dump)
        if target is not None:
            self._progress.phase = "verifying"
            verify = await workflow.execute_activity(
                act.VERIFY_BACKUP,
                VerifyRequest(target),
                start_to_close_timeout=timedelta(hours=6),
                heartbeat_timeout=timedelta(minutes=2),
                retry_policy=ONE_RETRY,
                result_type=VerifyResult,
            )
            self._progress.verify_status = verify.status
        self._progress.phase = "done"
        return BackupReport(dump=dump, pruned=pruned, verify=verify)

    async def _dump(self) -> DumpResult:
        self._progress.phase = "dumping"
        # the run id's random tail: runs started in the same second never share a file
        name = f"shopops-{workflow.now():%Y%m%dT%H%M%SZ}-{workflow.info().run_id.replace('-', '')[-12:]}.dump"
        try:
            dump = await workflow.execute_activity(
                act.CREATE_BACKUP,
                DumpRequest(name),
                start_to_close_timeout=timedelta(hours=6),
                heartbeat_timeout=timedelta(minutes=2),
                retry_policy=DUMP_RETRY,
                result_type=DumpResult,
            )
        except ActivityError as exc:
            self._progress.phase = "failed"
            cause = exc.cause or exc
            await workflow.execute_activity(
                act.RECORD_BACKUP_FAILURE,
                BackupFailure(name, str(cause)),
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=SHORT_RETRY,
            )
            raise
        self._progress.backup_id = dump.backup_id
        return dump

    async def _verify_target(self, req: BackupRequest, dump: DumpResult | None) -> int | None:
        if req.verify is False:
            return None
        if req.verify is True:
            if req.backup_id is not None:
                return req.backup_id
            if dump is not None:
                return dump.backup_id
            return await workflow.execute_activity(
                act.NEWEST_BACKUP,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=SHORT_RETRY,
            )
        return await workflow.execute_activity(
            act.VERIFICATION_DUE,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=SHORT_RETRY,
        )
