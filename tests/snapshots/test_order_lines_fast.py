"""The fast path for order lines (msgspec) gives exactly what the checked path gives: the same
rows for every line, and for a line either refuses, the same reason. Generated orders take the
fast path; edge values and hostile lines are decided by the checked path."""

from __future__ import annotations

import random
from typing import Any

import orjson
import pytest

from activities.snapshots.ingest.documents import fast_order_rows, order_rows, order_rows_from_line
from activities.snapshots.ingest.fields import BadLine
from infra.sandbox.generator import HOSTILE_ORDER_VALUES, ShopSpec, iter_records, make_hostile

SHOP = 7


def _outcome(decide: Any, raw: bytes) -> tuple[str, Any]:
    try:
        return "rows", decide(raw)
    except (BadLine, orjson.JSONDecodeError) as exc:
        return type(exc).__name__, str(exc)


def _checked(raw: bytes) -> Any:
    return order_rows(orjson.loads(raw), SHOP)


def _fast(raw: bytes) -> Any:
    return order_rows_from_line(raw, SHOP)


def _assert_same(raw: bytes) -> None:
    assert _outcome(_fast, raw) == _outcome(_checked, raw), raw[:300]


def _orders(count: int = 120) -> list[dict[str, Any]]:
    return list(iter_records(ShopSpec(eshop_id=1, seed=5, orders=count, mean_items=2.5), "orders"))


def test_generated_orders_take_the_fast_path_with_the_same_rows() -> None:
    for doc in _orders():
        raw = orjson.dumps(doc) + b"\n"
        assert fast_order_rows(raw, str(SHOP)) == _checked(raw)


@pytest.mark.parametrize("kind", list(HOSTILE_ORDER_VALUES))
def test_hostile_orders_get_the_same_reason(kind: str) -> None:
    for doc in _orders(10):
        _assert_same(orjson.dumps(make_hostile(doc, kind)))


def _splice(raw: bytes, field: str, value: bytes) -> bytes:
    """The line with the top-level `field` set to the raw JSON `value` (first occurrence)."""
    key = f'"{field}":'.encode()
    at = raw.index(key) + len(key)
    depth, end, in_string = 0, at, False
    while True:  # skip the old value
        ch = raw[end : end + 1]
        if in_string:
            if ch == b"\\":
                end += 1
            elif ch == b'"':
                in_string = False
        elif ch == b'"':
            in_string = True
        elif ch in b"[{":
            depth += 1
        elif ch in b"]}":
            if depth == 0:
                break
            depth -= 1
        elif ch == b"," and depth == 0:
            break
        end += 1
    return raw[:at] + value + raw[end:]


