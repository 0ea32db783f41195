"""API → Temporal dev server → worker → PostgreSQL and Redis, and the health endpoint."""

from __future__ import annotations

import httpx

from tests.support import MakeShop, MakeUser, login


async def test_health_reports_all_dependencies_up(api: httpx.AsyncClient, temporal_env: object) -> None:
    response = await api.get("/api/health")
    assert response.status_code == 200, response.text
    assert {k: v["status"] for k, v in response.json()["checks"].items()} == {
        "database": "up",
        "redis": "up",
        "temporal": "up",
    }


async def test_system_check_workflow_runs_on_a_worker(api: httpx.AsyncClient, worker: list[object], make_user: MakeUser, make_shop: MakeShop) -> None:
    make_shop()
    admin, password = make_user(role="admin")
    await login(api, admin.email, password)
    response = await api.post("/api/admin/system-check")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["database"] == "up" and body["redis"] == "up" and body["shops"] >= 1
    assert body["workflow_id"].startswith("system-check:")


async def test_search_attributes_are_registered(temporal_env: object) -> None:
    from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest

    from infra.temporal_client import connect, ensure_search_attributes

    client = await connect()
    await ensure_search_attributes(client)  # idempotent on a server that has them
    have = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=client.namespace)
    )
    assert {"ShopId", "ShopResource", "RunKind", "RunStatus"} <= set(have.custom_attributes)
