"""ShopTokenWorkflow against the sandbox, a real Temporal dev server and PostgreSQL:
one getAccessToken for any number of concurrent callers, the 5-token cap, restarts."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio import activity, workflow
from temporalio.client import WithStartWorkflowOperation, WorkflowExecutionStatus
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.shoptet_access import NotInstalled, shop_client
from activities.tokens import ensure_fresh_token
from infra.sandbox.testing import RunningSandbox
from infra.temporal_client import connect
from tests.support import MakeShop
from tests.sync.harness import (
    app_sandbox,
    execute,
    installed_shop,
    running_workers,
    save_history,
    small_shop,
    stored_installation,
    wait_until,
)
from workflows.queues import Queue
from workflows.tokens import (
    EnsureFresh,
    ShopTokenWorkflow,
    TokenMeta,
    TokenState,
    fingerprint,
    start_options,
    token_workflow_id,
)

pytestmark = pytest.mark.usefixtures("temporal_env")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# A workflow that fans out N activities at once, each making one Shoptet call for the shop.


@activity.defn
async def call_shoptet(shop_id: int) -> str:
    async with shop_client(shop_id) as client:
        data = await client.get("/api/eshop")
    return str(data["contactInformation"]["eshopId"])


@workflow.defn
class FanOutWorkflow:
    @workflow.run
    async def run(self, shop_id: int, n: int) -> list[str]:
        return list(
            await asyncio.gather(
                *(
                    workflow.execute_activity(
                        call_shoptet, shop_id, start_to_close_timeout=timedelta(seconds=60)
                    )
                    for _ in range(n)
                )
            )
        )


def calls(sb: RunningSandbox) -> int:
    return sb.state.stats["get_access_token_calls"]


async def _fan_out(shop_id: int, n: int, run: str) -> list[str]:
    client = await connect()
    async with Worker(
        client,
        task_queue="test-fanout",
        workflows=[FanOutWorkflow],
        activities=[call_shoptet],
        max_concurrent_activities=n,
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        return await client.execute_workflow(
            FanOutWorkflow.run, args=[shop_id, n], id=f"fanout-{shop_id}-{run}", task_queue="test-fanout"
        )


async def test_hundred_activities_at_expiry_cause_one_get_access_token() -> None:
    async with (
        app_sandbox(max_concurrent_per_token=1000, bucket_capacity=100_000) as sb,
        running_workers(),
    ):
        ref = await installed_shop(sb, small_shop())
        first = await ensure_fresh_token(ref.shop_id, "")
        assert calls(sb) == 1

        # 1. The token expires by our clock: all 100 see it stale before calling Shoptet.
        await execute(
            "UPDATE installations SET api_token_expires_at = now() - interval '1 second' "
            "WHERE shop_id = :shop", shop=ref.shop_id,
        )
        sb.state.clock.advance(1801)  # …and at Shoptet
        assert await _fan_out(ref.shop_id, 100, "ours") == [str(ref.eshop_id)] * 100
        assert calls(sb) == 2, "100 callers with an expired token must share one getAccessToken"
        assert sb.state.requests_by_path["/api/eshop"] == 100, "nobody used the expired token"

        # 2. Shoptet expires it first (clock skew): the 401s all ask with the same stale token.
        second = (await stored_installation(ref.shop_id)).api_token
        sb.state.clock.advance(1801)
        assert await _fan_out(ref.shop_id, 100, "theirs") == [str(ref.eshop_id)] * 100
        assert calls(sb) == 3, "100 callers rejected with expired-token must share one getAccessToken"
        assert sb.state.requests_by_path["/api/eshop"] > 200, "some calls were rejected with 401 first"

        inst = await stored_installation(ref.shop_id)
        assert inst.api_token not in (first, second) and inst.token_refresh_count == 3
        client = await connect()
        progress = await client.get_workflow_handle(token_workflow_id(ref.shop_id)).query(
            ShopTokenWorkflow.progress
        )
        assert progress.fingerprint == fingerprint(inst.api_token) and progress.refreshes == 3
        await save_history("tokens", "concurrent_expiry", token_workflow_id(ref.shop_id))


_CHILD = """
import asyncio, sys
from activities.tokens import ensure_fresh_token
async def main(shop_id, stale, n):
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # wait for "go"
    tokens = await asyncio.gather(*(ensure_fresh_token(shop_id, stale) for _ in range(n)))
    print(len(set(tokens)), flush=True)
