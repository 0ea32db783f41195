"""The world the fuzzers and the tenant matrix run in: two shops, a user of every role.

Shop A holds one object of each kind a route can name by id or key, so a steered id reaches
real rows; shop B's owner is the outsider of the tenant matrix. Callers are bearer API tokens
minted straight into the database: they pass CSRF checks (bearer calls are exempt) and a fresh
one per operation survives a fuzzed logout or token revocation.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from tests.support import fresh_eshop_id

WEBHOOK_KEY = "5f0c8d2a9b7e4c1d8a6f3e2b1c0d9e8f"
ROLES = ("admin", "owner", "manager", "viewer")
MARKER = "tenantA"  # in every text of shop A, so a leak is visible in any response body


@dataclass
class World:
    shop_a: int
    shop_b: int
    eshop_a: int
    users: dict[str, int]  # role (and "outsider", the owner of shop B) -> user id
    emails: dict[str, str]
    password: str  # every user's, for the cookie sign-in of the tenant matrix
    known: dict[str, list[Any]] = field(default_factory=dict)  # path parameter -> shop A's values

    def token(self, db: Session, who: str) -> str:
        """A fresh bearer token of the user `who`."""
        from api.security import new_token, token_hash
        from db.models import ApiToken

        token = new_token()
        db.add(ApiToken(user_id=self.users[who], name=f"fuzz {who}", token_hash=token_hash(token)))
        db.commit()
        return token


def build_world(db: Session) -> World:
    from datetime import date

    from api.cli.users import ensure_user
    from api.security import new_token, token_hash
    from db.models import (
        ApiToken,
        ChannelConnection,
        Export,
        Installation,
        Notification,
        PriceList,
        Report,
        Reseller,
        ResellerKey,
        Shop,
        ShopMembership,
        SnapshotReject,
        SnapshotRun,
        Supplier,
        SupplierOffer,
        WebhookDelivery,
        WebhookEndpoint,
    )

    shop_a = Shop(eshop_id=fresh_eshop_id(), name=f"{MARKER} shop", status="active")
    shop_b = Shop(eshop_id=fresh_eshop_id(), name="other shop", status="active")
    db.add_all([shop_a, shop_b])
    db.flush()
    db.add(Installation(shop_id=shop_a.id, oauth_token="x" * 64, webhook_key=WEBHOOK_KEY))
    users: dict[str, int] = {}
    emails: dict[str, str] = {}
    password = secrets.token_urlsafe(12)
    for who in (*ROLES, "outsider"):
        user = ensure_user(
            db, f"fuzz-{who}-{secrets.token_hex(3)}@example.com", password,
            role="admin" if who == "admin" else "member",
        )
        users[who], emails[who] = user.id, user.email
        if who in ("owner", "manager", "viewer"):
            db.add(ShopMembership(user_id=user.id, shop_id=shop_a.id, role=who))
        if who == "outsider":
            db.add(ShopMembership(user_id=user.id, shop_id=shop_b.id, role="owner"))
    run = SnapshotRun(
        shop_id=shop_a.id, resource="orders", workflow_id=f"snapshot:{shop_a.id}:{MARKER}",
        status="failed", error=f"{MARKER} failure",
    )
    db.add(run)
    db.flush()
    db.add(SnapshotReject(run_id=run.id, shop_id=shop_a.id, line_no=1, raw=f'{{"{MARKER}": 1}}', reason=MARKER))
    note = Notification(shop_id=shop_a.id, level="warning", kind="fuzz", title=f"{MARKER} note", data={})
    db.add(note)
    supplier = Supplier(shop_id=shop_a.id, name=f"{MARKER} supplier")
    db.add(supplier)
    db.flush()
    db.add(SupplierOffer(shop_id=shop_a.id, supplier_id=supplier.id, variant_code=f"{MARKER}/1", unit_price=1))
    # an API token of shop A's owner: another user must not list, see or revoke it
    owner_token = ApiToken(user_id=users["owner"], name=f"{MARKER} token", token_hash=token_hash(new_token()))
    db.add(owner_token)
    # a reseller of shop A with a key: another shop's owner must not list, key or revoke them
    price_list = PriceList(shop_id=shop_a.id, name=f"{MARKER} prices")
    db.add(price_list)
    db.flush()
    reseller = Reseller(shop_id=shop_a.id, price_list_id=price_list.id, name=f"{MARKER} reseller")
    db.add(reseller)
    db.flush()
    reseller_key = ResellerKey(
        reseller_id=reseller.id, name=f"{MARKER} key", prefix="b2b_fuzz", token_hash=token_hash(new_token())
    )
    db.add(reseller_key)
    # this wave's shop-scoped objects: a weekly report, a channel connection, an export, an
    # outbound endpoint with one delivery (shop A's; another shop's user must reach none)
    report = Report(
        shop_id=shop_a.id, kind="weekly_sales", period_start=date(2026, 11, 23),
        period_end=date(2026, 11, 30), data={"marker": MARKER},
    )
    connection = ChannelConnection(
        shop_id=shop_a.id, kind="woocommerce", name=f"{MARKER} store",
        base_url="https://store.example.invalid", consumer_key="ck_fuzz", consumer_secret="cs_fuzz",
    )
    export = Export(shop_id=shop_a.id, user_id=users["owner"], kind="orders", format="csv")
    endpoint = WebhookEndpoint(
        shop_id=shop_a.id, url="https://hooks.example.invalid/shopops", events=["order.created"],
        secret="whsec_fuzz", description=f"{MARKER} endpoint",
    )
    from datetime import date

    from db.models.inventory import Promotion

    promotion = Promotion(shop_id=shop_a.id, name=f"{MARKER} sale", starts_on=date(2026, 11, 1), ends_on=date(2026, 11, 7))
    db.add_all([report, connection, export, endpoint, promotion])
    db.flush()
    delivery = WebhookDelivery(
        endpoint_id=endpoint.id, shop_id=shop_a.id, event="order.created", event_id=f"{MARKER}-1",
        body=b'{"marker": "' + MARKER.encode() + b'"}', status="delivered",
    )
    db.add(delivery)
    db.flush()
    db.commit()
    return World(
        shop_a=shop_a.id,
        shop_b=shop_b.id,
        eshop_a=shop_a.eshop_id,
        users=users,
        emails=emails,
        password=password,
        known={
            "shop_id": [shop_a.id],
            "run_id": [run.id],
            "notification_id": [note.id],
            "order_id": [],  # purchase orders the fuzzer creates are harvested into it
            "code": [f"{MARKER}-1"],
            "variant_code": [f"{MARKER}/1"],
            "supplier_id": [supplier.id],
            "token_id": [owner_token.id],
            "customer_key": [f"{MARKER}@example.com"],
            "workflow_id": [run.workflow_id],
            "schedule_id": ["maint:backup"],
            "action": ["trigger"],  # of a schedule: pause, unpause or trigger
            "reseller_id": [reseller.id],
            "key_id": [reseller_key.id],
            "report_id": [report.id],
            "connection_id": [connection.id],
            "export_id": [str(export.id)],
            "endpoint_id": [endpoint.id],
            "delivery_id": [delivery.id],
            "promotion_id": [promotion.id],
            "kind": ["shoptet_calls"],  # a metered kind (usage budgets)
        },
    )
