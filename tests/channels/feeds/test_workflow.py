"""The feeds end to end: the owner enables them (a per-shop schedule appears), the workflow
writes every format, the stable URL serves them with validators and gzip, the token guards them,
and the owner routes are scoped to the caller's shops."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg
from lxml import etree

from infra.temporal_client import connect
from tests.channels.feeds.conftest import SHOP_URL, catalog_shop, record_history
from tests.support import MakeShop, MakeUser, assert_problem, login
from workflows.feeds import FeedsRequest, FeedsWorkflow, feeds_workflow_id
from workflows.queues import Queue

SCHEMAS = Path(__file__).resolve().parent / "schemas"
ITEMS = 40
SETTINGS = {
    "enabled": True,
    "delivery": [{"id": "PPL", "price": "89", "price_cod": "119"}],
    "out_of_stock_days": 7,
}


def path_of(url: str) -> str:
    return urlsplit(url).path


async def test_feeds_generated_by_the_workflow_and_served_at_their_url(
    api: httpx.AsyncClient,
    worker: Any,
    make_shop: MakeShop,
    make_user: MakeUser,
    pg: psycopg.Connection[Any],
) -> None:
    shop_id = catalog_shop(make_shop, pg, ITEMS)
    owner, password = make_user(shops={shop_id: "owner"})
    await login(api, owner.email, password)

    assert (await api.get(f"/api/shops/{shop_id}/feeds")).json() is None
    configured = await api.put(f"/api/shops/{shop_id}/feeds", json=SETTINGS)
    assert configured.status_code == 200, configured.text
    urls = configured.json()["urls"]
    assert set(urls) == {"heureka", "zbozi", "google", "idealo"}
    client = await connect()
    schedule = await client.get_schedule_handle(f"feeds:{shop_id}").describe()
    assert schedule.id == f"feeds:{shop_id}"

    # not generated yet: a clear 404, not an empty feed
    assert_problem(await api.get(path_of(urls["heureka"])), 404)

    handle = await client.start_workflow(
        FeedsWorkflow.run,
        FeedsRequest(shop_id),
        id=feeds_workflow_id(shop_id),
        task_queue=Queue.EXPORTS.value,
    )
    result = await handle.result()
    assert result.status == "completed" and result.items == ITEMS
    assert {w.format: w.items for w in result.written} == {
        "heureka": ITEMS, "zbozi": ITEMS, "google": ITEMS, "idealo": ITEMS,
    }  # fmt: skip
    await record_history(handle, "feeds")
    assert (await api.get(f"/api/shops/{shop_id}/feeds")).json()["items"]["heureka"] == ITEMS

    # gzip to a client that accepts it (httpx decompresses), with its validators
    heureka = await api.get(path_of(urls["heureka"]), headers={"Accept-Encoding": "gzip"})
    assert heureka.status_code == 200
    assert heureka.headers["content-encoding"] == "gzip"
    assert heureka.headers["content-type"].startswith("application/xml")
    etag, modified = heureka.headers["etag"], heureka.headers["last-modified"]
    doc = etree.fromstring(heureka.content)
    xsd = etree.XMLSchema(etree.parse(str(SCHEMAS / "heureka.xsd")))
    assert xsd.validate(doc), xsd.error_log
    assert len(doc.findall("SHOPITEM")) == ITEMS
    assert doc.find("SHOPITEM/DELIVERY/DELIVERY_ID").text == "PPL"  # type: ignore[union-attr]
    first = doc.find("SHOPITEM")
    assert first is not None and (first.findtext("URL") or "").startswith(SHOP_URL)

    again = await api.get(
        path_of(urls["heureka"]), headers={"Accept-Encoding": "gzip", "If-None-Match": etag}
    )
    assert again.status_code == 304 and not again.content
    since = await api.get(
        path_of(urls["heureka"]), headers={"Accept-Encoding": "gzip", "If-Modified-Since": modified}
    )
    assert since.status_code == 304

    # HEAD answers the validators without the body, compressed or not
    for encoding in ("gzip", "identity"):
        head = await api.head(path_of(urls["heureka"]), headers={"Accept-Encoding": encoding})
        assert (
            head.status_code == 200
            and not head.content
            and head.headers["last-modified"] == modified
        )

    # a client without gzip gets the same bytes uncompressed, under its own ETag
    plain = await api.get(path_of(urls["heureka"]), headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    assert plain.content == heureka.content and plain.headers["etag"] != etag

    zbozi = etree.fromstring((await api.get(path_of(urls["zbozi"]))).content)
    zbozi_xsd = etree.XMLSchema(etree.parse(str(SCHEMAS / "zbozi.xsd")))
    assert zbozi_xsd.validate(zbozi), zbozi_xsd.error_log
    google = await api.get(path_of(urls["google"]))
    assert (
        google.status_code == 200 and b'xmlns:g="http://base.google.com/ns/1.0"' in google.content
    )
    idealo = await api.get(path_of(urls["idealo"]))
    assert idealo.headers["content-type"].startswith("text/csv")
    assert idealo.text.splitlines()[0].startswith("sku,title,")

    # a guessed token or file name finds nothing
    token = path_of(urls["heureka"]).split("/")[2]
    assert_problem(await api.get(f"/feeds/{secrets.token_urlsafe(32)}/heureka.xml"), 404)
    assert_problem(await api.get(f"/feeds/{token}/secret.xml"), 404)
    assert_problem(await api.get("/feeds/short/heureka.xml"), 422)

    # a new token: the old URL stops working, the new one serves the same file
    rotated = (await api.post(f"/api/shops/{shop_id}/feeds/token")).json()["urls"]["heureka"]
    assert rotated != urls["heureka"]
    assert_problem(await api.get(path_of(urls["heureka"])), 404)
    assert (await api.get(path_of(rotated))).status_code == 200

    # disabling removes the schedule and closes the URLs
    off = await api.put(f"/api/shops/{shop_id}/feeds", json={**SETTINGS, "enabled": False})
    assert off.status_code == 200 and off.json()["enabled"] is False
    assert_problem(await api.get(path_of(rotated)), 404)
    schedules = [s.id async for s in await client.list_schedules()]
    assert f"feeds:{shop_id}" not in schedules


async def test_feed_settings_are_scoped_to_the_callers_shops(
    api: httpx.AsyncClient, make_shop: MakeShop, make_user: MakeUser, temporal_env: Any
) -> None:
    mine, theirs = make_shop(), make_shop()
    viewer, password = make_user(shops={mine.id: "viewer"})
    await login(api, viewer.email, password)
    assert_problem(await api.get(f"/api/shops/{theirs.id}/feeds"), 404)
    assert_problem(await api.put(f"/api/shops/{theirs.id}/feeds", json=SETTINGS), 404)
    assert_problem(await api.post(f"/api/shops/{theirs.id}/feeds/generate"), 404)
    # a viewer reads but does not change
    assert (await api.get(f"/api/shops/{mine.id}/feeds")).status_code == 200
    assert_problem(await api.put(f"/api/shops/{mine.id}/feeds", json=SETTINGS), 403)
    # hostile settings are a 422 problem
    manager, pw = make_user(shops={mine.id: "manager"})
    await login(api, manager.email, pw)
    bad = {**SETTINGS, "delivery": [{"id": "ppl <x>", "price": "-1"}]}
    assert_problem(await api.put(f"/api/shops/{mine.id}/feeds", json=bad), 422)
