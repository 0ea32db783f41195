"""One sandbox server for the whole sandbox suite, reset before every test, and the official
OpenAPI schemas (loaded once) to validate its answers against."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import date
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from infra.sandbox.generator import ShopSpec
from infra.sandbox.testing import RunningSandbox, running_sandbox

# Shoptet's official schema, kept beside the tests (origin and date in schema/README.md).
OPENAPI = Path(__file__).parent / "schema" / "shoptet-openapi.yaml"
SHOP = ShopSpec(
    eshop_id=222651,
    seed=7,
    orders=600,
    products=60,
    customers=150,
    date_from=date(2023, 6, 1),
    date_to=date(2024, 12, 31),
)
# Knobs that keep background work quick in tests (Shoptet's real values are minutes).
FAST = {"job_pending_ms": 20, "job_running_ms": 60, "webhook_retry_ms": 50}


@lru_cache(maxsize=1)
def _registry() -> Registry:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with OPENAPI.open() as fh:
        spec = yaml.load(fh, Loader=loader)
    # YAML reads `200:` as an int; JSON pointers need the string keys JSON would have.
    spec = orjson.loads(orjson.dumps(spec, option=orjson.OPT_NON_STR_KEYS))
    return Registry().with_resource(
        "urn:shoptet", Resource.from_contents(spec, default_specification=DRAFT202012)
    )


def _pointer(path: str, method: str, status: str) -> str:
    escaped = path.replace("~", "~0").replace("/", "~1")
    return f"/paths/{escaped}/{method}/responses/{status}/content/application~1json/schema"


@cache
def _validator(pointer: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"urn:shoptet#{pointer}"}, registry=_registry())


@pytest.fixture(scope="session")
def conforms() -> Callable[..., None]:
    """conforms(body, "/api/orders") checks a whole response against the operation's schema;
    conforms(obj, component="order") checks against a component schema."""

    def check(
        instance: Any,
        path: str | None = None,
        method: str = "get",
        status: str = "200",
        *,
        component: str | None = None,
    ) -> None:
        pointer = (
            f"/components/schemas/{component}"
            if component
            else _pointer(path or "", method, status)
        )
        problems = [
            f"{e.json_path}: {e.message[:200]}" for e in _validator(pointer).iter_errors(instance)
        ]
        assert not problems, f"{path or component} schema violations:\n" + "\n".join(problems[:10])

    return check


@pytest.fixture(scope="session")
async def sandbox_server() -> AsyncIterator[RunningSandbox]:
    async with running_sandbox(shops=[SHOP], **FAST) as sb:
        yield sb


@pytest.fixture
async def sb(sandbox_server: RunningSandbox) -> AsyncIterator[RunningSandbox]:
    """The session sandbox, reset to its initial shop and knobs."""
    async with httpx.AsyncClient(base_url=sandbox_server.url) as http:
        (await http.post("/_sandbox/reset")).raise_for_status()
    yield sandbox_server


@pytest.fixture
async def api(sb: RunningSandbox) -> AsyncIterator[httpx.AsyncClient]:
    """Raw HTTP client holding a valid API token for SHOP."""
    token = sb.state.api_token(SHOP.eshop_id)
    async with httpx.AsyncClient(base_url=sb.url, headers={"Shoptet-Access-Token": token}) as http:
        yield http


@pytest.fixture
async def control(sb: RunningSandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sb.url + "/_sandbox") as http:
        yield http
