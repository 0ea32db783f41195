"""A worker's role comes from settings or `-q`: short or full queue names, unknown ones refused;
and the backlog gauge the autoscalers read is published from Temporal's DescribeTaskQueue."""

from __future__ import annotations

import secrets

import pytest
from prometheus_client import REGISTRY

from infra.worker import parse_queues
from workflows.queues import Queue


def test_queue_names_short_full_and_lists() -> None:
    assert parse_queues(["snapshots"]) == [Queue.SNAPSHOTS]
    assert parse_queues(["shopops-sync", "analytics"]) == [Queue.SYNC, Queue.ANALYTICS]
    assert parse_queues("webhooks, exports") == [Queue.WEBHOOKS, Queue.EXPORTS]
    assert parse_queues("") is None and parse_queues(None) is None and parse_queues([]) is None


def test_unknown_queue_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown task queue 'snapshot'"):
        parse_queues(["snapshot"])


def test_cli_refuses_an_unknown_queue() -> None:
    from typer.testing import CliRunner

    from api.cli import app

    result = CliRunner().invoke(app, ["worker", "-q", "nope"])
    assert result.exit_code != 0
    assert "unknown task queue 'nope'" in result.output


async def test_backlog_gauge_is_published(temporal_env: object) -> None:
    from infra.backlog import publish_once
    from infra.temporal_client import connect

    queue = f"shopops-test-backlog-{secrets.token_hex(3)}"
    await publish_once(await connect(), [queue])
    for kind in ("workflow", "activity"):
        value = REGISTRY.get_sample_value("shopops_task_queue_backlog", {"queue": queue, "kind": kind})
        assert value == 0.0  # nothing was ever queued there
