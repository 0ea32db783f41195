"""Async client for the Shoptet REST API (api.myshoptet.com or our sandbox).

Every call goes through one loop: take the token, wait for the rate governor, send, read the
bucket filling, then return `data` or turn the envelope into a typed error and decide: refresh
the token once on `expired-token`, wait out 429s, back off on 5xx, raise the rest. Lists are
async generators holding one page at a time; result files stream straight to disk.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import random
import secrets
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

from activities.shoptet.errors import (
    BudgetRefused,
    ExpiredToken,
    MalformedResponse,
    PageNotFound,
    RateLimited,
    ShoptetError,
    TransportError,
    error_from_response,
)
from activities.shoptet.ratelimit import (
    RateGovernor,
    RetryPolicy,
    SharedPace,
    backoff_delay,
    parse_retry_after,
    settle_wait,
)
from activities.shoptet.redaction import install_log_redaction
from activities.shoptet.tokens import TokenSource
from db.metering import SHOPTET_CALLS, BudgetExceeded, charge

log = logging.getLogger(__name__)

TOKEN_HEADER = "Shoptet-Access-Token"
DEFAULT_TIMEOUT = httpx.Timeout(80.0, connect=30.0)  # the official SDK's values


@dataclass(frozen=True)
class DownloadResult:
    bytes: int
    sha256: str


class ShoptetClient:
    def __init__(
        self,
        base_url: str,
        token_source: TokenSource,
        *,
        http: httpx.AsyncClient | None = None,
        max_concurrency: int = 3,
        policy: RetryPolicy | None = None,
        shared: SharedPace | None = None,
        shop_id: int | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.shop_id = shop_id  # metered against the shop's daily budget of Shoptet calls
        self.shared = shared  # the token's pace across processes; None keeps it per client
        self.tokens = token_source
        self.policy = policy or RetryPolicy()
        self.governor = RateGovernor(self.policy, max_concurrency)
        self._own_http = http is None
        self._http = http or httpx.AsyncClient(timeout=DEFAULT_TIMEOUT)
        self._rng = random.Random()
        install_log_redaction()

    async def aclose(self) -> None:
        if self._own_http:
            await self._http.aclose()

    async def __aenter__(self) -> ShoptetClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- single requests

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return await self.request("GET", path, params=params)

    async def post(
        self, path: str, json: Any = None, params: Mapping[str, Any] | None = None
    ) -> Any:
        return await self.request("POST", path, params=params, json=json)

    async def patch(
        self, path: str, json: Any = None, params: Mapping[str, Any] | None = None
    ) -> Any:
        return await self.request("PATCH", path, params=params, json=json)

    async def delete(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return await self.request("DELETE", path, params=params)

    async def request(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None
    ) -> Any:
        """Send one API call with refresh/429/5xx handling; returns the envelope's `data`."""
        content = orjson.dumps(json) if json is not None else None
        refreshed = False
        failures = rate_limited = 0
        token = await self.tokens.get()
        while True:
            outcome = await self._send(method, path, params, content, token)
            if isinstance(outcome, httpx.Response):
                return self._data(outcome, method, path)
            error = outcome
            if isinstance(error, ExpiredToken):
                if refreshed:
                    raise error
                refreshed = True
                log.info("API token expired on %s %s; refreshing once", method, path)
                token = await self.tokens.refresh(token)
            elif isinstance(error, RateLimited):
                rate_limited += 1
                if rate_limited > self.policy.max_rate_limited:
                    raise error
                wait = error.retry_after
                if wait is None:  # the concurrency limit sends no Retry-After
                    wait = backoff_delay(min(rate_limited, 6), self.policy, self._rng) / 4
                wait = settle_wait(wait, self.policy, self._rng)
                self.governor.pause(wait)
                if self.shared is not None:
                    await self.shared.pause(wait)
                log.info("429 on %s %s; waiting %.2f s (%s)", method, path, wait, error.message)
            elif error.retryable:
                failures += 1
                if failures >= self.policy.max_attempts:
                    raise error
                delay = backoff_delay(failures, self.policy, self._rng)
                log.warning(
                    "%s; retry %d/%d in %.2f s",
                    error,
                    failures,
                    self.policy.max_attempts - 1,
                    delay,
                )
                await asyncio.sleep(delay)
            else:
                raise error

    async def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        content: bytes | None,
        token: str,
    ) -> httpx.Response | ShoptetError:
        """One HTTP exchange inside the rate governor: the 2xx response, or the typed error."""
        headers = {
            TOKEN_HEADER: token,
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        if self.shop_id is not None:
            try:
                await charge(self.shop_id, SHOPTET_CALLS, 1)
            except BudgetExceeded as exc:
                return BudgetRefused(str(exc), status=429, method=method, path=path)
        async with self.governor.slot(), self._shared_slot():
            # waiting inside the slot makes requests queued on the semaphore honour new pauses too
            await self.governor.wait_turn()
            if self.shared is not None:
                await self.shared.wait()
            started = time.monotonic()
            try:
                response = await self._http.request(
                    method, self.base_url + path, params=params, content=content, headers=headers
                )
            except httpx.TransportError as exc:
                return TransportError(f"{type(exc).__name__}: {exc}", method=method, path=path)
        filling = response.headers.get("X-RateLimit-Bucket-Filling")
        throttle = self.governor.observe(filling)
        if throttle > 0 and self.shared is not None:
            await self.shared.pause(throttle)
        request_id = response.headers.get("X-Request-ID")
        log.debug(
            "%s %s -> %s in %.0f ms (requestId %s, bucket %s)",
            method,
            path,
            response.status_code,
            (time.monotonic() - started) * 1000,
            request_id,
            filling,
        )
        if response.is_success:
            return response
        return error_from_response(
            response.status_code,
            response.content,
            request_id=request_id,
            method=method,
            path=path,
            retry_after=parse_retry_after(
                response.headers.get("Retry-After"), response.headers.get("Date")
            ),
        )

    def _shared_slot(self) -> AbstractAsyncContextManager[None]:
        return self.shared.slot() if self.shared is not None else nullcontext()

    @staticmethod
    def _data(response: httpx.Response, method: str, path: str) -> Any:
        if not response.content:
            return None
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise MalformedResponse(
                f"answer is not JSON: {response.content[:80]!r}",
                status=response.status_code,
                method=method,
                path=path,
            ) from None
        if not isinstance(body, dict) or "data" not in body:
            raise MalformedResponse(
                "answer is not the {data, errors, metadata} envelope",
                status=response.status_code,
                method=method,
                path=path,
            )
        return body["data"]

    # -- lists

    async def iter_list(
        self,
        path: str,
        key: str,
        params: Mapping[str, Any] | None = None,
        items_per_page: int | None = None,
        *,
        on_shift: Callable[[int, int | None], None] | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Yield every item of a paged list, one page in memory at a time.

        Stops at the paginator's pageCount. When totalCount changes between pages, records
        may have moved between pages: `on_shift(old_total, new_total)` is called (default:
        a warning) so the caller can reconcile, e.g. by re-reading a change feed.
        """
        query = dict(params or {})
        if items_per_page is not None:
            query["itemsPerPage"] = items_per_page
        page, total = 1, None
        while True:
            query["page"] = page
            try:
                data = await self.get(path, query)
            except PageNotFound:
                if page == 1:
                    raise
                log.warning("%s shrank while paging; stopped before page %d", path, page)
                return
            if not isinstance(data, dict) or not isinstance(data.get(key), list):
                raise MalformedResponse(
                    f"list answer has no '{key}' array", method="GET", path=path
                )
            paginator = data.get("paginator") or {}
            new_total = paginator.get("totalCount")
            if total is not None and new_total != total:
                if on_shift is not None:
                    on_shift(total, new_total)
                else:
                    log.warning(
                        "%s totalCount changed %s -> %s while paging; items may have shifted",
                        path,
                        total,
                        new_total,
                    )
            total = new_total
            page_count = int(paginator.get("pageCount") or page)
            items = data[key]
            del data
            for item in items:
                yield item
            del items
            if page >= page_count:
                return
            page += 1

    # -- result files

    async def download(self, url: str, dest_path: str | os.PathLike[str]) -> DownloadResult:
        """Stream a snapshot result to `dest_path` (atomically), hashing as it goes.

        The bytes written are the result after its `Content-Encoding` is decoded, so the file is
        the gzip (or plain) JSON lines Shoptet produced whatever a proxy laid over it.
        Tries without credentials first (result URLs are public) and with the API token only
        if refused; retries network errors and 5xx like API calls; 404 (expired) raises NotFound.
        """
        dest = Path(dest_path)
        partial = dest.with_name(f"{dest.name}.{secrets.token_hex(4)}.part")  # per attempt: never shared
        failures = 0
        headers: dict[str, str] = {}
        while True:
            try:
                async with self._http.stream("GET", url, headers=headers) as response:
                    if response.status_code in (401, 403) and not headers:
                        headers = {TOKEN_HEADER: await self.tokens.get()}
                        continue
                    if not response.is_success:
                        body = await response.aread()
                        raise error_from_response(
                            response.status_code, body, method="GET", path=url
                        )
                    digest, size = hashlib.sha256(), 0
                    with partial.open("wb") as out:
                        # decoded: every Content-Encoding layer is undone here (gzip, deflate,
                        # "gzip, gzip"); unpack then sniffs the gzip of the file itself
                        async for chunk in response.aiter_bytes(1 << 20):
                            out.write(chunk)
                            digest.update(chunk)
                            size += len(chunk)
                os.replace(partial, dest)
                return DownloadResult(bytes=size, sha256=digest.hexdigest())
            except (httpx.TransportError, httpx.DecodingError, ShoptetError) as exc:
                partial.unlink(missing_ok=True)
                error = (
                    exc
                    if isinstance(exc, ShoptetError)
                    else TransportError(str(exc), method="GET", path=url)
                )
                failures += 1
                if not error.retryable or failures >= self.policy.max_attempts:
                    if error is exc:
                        raise
                    raise error from exc
                await asyncio.sleep(backoff_delay(failures, self.policy, self._rng))
