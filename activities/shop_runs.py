"""What the start step of one shop's analytics run shares (workflows.shop_runs)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

DEAD_RUN = "the run ended without finishing (terminated or reset)"


async def close_dead_runs(
    session: AsyncSession, table: str, shop_id: int, workflow_id: str, run_id: str
) -> None:
    """Mark the shop's other running rows of `table` failed. The workflow id is the lock, so any
    running row but this run's belongs to a run that was terminated or reset."""
    await session.execute(
        text(
            f"UPDATE {table} SET status = 'failed', finished_at = now(), message = :message "
            "WHERE shop_id = :shop AND status = 'running' "
            "AND (workflow_id, run_id) <> (:workflow, :run)"
        ),
        {"message": DEAD_RUN, "shop": shop_id, "workflow": workflow_id, "run": run_id},
    )