RAW_EDGES: list[tuple[str, bytes]] = [
    ("email", b'"a\\tb@x.cz"'),  # escapes to undo and COPY-escape
    ("email", b'"a\\\\b@x.cz"'),
    ("email", b'"a\\nb"'),
    ("email", b'"a\\u0000b"'),  # NUL
    ("email", b'"\\u00e1@x.cz"'),  # a Unicode escape, nothing to COPY-escape
    ("email", b'"a\\/b@x.cz"'),
    ("phone", b'"' + b"9" * 50 + b'"'),  # at the limit
    ("phone", b'"' + b"9" * 51 + b'"'),
    ("phone", ('"' + "😀" * 50 + '"').encode()),  # 50 characters, 200 bytes
    ("phone", ('"' + "😀" * 51 + '"').encode()),
    ("phone", b"12345"),  # a number for a text
    ("phone", b'""'),
    ("phone", b"null"),
    ("phone", b"true"),
    ("code", b'""'),
    ("code", b"null"),
    ("code", b"2024000001"),
    ("creationTime", b'"2023-02-29T10:00:00+0100"'),
    ("creationTime", b'"2024-02-29T10:00:00+0100"'),
    ("creationTime", b'"2024-01-01T24:00:00+0100"'),
    ("creationTime", b'"2024-01-01T10:00:00+1600"'),
    ("creationTime", b'"2024-01-01T10:00:00Z"'),
    ("creationTime", b'"2024-01-01T10:00:00.123456+01:00"'),
    ("creationTime", b'"2024-01-01T10:00:00.1234567+01:00"'),
    ("creationTime", b'"2024-01-01 10:00:00+0100"'),
    ("creationTime", b'"\\u0032024-01-01T10:00:00+0100"'),
    ("changeTime", b"null"),
    ("changeTime", b'"0000-01-01T10:00:00+0100"'),
    ("guid", b'"not-a-guid"'),
    ("guid", b'"D31F0305-48AA-4D0F-BD84-5DD5C7C36C18"'),
    ("guid", b'"d31f0305-48aa-4d0f-bd84-5dd5c7c36c18 "'),
    ("paid", b'"yes"'),
    ("paid", b"false"),
    ("status", b'{"id":"5","name":"x"}'),
    ("status", b'{"id":-4,"name":"Stornov\xc3\xa1na"}'),
    ("status", b'{"id":2147483647}'),
    ("status", b'{"id":2147483648}'),
    ("status", b'{"id":-2147483649}'),
    ("status", b'{"id":1.0}'),
    ("status", b'{"id":true}'),
    ("status", b'"done"'),
    ("status", b"[]"),
    ("billingAddress", b"[1,2]"),
    ("billingAddress", b'{"countryCode":"CZE"}'),
    ("billingAddress", b'{"zip":12345}'),
    ("deliveryAddress", b"{}"),
    ("deliveryAddress", b"[]"),
    ("deliveryAddress", b'"Brno"'),
    ("deliveryAddress", b'{"street":"Hlavn\\u00ed 1\\u0000"}'),
    ("deliveryAddress", b'{"street":"say \\"hi\\""}'),
    ("deliveryAddress", b'{"n":1e400}'),
    ("deliveryAddress", b'{"n":123456789012345678901234567890}'),
    ("deliveryAddress", b'{"a":' + b"[" * 300 + b"]" * 300 + b"}"),
    ("price", b'{"withVat":"12.00"}'),
    ("price", b'{"withVat":12}'),
    ("price", b'{"withVat":12.5}'),
    ("price", b'{"withVat":1e20}'),
    ("price", b'{"withVat":"99999999999.99"}'),
    ("price", b'{"withVat":"999999999999.99"}'),
    ("price", b'{"withVat":"999999999999.995"}'),
    ("price", b'{"withVat":"9999999999999.99"}'),
    ("price", b'{"withVat":"0000000000001.00"}'),
    ("price", b'{"withVat":"-0"}'),
    ("price", b'{"withVat":"1."}'),
    ("price", b'{"withVat":".5"}'),
    ("price", b'{"withVat":"1.123456789"}'),
    ("price", b'{"withVat":"\xd9\xa1\xd9\xa2"}'),  # Arabic-Indic digits
    ("price", b'{"withVat":"12.00","exchangeRate":"1234567.12345678"}'),
    ("price", b'{"withVat":"12.00","exchangeRate":"12345678.1"}'),
    ("price", b'{"withVat":"12.00","currencyCode":""}'),
    ("price", b'{"withVat":"12.00","currencyCode":"EURO"}'),
    ("price", b"null"),
    ("price", b'"12.00"'),
    ("items", b"null"),
    ("items", b"{}"),
    ("items", b"[]"),
    ("items", b"[1]"),
    ("items", b"[{}]"),
    ("adminUrl", b'"\xff\xfe"'),  # not UTF-8, in a field no table keeps
    ("adminUrl", b'"\xed\xa0\x80"'),  # a UTF-8-encoded surrogate
    ("adminUrl", b"1e400"),  # beyond a double, in a field no table keeps
    ("adminUrl", b"-1.5E+308"),
    ("adminUrl", b"1e308"),
    ("adminUrl", b"1" + b"0" * 320),
    ("adminUrl", b"0." + b"0" * 320 + b"1"),
    ("adminUrl", b'"\\ud800"'),
    ("adminUrl", b"[" * 1100 + b"]" * 1100),
    ("adminUrl", b'"a\\qb"'),
]

