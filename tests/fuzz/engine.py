"""`make fuzz`: schemathesis over every operation of the OpenAPI schema, and the webhook receiver.

Each operation is fuzzed with schema-valid (positive) and schema-breaking (negative) inputs, as
each role of shop A. Path parameters are steered to shop A's real ids half of the time, and ids
from 2xx answers are harvested into that pool (a purchase order the fuzzer created is then
received, cancelled, read): the stateful part, without OpenAPI links. A 5xx is a failure; the
summary's last line is `cases=<n> server_errors=<m>`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from requests.adapters import HTTPAdapter
from schemathesis import GenerationMode

from tests.fuzz.world import ROLES, WEBHOOK_KEY, World

TIMEOUT = 30.0  # seconds per request: a hang is reported, not waited out
# The fuzzer's own loopback address: its thousands of failed sign-ins throttle this address,
# not 127.0.0.1 that every other test of the session signs in from.
SOURCE_ADDRESS = ("127.0.0.2", 0)
WEBHOOK_URL = "/api/webhooks/shoptet"
MAX_BODY = 64 * 1024


@dataclass
class Report:
    cases: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    server_errors: list[str] = field(default_factory=list)
    timeouts: list[str] = field(default_factory=list)
    unsendable: int = 0  # inputs the HTTP client itself refuses (e.g. a NUL in a header)

    def record(self, label: str, response: requests.Response) -> None:
        self.cases += 1
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        if response.status_code >= 500 and response.status_code not in (502, 503, 504):
            request = response.request
            self.server_errors.append(
                f"{label}: {response.status_code} {request.method} {request.url} "
                f"body={(request.body or b'')[:200]!r} -> {response.text[:300]}"
            )

    def summary(self) -> str:
        lines = [f"statuses {dict(sorted(self.statuses.items()))}"]
        lines += [f"SERVER ERROR {e}" for e in self.server_errors[:50]]
        lines += [f"TIMEOUT {t}" for t in self.timeouts[:20]]
        lines.append(f"unsendable={self.unsendable} timeouts={len(self.timeouts)}")
        lines.append(f"cases={self.cases} server_errors={len(self.server_errors)}")
        return "\n".join(lines)


class _FromFuzzAddress(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = SOURCE_ADDRESS
        super().init_poolmanager(*args, **kwargs)


def http_session() -> requests.Session:
    session = requests.Session()
    session.mount("http://", _FromFuzzAddress())
    return session


def _send(report: Report, label: str, http: requests.Session, **kwargs: Any) -> requests.Response | None:
    try:
        response = http.request(timeout=TIMEOUT, allow_redirects=False, **kwargs)
    except requests.Timeout:
        report.timeouts.append(f"{label}: {kwargs.get('method')} {kwargs.get('url')}")
        return None
    except (requests.exceptions.InvalidHeader, requests.exceptions.InvalidURL, UnicodeError, ValueError):
        report.unsendable += 1
        return None
    report.record(label, response)
    return response


def _harvest(world: World, path: str, response: requests.Response) -> None:
    """Ids from 2xx answers feed later cases (a created purchase order, a new snapshot run)."""
    if not response.ok or "json" not in response.headers.get("content-type", ""):
        return
    target = {"purchase-orders": "order_id", "snapshot-runs": "run_id"}
    pool = next((world.known[p] for key, p in target.items() if key in path), None)
    if pool is None:
        return
    body = response.json()
    rows = body.get("items", [body]) if isinstance(body, dict) else []
    for row in rows[:5]:
        if isinstance(row, dict) and isinstance(row.get("id"), int) and row["id"] not in pool:
            pool.append(row["id"])
            del pool[:-20]


def _operation_test(
    world: World, base_url: str, http: requests.Session, op: Any, mode: GenerationMode,
    tokens: dict[str, str], examples: int, report: Report, rng_seed: int,
) -> Callable[[], None]:
    @seed(rng_seed)
    @settings(
        max_examples=examples, database=None, deadline=None, phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=op.as_strategy(generation_mode=mode), role=st.sampled_from(ROLES),
           steer=st.randoms(use_true_random=False))
    def run(case: Any, role: str, steer: random.Random) -> None:
        for name in list(case.path_parameters or {}):
            pool = world.known.get(name) or []
            if pool and steer.random() < 0.5:
                case.path_parameters[name] = steer.choice(pool)
        kwargs = case.as_transport_kwargs(
            base_url=base_url, headers={"Authorization": f"Bearer {tokens[role]}"}
        )
        response = _send(report, f"{op.label} as {role} ({mode.value})", http, **kwargs)
        if response is not None:
            _harvest(world, op.path, response)

    return run


def fuzz_api(
    world: World, base_url: str, token_of: Callable[[str], str], examples: int, report: Report,
    rng_seed: int = 0,
) -> int:
    """Fuzz every operation; returns the number of operations in the schema."""
    raw = requests.get(f"{base_url}/api/openapi.json", timeout=TIMEOUT).json()
    schema = schemathesis.openapi.from_dict(raw)
    operations = [result.ok() for result in schema.get_all_operations()]
    http = http_session()
    for op in operations:
        tokens = {role: token_of(role) for role in ROLES}  # fresh: a fuzzed logout may revoke
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _operation_test(world, base_url, http, op, mode, tokens, examples, report, rng_seed)()
            except Unsatisfiable:  # nothing to break in a negative case of a parameterless route
                continue
    return len(operations)


# ------------------------------------------------------------------------------- webhooks

EVENTS = ("order:create", "order:update", "job:finished", "product:update", "customer:create",
          "stock:change", "unknown:thing")


def _created() -> st.SearchStrategy[Any]:
    when = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                        timezones=st.timezones() | st.just(UTC))
    return st.one_of(
        when.map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S%z")),
        when.map(lambda d: d.isoformat()),
        st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)).map(
            lambda d: d.strftime("%Y-%m-%dT%H:%M:%S+0100")
        ),
        st.text(max_size=40), st.integers(), st.none(),
    )


def _notes(eshop_id: int) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "eshopId": st.one_of(st.just(eshop_id), st.integers(), st.integers(min_value=2**62, max_value=2**80),
                                 st.text(max_size=10), st.floats(), st.booleans(), st.none()),
            "event": st.one_of(st.sampled_from(EVENTS), st.text(max_size=150), st.integers()),
            "eventCreated": _created(),
            "eventInstance": st.one_of(st.text(max_size=50), st.text(min_size=400, max_size=700),
                                       st.integers(), st.none()),
        },
        optional={"extra": st.dictionaries(
            st.text(max_size=5),
            st.one_of(st.none(), st.integers(), st.text(max_size=20), st.lists(st.integers(), max_size=3)),
            max_size=3,
        )},
    )


def _bodies(eshop_id: int) -> st.SearchStrategy[bytes]:
    return st.one_of(
        _notes(eshop_id).map(lambda doc: json.dumps(doc, ensure_ascii=False).encode("utf-8", "surrogatepass")),
        st.binary(max_size=600),
        st.sampled_from([b"", b"null", b"[]", b"{}", b'"x"', b"1e999999", b"{" * 5000]),
        st.integers(min_value=MAX_BODY - 64, max_value=3 * MAX_BODY).map(
            lambda n: (b'{"eshopId": 1, "pad": "' + b"x" * n + b'"}')
        ),
    )


SIGNATURES = ("valid", "none", "random", "upper", "non-ascii", "truncated", "padded")


def _signature(kind: str, body: bytes, draw_text: str) -> bytes | None:
    good = hmac.new(WEBHOOK_KEY.encode(), body, hashlib.sha1).hexdigest()
    return {
        "valid": good.encode(), "none": None, "random": draw_text.encode("utf-8", "surrogatepass")[:200],
        "upper": good.upper().encode(), "non-ascii": ("é" + good[1:]).encode(),
        "truncated": good[:-1].encode(), "padded": f"  {good}  ".encode(),
    }[kind]


def fuzz_webhooks(world: World, base_url: str, examples: int, report: Report, rng_seed: int = 0) -> None:
    http = http_session()

    @seed(rng_seed)
    @settings(max_examples=examples, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(body=_bodies(world.eshop_a), kind=st.sampled_from(SIGNATURES), text=st.text(max_size=60),
           declared=st.sampled_from(["actual", "none", "lie"]))
    def run(body: bytes, kind: str, text: str, declared: str) -> None:
        headers: dict[str, Any] = {"Content-Type": "application/json"}
        sig = _signature(kind, body, text)
        if sig is not None:
            headers["Shoptet-Webhook-Signature"] = sig
        data: Any = body
        if declared == "none":  # chunked: no Content-Length to trust
            data = iter([body[i : i + 8192] for i in range(0, len(body), 8192)] or [b""])
        elif declared == "lie" and len(body) > 10:
            headers["Content-Length"] = str(len(body) // 2)
            data = body[: len(body) // 2]
        _send(report, f"webhook ({kind}, {declared} length)", http, method="POST",
              url=f"{base_url}{WEBHOOK_URL}", headers=headers, data=data)

    run()


