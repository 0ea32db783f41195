"""Online migration of a legacy, unpartitioned table (the old `order_items`) into quarter partitions.

prepare (new partitioned table beside it, a trigger logging every write to the old one) →
copy in key order, batch by batch, resuming from the stored last key → replay the logged
writes → verify counts and checksums per quarter from one consistent snapshot → swap the
names in one short transaction. The old table stays in use until the swap, and is kept as
`<table>_legacy` after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError

from workflows import activity_names as act
from workflows.maintenance.partitions import (
    HEARTBEAT,
    LONG,
    MAINTENANCE_RETRY,
    SHORT,
    Action,
    RunFinish,
    RunStart,
)

T = TypeVar("T")


@dataclass(frozen=True)
class LegacyMigrationRequest:
    table: str = "order_items"
    key_column: str = "id"  # the legacy table's serial key, walked in batches
    batch_rows: int = 10000
    batches_per_call: int = 50  # one activity call copies at most this many batches
    future_quarters: int = 4
    verify_rounds: int = 3  # replay and re-verify this often before giving up
    swap: bool = True
    lock_timeout_ms: int = 2000
    lock_attempts: int = 10


@dataclass(frozen=True)
class MigrationState:
    table: str
    phase: str  # copying | copied | verified | swapped
    high_water: int
    last_key: int
    legacy_rows: int
    copied_rows: int
    replayed_change_id: int
    changes_replayed: int
    pending_changes: int

    @property
    def copied(self) -> bool:
        return self.last_key >= self.high_water


@dataclass(frozen=True)
class Verification:
    ok: bool
    quarters: dict[str, dict[str, Any]]  # quarter -> legacy/target rows, money and checksum
    mismatched: list[str]
    excluded_rows: int  # rows with writes not yet replayed, left out on both sides


@dataclass(frozen=True)
class VerifyInput:
    request: LegacyMigrationRequest
    final: bool  # a mismatch now fails the run and raises a notification


@dataclass
class MigrationProgress:
    phase: str = "starting"  # starting | preparing | copying | replaying | verifying | swapping | done | failed
    copied_rows: int = 0
    legacy_rows: int = 0
    percent: float | None = None
    last_key: int = 0
    high_water: int = 0
    pending_changes: int = 0
    changes_replayed: int = 0
    verification: Verification | None = None


@dataclass(frozen=True)
class MigrationReport:
    table: str
    legacy_table: str | None
    copied_rows: int
    changes_replayed: int
    verification: Verification | None
    swapped: bool


@workflow.defn
class LegacyMigrationWorkflow:
    def __init__(self) -> None:
        self._progress = MigrationProgress()

    @workflow.query
    def progress(self) -> MigrationProgress:
        return self._progress

    def _track(self, state: MigrationState) -> None:
        p = self._progress
        p.copied_rows, p.legacy_rows = state.copied_rows, state.legacy_rows
        p.last_key, p.high_water = state.last_key, state.high_water
        p.pending_changes, p.changes_replayed = state.pending_changes, state.changes_replayed
        p.percent = (
            round(100 * min(1.0, state.last_key / state.high_water), 1)
            if state.high_water
            else 100.0
        )

    async def _step(self, name: str, arg: Any, result_type: type[T]) -> T:
        return await workflow.execute_activity(
            name,
            arg,
            start_to_close_timeout=LONG,
            heartbeat_timeout=HEARTBEAT,
            retry_policy=MAINTENANCE_RETRY,
            result_type=result_type,
        )

    @workflow.run
    async def run(self, req: LegacyMigrationRequest) -> MigrationReport:
        info = workflow.info()
        run_id: int = await workflow.execute_activity(
            act.START_MAINTENANCE_RUN,
            RunStart("legacy_migration", info.workflow_id, info.run_id, {"table": req.table}),
            start_to_close_timeout=SHORT,
            retry_policy=MAINTENANCE_RETRY,
            result_type=int,
        )
        try:
            report = await self._migrate(req)
        except ActivityError as exc:
            self._progress.phase = "failed"
            await self._finish(run_id, "failed", str(exc.cause or exc))
            raise
        await self._finish(run_id, "completed", None)
        self._progress.phase = "done"
        return report

    async def _migrate(self, req: LegacyMigrationRequest) -> MigrationReport:
        self._progress.phase = "preparing"
        state: MigrationState = await self._step(act.PREPARE_LEGACY_MIGRATION, req, MigrationState)
        self._track(state)
        if state.phase == "swapped":
            return MigrationReport(
                req.table,
                f"{req.table}_legacy",
                state.copied_rows,
                state.changes_replayed,
                None,
                True,
            )
        self._progress.phase = "copying"
        while not state.copied:
            state = await self._step(act.COPY_LEGACY_BATCHES, req, MigrationState)
            self._track(state)
        self._progress.phase = "replaying"
        state = await self._step(act.REPLAY_LEGACY_CHANGES, req, MigrationState)
        self._track(state)
        self._progress.phase = "verifying"
        verification: Verification | None = None
        for round_ in range(req.verify_rounds):
            final = round_ == req.verify_rounds - 1
            verification = await self._step(
                act.VERIFY_LEGACY_MIGRATION, VerifyInput(req, final), Verification
            )
            self._progress.verification = verification
            if verification.ok:
                break
            state = await self._step(act.REPLAY_LEGACY_CHANGES, req, MigrationState)
            self._track(state)
        if req.swap:
            self._progress.phase = "swapping"
            state = await self._step(act.SWAP_LEGACY_TABLE, req, MigrationState)
            self._track(state)
        return MigrationReport(
            req.table,
            f"{req.table}_legacy" if req.swap else None,
            state.copied_rows,
            state.changes_replayed,
            verification,
            req.swap,
        )

    async def _finish(self, run_id: int, status: str, error: str | None) -> None:
        p = self._progress
        done = Action(
            "legacy_migration",
            "",
            "",
            "",
            p.copied_rows,
            f"{p.copied_rows} rows copied, {p.changes_replayed} changes replayed, ended in {p.phase}",
        )
        await workflow.execute_activity(
            act.FINISH_MAINTENANCE_RUN,
            RunFinish(run_id, status, [done], error),
            start_to_close_timeout=SHORT,
            retry_policy=MAINTENANCE_RETRY,
        )
