"""One snapshot run is one connected trace: the API call, the Temporal client, the workflow, each
activity, the Shoptet HTTP calls and the SQL of the ingest, exported by the in-memory exporter."""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind
from sqlalchemy import text

from infra.sandbox.generator import ShopSpec
from infra.telemetry import captured_spans
from infra.temporal_client import connect
from tests.snapshots.conftest import connect_shop, new_eshop_id, sandbox  # noqa: F401 (fixture)
from tests.snapshots.test_snapshot_e2e import wait_for_run
from tests.support import login


def _ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[str]:
    names, parent = [], span.parent
    while parent is not None and parent.span_id in by_id:
        names.append(by_id[parent.span_id].name)
        parent = by_id[parent.span_id].parent
    return names


async def test_snapshot_run_is_one_trace_from_api_call_to_ingest_sql(
    api: Any, worker: Any, live_api: str, sandbox: Any, db_session: Any, make_user: Any  # noqa: F811
) -> None:
    spec = ShopSpec(eshop_id=new_eshop_id(), seed=8, orders=150, products=15, customers=30)
    connected = await connect_shop(sandbox, live_api, db_session, spec)
    user, password = make_user(shops={connected.shop.id: "manager"})
    await login(api, user.email, password)
    try:
        with captured_spans() as exporter:
            started = await api.post(f"/api/shops/{connected.shop.id}/snapshot-runs", json={"resource": "orders"})
            assert started.status_code == 202, started.text
            trace_id = started.headers["x-trace-id"]
            run = await wait_for_run(api, started.json()["id"])
            assert run["status"] == "completed", run
            # the row says completed from inside the last activity, which then still warms the
            # cache and publishes its event: collect once the workflow itself has closed
            await (await connect()).get_workflow_handle(run["workflow_id"]).result()
    finally:  # other suites count orders by shop id; leave none behind
        for table in ("order_items", "orders"):
            db_session.execute(text(f"DELETE FROM {table} WHERE shop_id = :s"), {"s": connected.shop.id})
        db_session.commit()
    spans = [s for s in exporter.get_finished_spans() if format(s.context.trace_id, "032x") == trace_id]
    by_id = {s.context.span_id: s for s in spans}
    roots = [s for s in spans if s.parent is None or s.parent.span_id not in by_id]
    assert [r.name for r in roots] == ["POST /api/shops/{shop_id}/snapshot-runs"], [r.name for r in roots]
    assert roots[0].kind == SpanKind.SERVER and roots[0].attributes["http.response.status_code"] == 202

    names = {s.name for s in spans}
    for expected in ("StartWorkflow:SnapshotWorkflow", "RunWorkflow:SnapshotWorkflow",
                     "RunActivity:request_snapshot_job", "RunActivity:download_result", "RunActivity:ingest_chunk"):
        assert expected in names, f"{expected} missing from {sorted(names)}"

    ingest_sql = [s for s in spans if s.attributes.get("db.system.name") == "postgresql"
                  and "RunActivity:ingest_chunk" in _ancestors(s, by_id)]
    statements = {s.name for s in ingest_sql}
    assert any(n.startswith("COPY") for n in statements), statements
    assert any("orders" in n and n.split()[0] in ("INSERT", "COPY") for n in statements), statements
    assert all("'" not in s.attributes["db.query.text"].replace("'?'", "") for s in ingest_sql)

    shoptet = [s for s in spans if s.kind == SpanKind.CLIENT and str(s.attributes.get("url.full", s.attributes.get("http.url", ""))).startswith(sandbox.url)]
    assert shoptet, "no Shoptet HTTP span in the trace"
    assert any("RunActivity:request_snapshot_job" in _ancestors(s, by_id) for s in shoptet)
    # the API's own SQL (the run row) hangs under the request span too
    assert any(s.attributes.get("db.system.name") and _ancestors(s, by_id)[-1:] == [roots[0].name]
               for s in spans if s is not roots[0])
