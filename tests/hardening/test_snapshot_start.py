"""Starting a snapshot when the shop's active run has lost its workflow (issue 15, item 1).

A run whose workflow was terminated or deleted outside shopops is marked failed and the new
run starts (it used to end in MissingGreenlet, a 500); a run that was requested a moment ago
and whose workflow is still being started is left alone (409), so two concurrent starts never
mark a healthy run failed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.orm import Session

from tests.support import assert_problem, login


async def _manager_with_run(api, make_user, make_shop, db: Session, requested_at: datetime, status: str):  # type: ignore[no-untyped-def]
    from db.models import SnapshotRun

    shop = make_shop()
    user, password = make_user(shops={shop.id: "manager"})
    run = SnapshotRun(
        shop_id=shop.id, resource="orders", status=status, requested_at=requested_at,
        workflow_id=f"snapshot:{shop.id}:orders:gone-{requested_at:%H%M%S%f}",
    )
    db.add(run)
    db.commit()
    await login(api, user.email, password)
    return shop.id, run.id


async def test_a_run_whose_workflow_is_gone_is_failed_and_the_new_one_starts(
    api: httpx.AsyncClient, make_user, make_shop, db_session: Session, temporal_env
) -> None:  # type: ignore[no-untyped-def]
    from db.models import SnapshotRun

    long_ago = datetime.now(UTC) - timedelta(hours=1)
    for status in ("pending", "running"):
        shop_id, old_id = await _manager_with_run(api, make_user, make_shop, db_session, long_ago, status)
        response = await api.post(f"/api/shops/{shop_id}/snapshot-runs", json={"resource": "orders"})
        assert response.status_code == 202, response.text
        assert response.json()["id"] != old_id and response.json()["status"] == "pending"
        db_session.expire_all()
        old = db_session.get(SnapshotRun, old_id)
        assert old is not None and old.status == "failed" and "does not exist in Temporal" in (old.error or "")


async def test_a_run_still_starting_is_not_failed_by_a_concurrent_start(
    api: httpx.AsyncClient, make_user, make_shop, db_session: Session, temporal_env
) -> None:  # type: ignore[no-untyped-def]
    from db.models import SnapshotRun

    shop_id, run_id = await _manager_with_run(
        api, make_user, make_shop, db_session, datetime.now(UTC), "pending"
    )
    body = assert_problem(
        await api.post(f"/api/shops/{shop_id}/snapshot-runs", json={"resource": "orders"}), 409
    )
    assert body["run_id"] == run_id
    db_session.expire_all()
    run = db_session.get(SnapshotRun, run_id)
    assert run is not None and run.status == "pending"
