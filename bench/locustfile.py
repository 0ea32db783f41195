"""The merchant load for `make load` (bench/load.py starts locust with this file).

50 merchants (MerchantUser, each signed in with its own API token, a member of the shop) read
their shop as the UI does: order lists with filters and at
depth (a cursor into the middle of six years of orders), order detail, the search box (orders
`q`, and the global search box over products, orders and customers), customers, inventory,
snapshot and analysis progress polling; WebhookUser posts Shoptet
notifications signed as Shoptet signs them (HMAC-SHA1 of the body, hex, in
Shoptet-Webhook-Signature) at LOAD_WEBHOOK_RATE per second in all.

Everything it needs comes from the JSON file in LOAD_PLAN (written by bench/load.py).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import random
import secrets
import time
from datetime import UTC, datetime

import gevent
from locust import FastHttpUser, between, constant_throughput, events, task

PLAN = json.loads(open(os.environ["LOAD_PLAN"]).read())  # noqa: SIM115 (read once at import)
HOSTS = itertools.cycle(PLAN["hosts"])
TOKENS = itertools.cycle(PLAN["tokens"])
SHOP = PLAN["shop_id"]
WEBHOOK_USERS = int(os.environ.get("LOAD_WEBHOOK_USERS", "8"))
SLOW_MS = 500  # requests slower than this are written to LOAD_SLOW_LOG with their moment
SLOW: list[tuple[float, str, float]] = []


@events.request.add_listener
def _slow(request_type: str, name: str, response_time: float, **_: object) -> None:
    if response_time > SLOW_MS:
        SLOW.append((time.time() - response_time / 1000, name, response_time))


@events.quitting.add_listener
def _write_slow(**_: object) -> None:
    if path := os.environ.get("LOAD_SLOW_LOG"):
        with open(path, "w") as fh:
            json.dump(SLOW, fh)


class MerchantUser(FastHttpUser):
    fixed_count = int(os.environ.get("LOAD_USERS", "50"))
    wait_time = between(0.5, 2.0)

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.host = next(HOSTS)  # users spread over the API processes, as a proxy would
        super().__init__(*args, **kwargs)
        self.rng = random.Random()

    def on_start(self) -> None:
        # signed in already: each merchant has its own personal API token (bench/load.py)
        self.auth = {"Authorization": f"Bearer {next(TOKENS)}"}
        # merchants who are already at work, not 50 who click in the same millisecond: the
        # first request comes after a random part of one think time (spawned all at once, the
        # 58 first requests landed together and were most of every endpoint's p95)
        gevent.sleep(self.rng.uniform(0, 2.0))

    def _get(self, path: str, name: str, **params: object) -> None:
        with self.client.get(path, params=params or None, name=name, headers=self.auth,
                             catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}: {(r.text or '')[:200]}")

    @task(4)
    def orders_first_page(self) -> None:
        filters = self.rng.choice(PLAN["filters"])
        self._get(f"/api/shops/{SHOP}/orders", "GET orders (filters)", limit=50, **filters)

    @task(4)
    def orders_at_depth(self) -> None:
        self._get(f"/api/shops/{SHOP}/orders", "GET orders (depth)",
                  cursor=self.rng.choice(PLAN["cursors"]), limit=50)

    @task(3)
    def order_detail(self) -> None:
        self._get(f"/api/shops/{SHOP}/orders/{self.rng.choice(PLAN['codes'])}", "GET order detail")

    @task(2)
    def search(self) -> None:
        self._get(f"/api/shops/{SHOP}/orders", "GET orders (search q)",
                  q=self.rng.choice(PLAN["codes"])[:5], limit=50)

    @task(1)
    def status_counts(self) -> None:
        self._get(f"/api/shops/{SHOP}/order-statuses", "GET order-statuses")

    @task(2)
    def search_box(self) -> None:
        """The UI's search box: products, orders and customers of the shop, with facets."""
        self._get("/api/search", "GET search", q=self.rng.choice(PLAN["codes"])[:5], shop_id=SHOP, limit=20)

    @task(2)
    def customers(self) -> None:
        path = self.rng.choice(["segments", "at-risk", "reports"])
        self._get(f"/api/shops/{SHOP}/customers/{path}", f"GET customers/{path}")

    @task(2)
    def inventory(self) -> None:
        path = self.rng.choice(["recommendations", "anomalies", "runs"])
        self._get(f"/api/shops/{SHOP}/inventory/{path}", f"GET inventory/{path}")

    @task(3)
    def progress(self) -> None:
        """What the UI polls every few seconds while a snapshot or an analysis runs."""
        if self.rng.random() < 0.5:
            self._get(f"/api/shops/{SHOP}/snapshot-runs", "GET snapshot-runs (poll)")
        else:
            self._get(f"/api/shops/{SHOP}/inventory/run", "GET inventory/run (poll)")

    @task(1)
    def shop_counts(self) -> None:
        self._get(f"/api/shops/{SHOP}/counts", "GET shop counts")


class WebhookUser(FastHttpUser):
    fixed_count = WEBHOOK_USERS
    wait_time = constant_throughput(float(os.environ.get("LOAD_WEBHOOK_RATE", "200")) / max(1, WEBHOOK_USERS))

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.host = next(HOSTS)
        super().__init__(*args, **kwargs)
        self.rng = random.Random()

    def on_start(self) -> None:
        gevent.sleep(self.rng.uniform(0, WEBHOOK_USERS / float(os.environ.get("LOAD_WEBHOOK_RATE", "200"))))

    @task
    def notify(self) -> None:
        body = json.dumps({
            "eshopId": PLAN["eshop_id"],
            "event": self.rng.choice(["order:update", "order:create", "customer:update", "stock:update"]),
            "eventCreated": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "eventInstance": f"{self.rng.choice(PLAN['codes'])}-{secrets.token_hex(4)}",
        })
        sign = hmac.new(PLAN["webhook_key"].encode(), body.encode(), hashlib.sha1).hexdigest()
        with self.client.post("/api/webhooks/shoptet", data=body, name="POST webhook",
                              headers={"Content-Type": "application/json", "Shoptet-Webhook-Signature": sign},
                              catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}: {(r.text or '')[:200]}")
