"""ShopTokenWorkflow: the only place a shop's 30-minute Shoptet API token is minted.

One execution per shop (`shop-token:{shop}`); the workflow id is the lock. Callers reach it
with update-with-start (`ensure_fresh`), so however many activities, processes or hosts
need a new token at the same moment, their updates queue on one in-workflow lock and at
most one `getAccessToken` call happens; the rest get the token that call stored.

The token never enters workflow history: the mint activity stores it encrypted in
`installations.api_token` and returns only a fingerprint (a truncated SHA-256) and times.
Callers then read the token from the database.

It refreshes proactively before expiry, keeps count of the tokens it minted that are still
alive (Shoptet allows 5 per installation) and waits for the oldest to expire rather than
ask for a sixth, and backs off when Shoptet says the cap is reached anyway (tokens minted
outside our accounting). It continues as new after a bounded number of refreshes.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ActivityError, ApplicationError

from workflows import activity_names as act
from workflows import search_attributes
from workflows.common import DB_RETRY
from workflows.queues import Queue

MAX_LIVE_TOKENS = 5  # Shoptet's cap of simultaneously valid API tokens per installation
REFRESHES_PER_RUN = 100  # continue as new after this many mints…
UPDATES_PER_RUN = 1000  # …or this many updates (Temporal caps a run's total updates)
HISTORY_EVENTS_PER_RUN = 10_000
CAP_BACKOFF_LIMIT = timedelta(minutes=35)  # longer than a token lives: the cap must have freed
RETRY_AFTER_FAILURE = timedelta(seconds=30)  # proactive refresh failed transiently

# Error types the activities raise (ApplicationError.type)
REVOKED = "InstallationRevoked"
CAP_REACHED = "MaximumTokensReached"
STOPPING = "TokenWorkflowStopping"  # rejected update: ask again (a new run starts) or give up

MINT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=10),
    maximum_attempts=5,
    non_retryable_error_types=[REVOKED, CAP_REACHED],
)


def token_workflow_id(shop_id: int) -> str:
    return f"shop-token:{shop_id}"


def fingerprint(token: str) -> str:
    """Names a token in history and logs without revealing it."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def fresh_margin(issued_at: float, expires_at: float, cap: float = 120.0) -> float:
    """Seconds of validity a token must have left to be handed out: 2 minutes of a 30-minute
    token, proportionally less for short-lived ones (the sandbox can shorten the TTL)."""
    return min(cap, max(expires_at - issued_at, 0.0) / 4)


def is_fresh(issued_at: float, expires_at: float, now: float, cap: float = 120.0) -> bool:
    """Times are epoch seconds (the payload converter has no datetime inside the sandbox)."""
    return expires_at - now > fresh_margin(issued_at, expires_at, cap)


@dataclass(frozen=True)
class TokenMeta:
    """What history may know about a token: its fingerprint and times, never the token."""

    fingerprint: str
    issued_at: float  # epoch seconds
    expires_at: float
    minted: bool = False  # True when this call got a new token from Shoptet


@dataclass(frozen=True)
class EnsureFresh:
    # Fingerprint of the token the caller saw expire (401) or near expiry; None: it had none.
    stale_fingerprint: str | None = None


@dataclass(frozen=True)
class MintRequest:
    shop_id: int
    stale_fingerprint: str | None


@dataclass(frozen=True)
class LiveToken:
    fingerprint: str
    expires_at: float


@dataclass(frozen=True)
class TokenState:
    """Workflow input; carried across continue-as-new."""

    shop_id: int
    refresh_margin_seconds: float = 300.0  # refresh this long before expiry (scaled for short TTLs)
    max_live_tokens: int = MAX_LIVE_TOKENS
    refreshes_per_run: int = REFRESHES_PER_RUN
    current: TokenMeta | None = None
    live: list[LiveToken] = field(default_factory=list[LiveToken])


@dataclass
class TokenProgress:
    shop_id: int
    status: str  # running | stopping | revoked
    fingerprint: str | None
    expires_at: float | None
    refreshes: int
    live_tokens: int
    error: str | None = None


