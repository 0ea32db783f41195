"""One sandbox shop: its generated data plus a small overlay of edits and deletions made
through the control API, its installation (OAuth token, webhooks, signature key) and its
leaky bucket.

Generated entities are never stored; `OrderEdit`s (a few per test), created orders and the
deletion times of deleted entities are the only per-entity state, so a 300 000-order shop
costs the same memory as a 30-order one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from infra.sandbox import czech
from infra.sandbox.formats import shoptet_time, year_of
from infra.sandbox.generator import (
    ShopSpec,
    customer_detail,
    customer_summary,
    entity_guid,
    guid_index,
    make_hostile,
    order_code,
    order_full,
    order_index,
    order_summary,
    product_detail,
    product_summary,
    shape_order,
    variant_offsets,
)
from infra.sandbox.knobs import Limits
from infra.sandbox.paging import Selection
from infra.sandbox.ratelimit import LeakyBucket

KINDS = ("orders", "products", "customers")

# Mutually exclusive webhook events (409 when both are registered).
EXCLUSIVE_EVENTS = (
    frozenset({"order:update", "order:cancel"}),
    frozenset({"customer:update", "customer:enableOrders"}),
    frozenset({"customer:update", "customer:disableOrders"}),
)


@dataclass(frozen=True)
class OrderEdit:
    changed: int
    status_id: int | None = None
    paid: bool | None = None
    remark: str | None = None
    created: int | None = None  # orders created through the control API
    code: str | None = None
    hostile: str | None = None  # a kind of HOSTILE_ORDER_VALUES its detail carries


@dataclass(frozen=True)
class OrderFilter:
    creation_from: float | None = None
    creation_to: float | None = None
    change_from: float | None = None
    change_to: float | None = None
    code_from: str | None = None
    code_to: str | None = None
    codes: tuple[str, ...] | None = None
    status_id: int | None = None
    customer_guid: str | None = None
    email: str | None = None

    @property
    def needs_scan(self) -> bool:
        return (
            self.status_id is not None or self.customer_guid is not None or self.email is not None
        )


@dataclass(frozen=True)
class TimeFilter:
    creation_from: float | None = None
    creation_to: float | None = None
    change_from: float | None = None
    change_to: float | None = None


class ShopData:
    """Read and edit one shop's orders, products and customers."""

    def __init__(self, spec: ShopSpec) -> None:
        self.spec = spec
        self.edits: dict[int, OrderEdit] = {}
        self.created_codes: dict[str, int] = {}
        # kind -> {index: deletion time}; a deleted index stays taken (codes/GUIDs are not reused)
        self.deleted: dict[str, dict[int, int]] = {kind: {} for kind in KINDS}

    def frozen(self) -> ShopData:
        """A copy whose overlay no longer changes, for snapshot jobs running in a thread."""
        twin = ShopData(self.spec)
        twin.edits = dict(self.edits)
        twin.created_codes = dict(self.created_codes)
        twin.deleted = {kind: dict(gone) for kind, gone in self.deleted.items()}
        return twin

    # -- deletions (all three kinds)

    def is_deleted(self, kind: str, i: int) -> bool:
        return i in self.deleted[kind]

    def live_count(self, kind: str) -> int:
        total = self.order_count if kind == "orders" else self.count(kind)
        return total - len(self.deleted[kind])

    def delete(self, kind: str, i: int, now: float) -> int:
        """Mark entity `i` deleted at `now`; returns the deletion time (its feed change time)."""
        when = int(now)
        self.deleted[kind][i] = when
        return when

    def _deleted_holes(self, kind: str, lo: int, hi: int) -> set[int]:
        return {i for i in self.deleted[kind] if lo <= i < hi}

    def _deleted_since(self, kind: str, since: float) -> list[int]:
        """Deleted indexes whose deletion is at or after `since`, by deletion time."""
        gone = self.deleted[kind]
        return sorted((i for i, when in gone.items() if when >= since), key=lambda i: (gone[i], i))

    def _change_entry(self, kind: str, i: int, changed: int) -> tuple[str, int]:
        """(changeType, changeTime) of the entity's latest change: a deletion hides any edit."""
        gone = self.deleted[kind].get(i)
        return ("delete", gone) if gone is not None else ("edit", changed)

    # -- orders

    @property
    def order_count(self) -> int:
        return self.spec.orders + len(self.created_codes)

    def order_index(self, code: str) -> int | None:
        """Index of the live order with this code; None for unknown and deleted codes."""
        i = self.created_codes[code] if code in self.created_codes else order_index(self.spec, code)
        return None if i is None or self.is_deleted("orders", i) else i

    def order_created(self, i: int) -> int:
        edit = self.edits.get(i)
        if edit is not None and edit.created is not None:
            return edit.created
        return self.spec.timeline.order_time(i)

    def order_changed(self, i: int) -> int:
        edit = self.edits.get(i)
        return edit.changed if edit is not None else self.spec.timeline.order_change_time(i)

    def order_code(self, i: int) -> str:
        edit = self.edits.get(i)
        if edit is not None and edit.code is not None:
            return edit.code
        return order_code(self.spec, i)

    def order_full(self, i: int) -> dict[str, Any]:
        full = order_full(self.spec, i)
        edit = self.edits.get(i)
        if edit is None:
            return full
        if edit.code is not None:
            full["code"] = edit.code
        if edit.created is not None:
            full["creationTime"] = shoptet_time(edit.created)
        full["changeTime"] = shoptet_time(edit.changed)
        if edit.status_id is not None:
            status = {"id": edit.status_id, "name": czech.STATUS_NAMES[edit.status_id]}
            full["status"] = status
            for item in full["items"]:
                item["status"] = status
        if edit.paid is not None:
            full["paid"] = edit.paid
        if edit.remark is not None:
            full["notes"]["customerRemark"] = edit.remark
        if edit.hostile:
            full = make_hostile(full, edit.hostile)
        return full

    def order_detail(self, i: int, include: frozenset[str] = frozenset()) -> dict[str, Any]:
        return shape_order(self.order_full(i), include)

    def order_summary(self, i: int) -> dict[str, Any]:
        return order_summary(self.order_full(i))

    def _order_matches(self, i: int, f: OrderFilter) -> bool:
        if self.is_deleted("orders", i):
            return False
        created, changed, code = self.order_created(i), self.order_changed(i), self.order_code(i)
        return (
            (f.creation_from is None or created >= f.creation_from)
            and (f.creation_to is None or created <= f.creation_to)
            and (f.change_from is None or changed >= f.change_from)
            and (f.change_to is None or changed <= f.change_to)
            and (f.code_from is None or code >= f.code_from)
            and (f.code_to is None or code <= f.code_to)
        )

    def _first_code_at_least(self, code: str) -> int:
        lo, hi = 0, self.spec.orders
        while lo < hi:
            mid = (lo + hi) // 2
            if order_code(self.spec, mid) >= code:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def select_orders(self, f: OrderFilter) -> Selection:
        """Orders matching `f`, in creation order; scans only for status/customer/email filters."""
        if f.codes is not None:
            found = sorted(i for i in (self.order_index(c) for c in f.codes) if i is not None)
            return Selection.of(found)
        tl, n = self.spec.timeline, self.spec.orders
        lo, hi = 0, n
        if f.creation_from is not None:
            lo = max(lo, tl.first_order_at(f.creation_from))
        if f.creation_to is not None:
            hi = min(hi, tl.first_order_at(f.creation_to + 1))
        if f.change_from is not None:
            lo = max(lo, tl.first_order_changed_at(f.change_from))
        if f.change_to is not None:
            hi = min(hi, tl.first_order_changed_at(f.change_to + 1))
        if f.code_from is not None:
            lo = max(lo, self._first_code_at_least(f.code_from))
        if f.code_to is not None:
            hi = min(hi, self._first_code_at_least(f.code_to + "\x7f"))
        hi = max(lo, hi)
        touched = sorted(self.edits.keys() | self.deleted["orders"].keys())
        holes = [i for i in touched if lo <= i < hi and not self._order_matches(i, f)]
        head = [i for i in touched if i < lo and self._order_matches(i, f)]
        tail = [i for i in touched if i >= hi and self._order_matches(i, f)]
        selection = Selection(lo=lo, hi=hi, holes=holes, head=head, tail=tail)
        if not f.needs_scan:
            return selection
        matches = []
        for i in selection.window(0, len(selection)):
            full = self.order_full(i)
            if (
                (f.status_id is None or full["status"]["id"] == f.status_id)
                and (f.customer_guid is None or full["customerGuid"] == f.customer_guid)
                and (f.email is None or (full["email"] or "").lower() == f.email.lower())
            ):
                matches.append(i)
        return Selection.of(matches)

    def order_changes(self, since: float, change_type: str | None = None) -> Selection:
        """The change feed: every order changed (or deleted) at or after `since`, once, with
        only its latest change, by change time; `change_type` keeps only edits or deletions.

        Generated, untouched orders form the range; edited, created and deleted ones leave it
        as holes and come back in the tail at their overlay time (edits and deletions happen
        on the sandbox clock, after the generated history)."""
        gone = self.deleted["orders"]
        if change_type == "delete":
            return Selection(tail=self._deleted_since("orders", since))
        lo, n = self.spec.timeline.first_order_changed_at(since), self.spec.orders
        touched = self.edits.keys() | gone.keys()
        holes = sorted(i for i in touched if lo <= i < n)
        wanted = self.edits.keys() - gone.keys() if change_type == "edit" else touched
        timed = [(self._order_feed_time(i), i) for i in wanted]
        tail = [i for when, i in sorted(timed) if when >= since]
        return Selection(lo=lo, hi=n, holes=holes, tail=tail)

    def _order_feed_time(self, i: int) -> int:
        return self._change_entry("orders", i, self.order_changed(i))[1]

    def order_change_item(self, i: int) -> dict[str, Any]:
        change_type, changed = self._change_entry("orders", i, self.order_changed(i))
        return {
            "code": self.order_code(i),
            "changeTime": shoptet_time(changed),
            "changeType": change_type,
        }

    def create_order(self, now: float) -> str:
        """Append an order created now; its content comes from the generator at a new index."""
        i = self.order_count
        tl = self.spec.timeline
        last_generated = tl.order_time(self.spec.orders - 1) if self.spec.orders else 0
        created = int(max(now, last_generated + 1))
        year = year_of(created)
        generated_in_year = tl.year_first(year + 1) - tl.year_first(year)
        created_in_year = sum(1 for code in self.created_codes if code.startswith(str(year)))
        code = f"{year}{generated_in_year + created_in_year + 1:06d}"
        self.edits[i] = OrderEdit(
            changed=created, status_id=-1, paid=False, created=created, code=code
        )
        self.created_codes[code] = i
        return code

    def update_order(self, code: str, now: float, **changes: Any) -> int:
        """Apply status/paid/remark changes; returns the order index. Raises KeyError if
        unknown or deleted."""
        i = self.order_index(code)
        if i is None:
            raise KeyError(code)
        current = self.edits.get(i) or OrderEdit(changed=int(now))
        self.edits[i] = replace(
            current, changed=int(now), **{k: v for k, v in changes.items() if v is not None}
        )
        return i

    # -- products and customers

    def count(self, kind: str) -> int:
        return self.spec.products if kind == "products" else self.spec.customers

    def select_by_time(self, kind: str, f: TimeFilter) -> Selection:
        tl, n = self.spec.timeline, self.count(kind)
        lo, hi = 0, n
        if f.creation_from is not None:
            lo = max(lo, tl.first_at(kind, f.creation_from))
        if f.creation_to is not None:
            hi = min(hi, tl.first_at(kind, f.creation_to + 1))
        if f.change_from is not None:
            lo = max(lo, tl.first_at(kind, f.change_from, change=True))
        if f.change_to is not None:
            hi = min(hi, tl.first_at(kind, f.change_to + 1, change=True))
        hi = max(lo, hi)
        return Selection(lo=lo, hi=hi, holes=sorted(self._deleted_holes(kind, lo, hi)))

    def changes(self, kind: str, since: float, change_type: str | None = None) -> Selection:
        """The change feed: generated changes at or after `since`, minus deleted entities,
        which follow at their deletion time (the only change Shoptet still reports for them)."""
        deletions = self._deleted_since(kind, since)
        if change_type == "delete":
            return Selection(tail=deletions)
        lo, n = self.spec.timeline.first_at(kind, since, change=True), self.count(kind)
        holes = sorted(self._deleted_holes(kind, lo, n))
        return Selection(lo=lo, hi=n, holes=holes, tail=[] if change_type == "edit" else deletions)

    def change_item(self, kind: str, index: int) -> dict[str, Any]:
        tl = self.spec.timeline
        generated = (
            tl.product_change_time(index) if kind == "products" else tl.customer_change_time(index)
        )
        change_type, changed = self._change_entry(kind, index, generated)
        return {
            "guid": entity_guid(self.spec, kind[:-1], index),
            "changeTime": shoptet_time(changed),
            "changeType": change_type,
        }

    def find(self, kind: str, guid: str) -> int | None:
        """Index of the live product/customer with this GUID; None for unknown and deleted."""
        i = guid_index(self.spec, kind[:-1], guid, self.count(kind))
        return None if i is None or self.is_deleted(kind, i) else i

    def summary(self, kind: str, index: int) -> dict[str, Any]:
        return (
            product_summary(self.spec, index)
            if kind == "products"
            else customer_summary(self.spec, index)
        )

    def supply_positions(self) -> Selection:
        """Rows of a stock's supplies (one per variant): a deleted product's variants are gone."""
        offsets = variant_offsets(self.spec)
        holes = sorted(
            pos for j in self.deleted["products"] for pos in range(offsets[j], offsets[j + 1])
        )
        return Selection(lo=0, hi=offsets[-1], holes=holes)

    def detail(
        self, kind: str, index: int, include: frozenset[str] = frozenset()
    ) -> dict[str, Any]:
        if kind == "products":
            return product_detail(self.spec, index, include)
        return customer_detail(self.spec, index)


