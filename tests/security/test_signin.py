"""Sign-in throttling (per account and per IP, exponential lockout, in Redis), the same argon2
work for unknown and known e-mails, and the audit rows sign-ins leave."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.services.signin import SigninThrottle
from db.config import get_settings
from db.models import AuditEvent
from db.redis_client import redis_client
from tests.support import assert_problem

T0 = 1_900_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def _ip() -> str:
    """A client address of its own per test, so no test counts against another's IP."""
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


def _email() -> str:
    return f"nobody-{secrets.token_hex(4)}@example.com"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def throttle(clock: Clock) -> SigninThrottle:
    return SigninThrottle(redis_client(), get_settings(), clock)


@pytest.fixture
async def client(clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    """The API with the sign-in throttle on the test's clock, from an address of its own."""
    from api.app import create_app
    from api.deps import _signin_throttle

    app = create_app()
    app.dependency_overrides[_signin_throttle] = lambda: SigninThrottle(
        redis_client(), get_settings(), clock
    )
    transport = httpx.ASGITransport(app=app, client=(_ip(), 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as http:
        yield http


async def test_account_locks_after_n_failures_and_the_lockout_doubles(
    throttle: SigninThrottle, clock: Clock
) -> None:
    email, ip = _email(), _ip()
    limit = get_settings().signin_max_failures_account  # 5
    base = get_settings().signin_lockout_seconds  # 30
    for _ in range(limit - 1):
        assert await throttle.failed(email, ip) == 0
    assert await throttle.locked_for(email, ip) == 0
    assert await throttle.failed(email, ip) == base
    assert await throttle.locked_for(email, ip) == base
    assert await throttle.locked_for(email.upper(), _ip()) == base  # the account, from anywhere
    clock.now += base - 1
    assert await throttle.locked_for(email, ip) == 1
    clock.now += 2
    assert await throttle.locked_for(email, ip) == 0
    assert await throttle.failed(email, ip) == 2 * base  # one more guess: twice as long
    clock.now += 2 * base + 1
    assert await throttle.failed(email, ip) == 4 * base


async def test_lockout_is_capped(throttle: SigninThrottle, clock: Clock) -> None:
    email, ip = _email(), _ip()
    cap = get_settings().signin_lockout_max_seconds
    lockout = 0.0
    for _ in range(30):
        lockout = await throttle.failed(email, ip)
        clock.now += lockout + 1
    assert lockout == cap


async def test_failures_are_forgotten_after_the_window_and_on_success(
    throttle: SigninThrottle, clock: Clock
) -> None:
    settings = get_settings()
    limit, window = settings.signin_max_failures_account, settings.signin_failure_window_seconds
    email, ip = _email(), _ip()
    for _ in range(limit - 1):
        await throttle.failed(email, ip)
    clock.now += window + 1  # expiry: the old failures no longer count
    for _ in range(limit - 1):
        assert await throttle.failed(email, ip) == 0
    await throttle.succeeded(email)  # success: neither do these
    for _ in range(limit - 1):
        assert await throttle.failed(email, _ip()) == 0
    assert await throttle.failed(email, ip) > 0

    # after a lockout has run out and the window passed, the next failure starts from scratch
    clock.now += settings.signin_lockout_max_seconds + window + 1
    assert await throttle.locked_for(email, ip) == 0
    assert await throttle.failed(email, ip) == 0


async def test_one_ip_guessing_many_accounts_is_locked(
    throttle: SigninThrottle,
) -> None:
    ip = _ip()
    limit = get_settings().signin_max_failures_ip
    for _ in range(limit - 1):
        assert await throttle.failed(_email(), ip) == 0
    assert await throttle.failed(_email(), ip) > 0
    assert await throttle.locked_for(_email(), ip) > 0  # any account from that IP
    assert await throttle.locked_for(_email(), _ip()) == 0  # other IPs are not affected


async def test_concurrent_failures_are_all_counted(throttle: SigninThrottle) -> None:
    email, ip = _email(), _ip()
    limit = get_settings().signin_max_failures_account
    lockouts = await asyncio.gather(*(throttle.failed(email, ip) for _ in range(limit + 3)))
    assert sorted(lockouts)[-4:] == [30, 60, 120, 240]
    assert sum(1 for lockout in lockouts if lockout == 0) == limit - 1


async def test_api_locks_out_then_lets_the_right_password_in_after_the_lockout(
    client: httpx.AsyncClient, clock: Clock, make_user, db_session: Session
) -> None:  # type: ignore[no-untyped-def]
    user, password = make_user()
    limit = get_settings().signin_max_failures_account
    wrong = {"email": user.email, "password": "wrong-password"}
    for _ in range(limit):
        assert_problem(await client.post("/api/auth/login", json=wrong), 401)
    right = {"email": user.email, "password": password}
    locked = await client.post("/api/auth/login", json=right)
    body = assert_problem(locked, 429)  # even the right password waits
    assert locked.headers["retry-after"] == "30" and body["retry_after"] == 30
    clock.now += 31
    assert (await client.post("/api/auth/login", json=right)).status_code == 200
    # the success forgot the failures: limit - 1 new ones lock nothing
    for _ in range(limit - 1):
        assert_problem(await client.post("/api/auth/login", json=wrong), 401)
    assert (await client.post("/api/auth/login", json=right)).status_code == 200

    actions = db_session.execute(
        select(AuditEvent.action, AuditEvent.success)
        .where(AuditEvent.actor_email == user.email.lower())
        .order_by(AuditEvent.id)
    ).all()
    assert [a for a, _ in actions] == (
        ["signin.failure"] * limit
        + ["signin.locked", "signin.success"]
        + ["signin.failure"] * (limit - 1)
        + ["signin.success"]
    )
    assert [ok for a, ok in actions if a == "signin.success"] == [True, True]


async def test_unknown_and_known_emails_are_locked_alike(
    client: httpx.AsyncClient, make_user
) -> None:  # type: ignore[no-untyped-def]
    user, _ = make_user()
    limit = get_settings().signin_max_failures_account
    answers = {}
    for email in (user.email, _email()):
        for _ in range(limit):
            failed = await client.post("/api/auth/login", json={"email": email, "password": "x"})
            assert_problem(failed, 401)
        locked = await client.post("/api/auth/login", json={"email": email, "password": "x"})
        answers[email] = (locked.status_code, locked.json()["detail"])
    assert len(set(answers.values())) == 1, answers


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every argon2 verification sign-in makes (the real verifier still runs)."""
    import api.routes.auth as auth

    seen: list[str] = []
    real: Callable[[str, str], bool] = auth.verify_password

    def verify(password_hash: str, password: str) -> bool:
        seen.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", verify)
    return seen


def _cost(password_hash: str) -> str:
    """The argon2 variant and parameters: `$argon2id$v=19$m=65536,t=3,p=4$…` → its cost part."""
    return "$".join(password_hash.split("$")[1:4])


async def test_unknown_known_and_inactive_accounts_cost_one_equal_argon2_verification(
    client: httpx.AsyncClient, make_user, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from db.models import User

    seen = _counting(monkeypatch)
    known, password = make_user()
    inactive, inactive_password = make_user()
    db_session.get(User, inactive.id).is_active = False  # type: ignore[union-attr]
    db_session.commit()
    attempts = {
        "unknown": {"email": _email(), "password": "whatever-1"},
        "known, wrong password": {"email": known.email, "password": "whatever-2"},
        "inactive, right password": {"email": inactive.email, "password": inactive_password},
        "known, right password": {"email": known.email, "password": password},
    }
    costs, refusals = {}, set()
    for name, body in attempts.items():
        seen.clear()
        answer = await client.post("/api/auth/login", json=body)
        assert answer.status_code == (200 if name == "known, right password" else 401), name
        assert len(seen) == 1, f"{name}: {len(seen)} verifications"
        costs[name] = _cost(seen[0])
        if answer.status_code == 401:
            refusals.add(answer.text)
    assert len(set(costs.values())) == 1, costs
    assert len(refusals) == 1, refusals  # the same words whoever was not let in


async def test_wrong_current_passwords_on_a_password_change_count_towards_the_lockout(
    client: httpx.AsyncClient, make_user
) -> None:  # type: ignore[no-untyped-def]
    from tests.support import login

    user, password = make_user()
    await login(client, user.email, password)
    limit = get_settings().signin_max_failures_account
    guess = {"current_password": "guess", "new_password": "a-new-long-password"}
    for _ in range(limit):
        assert_problem(await client.post("/api/auth/password", json=guess), 403)
    right = {"current_password": password, "new_password": "a-new-long-password"}
    assert_problem(await client.post("/api/auth/password", json=right), 429)
    assert_problem(
        await client.post("/api/auth/login", json={"email": user.email, "password": password}),
        429,
    )


async def test_sign_in_is_refused_not_unthrottled_when_redis_is_down(make_user) -> None:  # type: ignore[no-untyped-def]
    import redis.asyncio as aioredis

    from api.app import create_app
    from api.deps import _signin_throttle

    user, password = make_user()
    app = create_app()
    nowhere = aioredis.Redis.from_url("redis://127.0.0.1:1/0")  # a real client, nothing listening
    app.dependency_overrides[_signin_throttle] = lambda: SigninThrottle(nowhere, get_settings())
    transport = httpx.ASGITransport(app=app, client=(_ip(), 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as http:
        refused = await http.post(
            "/api/auth/login", json={"email": user.email, "password": password}
        )
    body = assert_problem(refused, 503)
    assert "Redis" in str(body["detail"])
    await nowhere.aclose()