def start_options(shop_id: int) -> dict[str, Any]:
    """How every starter starts the shop's token workflow: one per shop, join a running one."""
    return {
        "id": token_workflow_id(shop_id),
        "task_queue": Queue.TOKENS.value,
        "id_conflict_policy": WorkflowIDConflictPolicy.USE_EXISTING,
        # A stopped workflow (uninstall, suspend) may be started again after reinstall/approve.
        "id_reuse_policy": WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        "search_attributes": search_attributes.for_run("shop-token", shop_id),
    }


# Since this patch the input is applied in __init__, so an update that arrives with
# update-with-start (and runs before `run`) reads the right shop; older runs read shop 0.
INIT_FROM_INPUT = "token-state-in-init"


@workflow.defn
class ShopTokenWorkflow:
    @workflow.init
    def __init__(self, state: TokenState) -> None:
        self._lock = asyncio.Lock()
        self._shop_id = 0
        self._margin = 300.0
        self._max_live = MAX_LIVE_TOKENS
        self._refreshes_per_run = REFRESHES_PER_RUN
        self._current: TokenMeta | None = None
        self._loaded = False
        self._live: list[LiveToken] = []
        self._refreshes = 0
        self._updates = 0
        self._changed = False
        self._stop_reason: str | None = None
        self._revoked: str | None = None
        self._error: str | None = None
        self._applied_in_init = workflow.patched(INIT_FROM_INPUT)
        if self._applied_in_init:
            self._apply(state)

    def _apply(self, state: TokenState) -> None:
        self._shop_id = state.shop_id
        self._margin = state.refresh_margin_seconds
        self._max_live = state.max_live_tokens
        self._refreshes_per_run = state.refreshes_per_run
        self._current = state.current
        self._loaded = state.current is not None
        self._live = list(state.live)

    @workflow.query
    def progress(self) -> TokenProgress:
        status = "revoked" if self._revoked else "stopping" if self._stop_reason else "running"
        return TokenProgress(
            shop_id=self._shop_id,
            status=status,
            fingerprint=self._current.fingerprint if self._current else None,
            expires_at=self._current.expires_at if self._current else None,
            refreshes=self._refreshes,
            live_tokens=len(self._alive()),
            error=self._revoked or self._error,
        )

    @workflow.signal
    def stop(self, reason: str) -> None:
        """Uninstall/suspend: stop refreshing; callers already waiting still get an answer."""
        self._stop_reason = reason or "stopped"

    @workflow.update
    async def ensure_fresh(self, req: EnsureFresh) -> TokenMeta:
        """A token fresher than the caller's stale one: the current one, or one newly minted."""
        self._updates += 1
        return await self._refresh(req.stale_fingerprint)

    @ensure_fresh.validator
    def _accept_ensure_fresh(self, req: EnsureFresh) -> None:
        if self._revoked:
            raise ApplicationError(self._revoked, type=REVOKED, non_retryable=True)
        if self._stop_reason:
            raise ApplicationError(f"stopping: {self._stop_reason}", type=STOPPING)

    @workflow.run
    async def run(self, state: TokenState) -> str:
        if not self._applied_in_init:
            self._apply(state)  # runs recorded before INIT_FROM_INPUT
        await self._load()
        while self._stop_reason is None and self._revoked is None:
            if self._should_continue_as_new():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(self._carry_over())
            wait = self._seconds_until_due()
            if wait > 0:
                self._changed = False
                try:
                    await workflow.wait_condition(self._woken, timeout=wait)
                    continue  # a caller refreshed, we were told to stop, or history grew: look again
                except TimeoutError:
                    pass
            await self._proactive_refresh()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._revoked or self._stop_reason or "stopped"

    def _woken(self) -> bool:
        return (
            self._changed
            or self._stop_reason is not None
            or self._revoked is not None
            or self._should_continue_as_new()
        )

    def _carry_over(self) -> TokenState:
        return TokenState(
            shop_id=self._shop_id,
            refresh_margin_seconds=self._margin,
            max_live_tokens=self._max_live,
            refreshes_per_run=self._refreshes_per_run,
            current=self._current,
            live=self._alive(),
        )

    # -- state

    def _now(self) -> float:
        return workflow.time()

    def _alive(self) -> list[LiveToken]:
        now = self._now()
        return [t for t in self._live if t.expires_at > now]

    def _seconds_until_due(self) -> float:
        cur = self._current
        if cur is None:
            return 0.0
        margin = min(self._margin, max(cur.expires_at - cur.issued_at, 0.0) / 3)
        return cur.expires_at - margin - self._now()

    def _should_continue_as_new(self) -> bool:
        info = workflow.info()
        return (
            self._refreshes >= self._refreshes_per_run
            or self._updates >= UPDATES_PER_RUN
            or info.get_current_history_length() > HISTORY_EVENTS_PER_RUN
            or info.is_continue_as_new_suggested()
        )

    async def _load(self) -> None:
        """The token stored before this run (a restart, a reinstall); once, under the lock."""
        async with self._lock:
            if self._loaded:
                return
            self._current = await workflow.execute_activity(
                act.READ_TOKEN_META,
                self._shop_id,
                start_to_close_timeout=timedelta(seconds=20),
                retry_policy=DB_RETRY,
                result_type=TokenMeta,
            )
            self._loaded = True
            self._remember(self._current)

    def _remember(self, meta: TokenMeta | None) -> None:
        if meta is not None and all(t.fingerprint != meta.fingerprint for t in self._live):
            self._live.append(LiveToken(meta.fingerprint, meta.expires_at))
        self._live = self._alive()

    # -- refreshing

    async def _proactive_refresh(self) -> None:
        try:
            await self._refresh(self._current.fingerprint if self._current else None, proactive=True)
        except ApplicationError as err:
            if err.type == REVOKED:
                return  # _refresh recorded it; the loop ends
            self._error = str(err)
            workflow.logger.warning("proactive token refresh failed: %s", err)
            await workflow.sleep(RETRY_AFTER_FAILURE)

    async def _refresh(self, stale: str | None, proactive: bool = False) -> TokenMeta:
        await self._load()
        async with self._lock:
            cur = self._current
            if cur is not None and cur.fingerprint != stale and self._usable(cur):
                return cur  # someone refreshed while this caller waited
            if proactive and cur is not None and self._seconds_until_due() > 0:
                return cur
            if self._revoked:
                raise ApplicationError(self._revoked, type=REVOKED, non_retryable=True)
            meta = await self._mint(stale)
            self._current = meta
            self._remember(meta)
            self._refreshes += 1 if meta.minted else 0
            self._changed = True
            self._error = None
            return meta

    def _usable(self, meta: TokenMeta) -> bool:
        return is_fresh(meta.issued_at, meta.expires_at, self._now())

    async def _mint(self, stale: str | None) -> TokenMeta:
        backoff = timedelta(seconds=1)
        waited = timedelta(0)
        while True:
            await self._wait_for_free_slot()
            try:
                return await workflow.execute_activity(
                    act.MINT_API_TOKEN,
                    MintRequest(self._shop_id, stale),
                    start_to_close_timeout=timedelta(seconds=30),
                    retry_policy=MINT_RETRY,
                    result_type=TokenMeta,
                )
            except ActivityError as err:
                cause = err.cause
                kind = cause.type if isinstance(cause, ApplicationError) else None
                message = str(cause or err)
                if kind == REVOKED:
                    self._revoked = message
                    raise ApplicationError(message, type=REVOKED, non_retryable=True) from err
                if kind != CAP_REACHED or waited >= CAP_BACKOFF_LIMIT:
                    raise ApplicationError(f"could not refresh the API token: {message}") from err
                # Tokens we do not know about hold the slots; they free within a token's life.
                workflow.logger.warning("Shoptet token cap reached; retrying in %s", backoff)
                await workflow.sleep(backoff)
                waited += backoff
                backoff = min(backoff * 2, timedelta(seconds=60))

    async def _wait_for_free_slot(self) -> None:
        """Never ask for a sixth token: wait until the oldest live one we minted expires."""
        alive = self._alive()
        if len(alive) < self._max_live:
            return
        oldest = min(t.expires_at for t in alive)
        delay = oldest - self._now() + 1
        workflow.logger.info("%d live tokens; waiting %.1f s for a slot", len(alive), delay)
        await workflow.sleep(max(delay, 0.001))
        self._live = self._alive()