@dataclass
class Webhook:
    id: int
    event: str
    url: str
    created: float
    updated: float | None = None
    send_payload: str | None = None

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "event": self.event,
            "url": self.url,
            "created": shoptet_time(self.created),
            "updated": shoptet_time(self.updated) if self.updated else None,
            "sendPayload": self.send_payload,
        }


@dataclass
class Installation:
    oauth_token: str
    installed_at: float
    status: str = "active"  # active | suspended | uninstalled
    signature_key: str | None = None
    webhooks: dict[int, Webhook] = field(default_factory=dict)

    def webhook_for(self, event: str) -> Webhook | None:
        return next((w for w in self.webhooks.values() if w.event == event), None)


class Shop:
    def __init__(self, spec: ShopSpec, limits: Limits) -> None:
        self.spec = spec
        self.data = ShopData(spec)
        self.installation: Installation | None = None
        self.bucket = LeakyBucket(limits)

    def describe(self) -> dict[str, Any]:
        spec = self.spec
        return {
            "eshopId": spec.eshop_id,
            "eshopUrl": spec.eshop_url,
            "seed": spec.seed,
            "orders": self.data.live_count("orders"),
            "products": self.data.live_count("products"),
            "customers": self.data.live_count("customers"),
            "deleted": {kind: len(gone) for kind, gone in self.data.deleted.items()},
            "meanItems": spec.mean_items,
            "dateFrom": spec.date_from.isoformat(),
            "dateTo": spec.date_to.isoformat(),
            "stocks": spec.stocks,
            "installed": self.installation is not None,
            "installationStatus": self.installation.status if self.installation else None,
            "webhooks": len(self.installation.webhooks) if self.installation else 0,
        }
