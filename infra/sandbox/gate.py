"""What sits in front of every `/api/*` route at Shoptet: token check, the per-token
concurrency cap, the leaky bucket, injected faults, and the headers every answer carries
(`X-Request-ID`, `X-RateLimit-Bucket-Filling`, a `Date` from the sandbox clock).

A pure ASGI middleware, so refusals (401, 429, injected 5xx) never reach the routes and the
bucket's extra cost can be charged after the response size is known.
"""

from __future__ import annotations

import asyncio
import random
from typing import TYPE_CHECKING, Any

from infra.sandbox.envelope import ApiError, envelope_bytes
from infra.sandbox.formats import http_date, request_id

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from infra.sandbox.state import SandboxState


class ShoptetGate:
    def __init__(self, app: ASGIApp, state: SandboxState) -> None:
        self.app = app
        self.state = state
        self._rng = random.Random(7)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not scope["path"].startswith("/api/"):
            await self.app(scope, receive, self._with_headers(send, {}))
            return
        await self._api(scope, receive, send)

    def _with_headers(self, send: Send, extra: dict[str, str], on_body: Any = None) -> Send:
        clock = self.state.clock

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"date"]
                headers.append((b"date", http_date(clock.now()).encode()))
                headers += [(k.lower().encode(), v.encode()) for k, v in extra.items()]
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and on_body is not None:
                on_body(len(message.get("body", b"")))
            await send(message)

        return wrapped

    async def _refuse(self, send: Send, rid: str, error: ApiError, filling: str) -> None:
        body = envelope_bytes(None, [error.error()], rid)
        headers = {"X-Request-ID": rid, "X-RateLimit-Bucket-Filling": filling, **error.headers}
        if error.status == 429:
            self.state.stats["rate_limited"] += 1
        reply = self._with_headers(send, headers)
        await reply(
            {
                "type": "http.response.start",
                "status": error.status,
                "headers": [
                    (b"content-type", b"application/json; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await reply({"type": "http.response.body", "body": body})

    async def _api(self, scope: Scope, receive: Receive, send: Send) -> None:
        state, limits, faults = self.state, self.state.limits, self.state.faults
        rid = request_id()
        scope.setdefault("state", {})["request_id"] = rid
        state.requests_by_path[scope["path"]] += 1
        state.stats["api_requests"] += 1
        headers = dict(scope["headers"])
        empty = f"0/{limits.bucket_capacity}"
        try:
            record = state.tokens.check(headers.get(b"shoptet-access-token", b"").decode() or None)
        except ApiError as error:
            await self._refuse(send, rid, error, empty)
            return
        shop = state.shops.get(record.eshop_id)
        installation = shop.installation if shop else None
        if (
            installation is None
            or installation.oauth_token != record.oauth_token
            or installation.status != "active"
        ):
            await self._refuse(
                send,
                rid,
                ApiError(401, "invalid-token", "Addon installation is not approved."),
                empty,
            )
            return
        assert shop is not None
        now = state.clock.now()
        bucket = shop.bucket
        if not state.inflight.try_enter(record.token, limits.max_concurrent_per_token):
            state.stats["rate_limited_concurrency"] += 1
            error = ApiError(
                429,
                "too-many-requests",
                f"Too many concurrent requests for one access token (at most {limits.max_concurrent_per_token}).",
            )
            await self._refuse(send, rid, error, bucket.filling(now))
            return
        try:
            if bucket.is_full(now):
                state.stats["rate_limited_bucket"] += 1
                # the fault: a Retry-After at (not after) the response's own Date
                retry_at = int(now) if faults.retry_after_at_date else bucket.retry_at(now)
                error = ApiError(
                    429,
                    "too-many-requests",
                    f"Rate limit exceeded: the bucket of {limits.bucket_capacity} drops is full.",
                    headers={"Retry-After": http_date(retry_at)},
                )
                await self._refuse(send, rid, error, bucket.filling(now))
                return
            bucket.add(1, now)
            scope["state"]["eshop_id"] = record.eshop_id
            if faults.slow_ms:
                await asyncio.sleep(faults.slow_ms / 1000)
            if faults.error_rate and self._rng.random() < faults.error_rate:
                state.stats["injected_errors"] += 1
                error = ApiError(
                    faults.error_status,
                    "internal-server-error",
                    "Internal server error (sandbox fault).",
                )
                await self._refuse(send, rid, error, bucket.filling(state.clock.now()))
                return
            sent = [0]

            def count(size: int) -> None:
                sent[0] += size

            extra = {
                "X-Request-ID": rid,
                "X-RateLimit-Bucket-Filling": bucket.filling(state.clock.now()),
            }
            await self.app(scope, receive, self._with_headers(send, extra, count))
            bucket.add(sent[0] // limits.bytes_per_drop, state.clock.now())
        finally:
            state.inflight.leave(record.token)