asyncio.run(main(int(sys.argv[1]), sys.argv[2], int(sys.argv[3])))
"""


async def test_callers_in_several_processes_share_one_refresh() -> None:
    # A slow OAuth server keeps the refresh in flight long enough for every process to reach
    # the workflow; with a fast one, late processes find the new token stored and never race.
    async with app_sandbox(oauth_slow_ms=1500) as sb, running_workers():
        ref = await installed_shop(sb, small_shop())
        stale = await ensure_fresh_token(ref.shop_id, "")
        before = calls(sb)
        children = [
            await asyncio.create_subprocess_exec(
                sys.executable, "-c", _CHILD, str(ref.shop_id), stale, "30", cwd=ROOT,
                env=dict(os.environ), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for _ in range(3)
        ]
        for child in children:
            assert child.stdout is not None
            line = await asyncio.wait_for(child.stdout.readline(), 30)
            assert line.strip() == b"ready", line
        for child in children:  # all start together, and so do 40 callers here
            assert child.stdin is not None
            child.stdin.write(b"go\n")
            await child.stdin.drain()
        here = await asyncio.gather(*(ensure_fresh_token(ref.shop_id, stale) for _ in range(40)))
        outputs = [await child.communicate() for child in children]
        for child, (out, err) in zip(children, outputs, strict=True):
            assert child.returncode == 0, err.decode()[-2000:]
            assert out.decode().strip() == "1"
        assert len(set(here)) == 1 and here[0] != stale
        assert calls(sb) - before == 1, "130 callers in 4 processes must share one getAccessToken"
        client = await connect()
        history = await client.get_workflow_handle(token_workflow_id(ref.shop_id)).fetch_history()
        updates = sum(1 for e in history.events if e.HasField("workflow_execution_update_accepted_event_attributes"))
        assert updates >= 3, f"the processes should have raced into the workflow, saw {updates} updates"


async def test_never_asks_for_a_sixth_live_token() -> None:
    async with app_sandbox(api_token_ttl=4) as sb, running_workers():
        ref = await installed_shop(sb, small_shop())
        token = await ensure_fresh_token(ref.shop_id, "")
        peak = 0
        for _ in range(7):  # each call says "this one is stale": seven mints in a row
            token = await ensure_fresh_token(ref.shop_id, token)
            peak = max(peak, sb.state.stats_view()["liveApiTokens"])
        # Eight tokens, never more than five alive and none refused: the 6th to 8th were asked
        # for only after older ones expired (no stopwatch needed to tell it waited).
        refused = calls(sb) - sb.state.stats["api_tokens_issued"]
        assert refused == 0, "the workflow must wait for a slot instead of hitting maximum_tokens_reached"
        assert sb.state.stats["api_tokens_issued"] == 8
        assert peak <= 5
        await save_history("tokens", "token_cap", token_workflow_id(ref.shop_id))


async def test_backs_off_when_tokens_minted_elsewhere_fill_the_cap() -> None:
    async with app_sandbox(api_token_ttl=4) as sb, running_workers():
        ref = await installed_shop(sb, small_shop())
        token = await ensure_fresh_token(ref.shop_id, "")
        for _ in range(4):  # another client of the same installation takes the other four slots
            sb.api_token(ref.eshop_id)
        fresh = await ensure_fresh_token(ref.shop_id, token)
        assert fresh != token
        assert calls(sb) - sb.state.stats["api_tokens_issued"] >= 1, "Shoptet said the cap was reached"
        async with shop_client(ref.shop_id) as client:
            assert (await client.get("/api/eshop"))["contactInformation"]["eshopId"] == ref.eshop_id


async def test_survives_a_worker_restart() -> None:
    async with app_sandbox() as sb:
        ref = await installed_shop(sb, small_shop())
        async with running_workers([Queue.TOKENS]):
            first = await ensure_fresh_token(ref.shop_id, "")
        client = await connect()
        handle = client.get_workflow_handle(token_workflow_id(ref.shop_id))
        run_before = (await handle.describe()).run_id
        pending = asyncio.create_task(ensure_fresh_token(ref.shop_id, first))
        await asyncio.sleep(1.0)
        assert not pending.done(), "no worker is running, so the refresh must wait"
        async with running_workers([Queue.TOKENS]):
            second = await asyncio.wait_for(pending, 30)
            assert second != first
            assert calls(sb) == 2
            desc = await handle.describe()
            assert desc.status == WorkflowExecutionStatus.RUNNING and desc.run_id == run_before
            async with shop_client(ref.shop_id) as shoptet:
                assert (await shoptet.get("/api/eshop"))["contactInformation"]["eshopId"] == ref.eshop_id


async def test_refreshes_before_expiry_without_callers() -> None:
    async with app_sandbox(api_token_ttl=6) as sb, running_workers():
        ref = await installed_shop(sb, small_shop())
        first = await ensure_fresh_token(ref.shop_id, "")
        first_expires = (await stored_installation(ref.shop_id)).api_token_expires_at
        assert first_expires is not None

        async def replaced() -> Any:
            inst = await stored_installation(ref.shop_id)
            return inst if inst.api_token not in (None, first) else None

        inst, _ = await wait_until(replaced, timeout=30, what="a proactive refresh")
        assert inst.api_token_refreshed_at < first_expires, "the token must be replaced before it expires"
        await save_history("tokens", "proactive", token_workflow_id(ref.shop_id))


async def test_an_update_with_start_reads_the_token_of_its_own_shop() -> None:
    """The update arrives with the start and runs before `run`: it must already know the shop
    and find the token stored by the previous run instead of minting one more."""
    async with app_sandbox() as sb, running_workers([Queue.TOKENS]):
        ref = await installed_shop(sb, small_shop())
        stored = await ensure_fresh_token(ref.shop_id, "")
        client = await connect()
        await client.get_workflow_handle(token_workflow_id(ref.shop_id)).terminate("test: a new run")
        meta = await client.execute_update_with_start_workflow(
            ShopTokenWorkflow.ensure_fresh,
            EnsureFresh(None),
            start_workflow_operation=WithStartWorkflowOperation(
                ShopTokenWorkflow.run, TokenState(shop_id=ref.shop_id), **start_options(ref.shop_id)
            ),
            result_type=TokenMeta,
        )
        assert meta.fingerprint == fingerprint(stored) and not meta.minted
        assert calls(sb) == 1, "the stored token was fresh: no second getAccessToken"
        history = await client.get_workflow_handle(token_workflow_id(ref.shop_id)).fetch_history()
        reads = [
            e.activity_task_scheduled_event_attributes
            for e in history.events
            if e.HasField("activity_task_scheduled_event_attributes")
            and e.activity_task_scheduled_event_attributes.activity_type.name == "read_token_meta"
        ]
        assert len(reads) == 1
        assert reads[0].input.payloads[0].data == str(ref.shop_id).encode()
        await save_history("tokens", "update_with_start", token_workflow_id(ref.shop_id))


async def test_inactive_shops_get_no_token(make_shop: MakeShop) -> None:
    shop = make_shop(status="uninstalled")
    with pytest.raises(NotInstalled, match="has no installation"):
        await ensure_fresh_token(shop.id, "")
    client = await connect()
    ids = [w.id async for w in client.list_workflows(f"WorkflowId = '{token_workflow_id(shop.id)}'")]
    assert ids == []


async def test_continues_as_new_and_keeps_its_state() -> None:
    async with app_sandbox() as sb, running_workers([Queue.TOKENS]):
        ref = await installed_shop(sb, small_shop())
        client = await connect()
        handle = await client.start_workflow(
            ShopTokenWorkflow.run, TokenState(ref.shop_id, refreshes_per_run=2), **start_options(ref.shop_id)
        )
        first_run = handle.result_run_id
        token = await ensure_fresh_token(ref.shop_id, "")
        for _ in range(3):
            token = await ensure_fresh_token(ref.shop_id, token)
        assert calls(sb) == 4
        runs = [w async for w in client.list_workflows(f"WorkflowId = '{token_workflow_id(ref.shop_id)}'")]
        assert sum(r.status == WorkflowExecutionStatus.CONTINUED_AS_NEW for r in runs) >= 1
        progress = await client.get_workflow_handle(token_workflow_id(ref.shop_id)).query(
            ShopTokenWorkflow.progress
        )
        assert progress.fingerprint == fingerprint(token)
        assert progress.live_tokens == 4, "the cap accounting survives continue-as-new"
        await save_history("tokens", "continue_as_new", token_workflow_id(ref.shop_id), first_run)


async def test_survives_a_temporal_server_restart(tmp_path: Path, temporal_bin: Path) -> None:
    from temporalio.testing import WorkflowEnvironment

    from db.config import get_settings
    from infra.sandbox.testing import free_port
    from infra.temporal_client import forget_clients
    from workflows import search_attributes

    port = free_port()

    async def start() -> WorkflowEnvironment:
        return await WorkflowEnvironment.start_local(
            dev_server_existing_path=str(temporal_bin), port=port, ui=False,
            search_attributes=list(search_attributes.ALL), dev_server_log_level="error",
            dev_server_extra_args=["--db-filename", str(tmp_path / "temporal.db")],
        )

    def use(address: str) -> None:
        os.environ["TEMPORAL_ADDRESS"] = address
        get_settings.cache_clear()
        forget_clients()

    session_address = os.environ["TEMPORAL_ADDRESS"]
    env = await start()
    use(f"127.0.0.1:{port}")
    try:
        async with app_sandbox() as sb:
            ref = await installed_shop(sb, small_shop())
            async with running_workers([Queue.TOKENS]):
                first = await ensure_fresh_token(ref.shop_id, "")
                client = await connect()
                run_id = (await client.get_workflow_handle(token_workflow_id(ref.shop_id)).describe()).run_id
            await env.shutdown()
            env = await start()
            use(f"127.0.0.1:{port}")
            async with running_workers([Queue.TOKENS]):
                second = await ensure_fresh_token(ref.shop_id, first)
                client = await connect()
                desc = await client.get_workflow_handle(token_workflow_id(ref.shop_id)).describe()
            assert second != first and calls(sb) == 2
            assert desc.run_id == run_id and desc.status == WorkflowExecutionStatus.RUNNING
    finally:
        await env.shutdown()
        use(session_address)