ITEM_EDGES: list[tuple[str, Any]] = [
    ("itemId", "123"),
    ("itemId", 2**63 - 1),
    ("itemId", 2**63),
    ("itemId", -(2**63)),
    ("itemId", 2**64 - 1),
    ("productGuid", None),
    ("itemId", None),
    ("itemType", ""),
    ("itemType", "x" * 31),
    ("name", "x" * 300),
    ("name", "x" * 301),
    ("name", "tab\there"),
    ("name", "back\\slash"),
    ("amount", "1234567890.5"),
    ("amount", "12345678901.5"),
    ("amount", 3),
    ("productGuid", ""),
    ("productGuid", 5),
    ("status", {"id": "-3"}),
    ("status", "x"),
    ("itemPrice", {"withVat": "1.00", "vatRate": "99.99"}),
    ("itemPrice", {"withVat": "1.00", "vatRate": "100.00"}),
    ("itemPrice", {"withVat": "1.00", "vatRate": "999.994"}),
    ("itemPrice", {"withVat": "1.00", "vatRate": 21}),
    ("itemPrice", None),
    ("unitPrice", "1.00"),
    ("unitPrice", {"withVat": None}),
    ("purchasePrice", []),
]


@pytest.mark.parametrize(("field", "value"), RAW_EDGES, ids=[f"{f}={v[:30]!r}" for f, v in RAW_EDGES])
def test_edge_values_are_decided_as_the_checked_path_decides(field: str, value: bytes) -> None:
    for doc in _orders(3):
        _assert_same(_splice(orjson.dumps(doc), field, value))


@pytest.mark.parametrize(("field", "value"), ITEM_EDGES, ids=[f"{f}={str(v)[:30]}" for f, v in ITEM_EDGES])
def test_item_edge_values_are_decided_as_the_checked_path_decides(field: str, value: Any) -> None:
    for doc in _orders(5):
        if doc["items"]:
            doc["items"][-1][field] = value
            _assert_same(orjson.dumps(doc))


def test_lines_that_are_not_orders_get_the_same_reason() -> None:
    raw = orjson.dumps(_orders(1)[0])
    for line in (raw[: len(raw) // 2], b"[1]", b"null", b'"x"', b"\xef\xbb\xbf" + raw, raw + b" 1",
                 raw.replace(b"{", b"{\x01", 1), raw + b"\r\n", b" " + raw + b"\t\n", raw[:-1] + b',"code":"X"}'):
        _assert_same(line)


def test_random_mutations_are_decided_alike() -> None:
    """Seeded: values of every JSON type put into random places of generated orders."""
    rng = random.Random(13)
    pool: list[Any] = [None, "", " ", "x", "12.00", "-0.5", "1e5", 0, -1, 2**31, 2**64 - 1, 1.5, True,
                       [], {}, ["a"], {"id": 1}, "2024-01-01T10:00:00+0100", "\\", "\t", "\x00",
                       "d31f0305-48aa-4d0f-bd84-5dd5c7c36c18", "ž" * 60, "9" * 13]
    docs = _orders(60)
    for _ in range(1500):
        doc = orjson.loads(orjson.dumps(rng.choice(docs)))
        target: Any = doc
        for _ in range(rng.randint(1, 3)):  # walk into a nested object or an item now and then
            choices = [v for v in target.values() if isinstance(v, dict)]
            choices += [i for v in target.values() if isinstance(v, list) for i in v if isinstance(i, dict)]
            if not choices or rng.random() < 0.4:
                break
            target = rng.choice(choices)
        target[rng.choice(list(target))] = rng.choice(pool)
        _assert_same(orjson.dumps(doc))
