"""Keys that are never defaults: refusal outside development/test, `make run`'s own key, and
`shopops rotate-keys` re-encrypting every encrypted column."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from db.config import DEV_ENCRYPTION_KEY, DEV_SESSION_SECRET, Settings, UnsafeSettings
from tests.support import app_env

SHOPOPS = str(Path(sys.executable).parent / "shopops")
OWN_SECRET = "a-long-random-session-secret-of-this-deployment"


def _settings(**env: str) -> Settings:
    with app_env(**env):
        return Settings()


@pytest.mark.parametrize(
    ("keys", "secret", "complaint"),
    [
        (DEV_ENCRYPTION_KEY, OWN_SECRET, "ENCRYPTION_KEYS contains the development key"),
        ("", OWN_SECRET, "ENCRYPTION_KEYS is empty"),
        (" , ", OWN_SECRET, "ENCRYPTION_KEYS is empty"),
        (f"{Fernet.generate_key().decode()},{DEV_ENCRYPTION_KEY}", OWN_SECRET, "development key"),
        (Fernet.generate_key().decode(), DEV_SESSION_SECRET, "SESSION_SECRET is the development"),
        (Fernet.generate_key().decode(), "", "SESSION_SECRET is the development default or empty"),
    ],
)
def test_production_refuses_default_or_missing_secrets(
    keys: str, secret: str, complaint: str
) -> None:
    settings = _settings(SHOPOPS_ENV="production", ENCRYPTION_KEYS=keys, SESSION_SECRET=secret)
    with pytest.raises(UnsafeSettings, match=complaint) as refused:
        settings.refuse_unsafe_secrets()
    assert "refusing to start with SHOPOPS_ENV=production" in str(refused.value)


def test_own_secrets_start_and_development_may_use_the_defaults() -> None:
    own = Fernet.generate_key().decode()
    _settings(
        SHOPOPS_ENV="staging", ENCRYPTION_KEYS=own, SESSION_SECRET=OWN_SECRET
    ).refuse_unsafe_secrets()
    _settings(SHOPOPS_ENV="development").refuse_unsafe_secrets()


def test_api_and_worker_refuse_to_start_with_the_default_key() -> None:
    from api.app import create_app

    with app_env(SHOPOPS_ENV="production"), pytest.raises(UnsafeSettings):
        create_app()
    env = {**os.environ, "SHOPOPS_ENV": "production", "ENCRYPTION_KEYS": DEV_ENCRYPTION_KEY}
    for command in (["worker", "--no-schedules"], ["api", "--port", "1"]):
        done = subprocess.run(
            [SHOPOPS, *command], env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode != 0, command
        assert "ENCRYPTION_KEYS contains the development key" in done.stderr, done.stderr[-2000:]


def test_make_run_writes_a_key_of_its_own_once(tmp_path: Path) -> None:
    from infra.devrun import ensure_local_secrets

    env_file = tmp_path / ".env"
    env_file.write_text("LOG_LEVEL=DEBUG")
    assert ensure_local_secrets(env_file, environ={}) == ["ENCRYPTION_KEYS", "SESSION_SECRET"]
    written = env_file.read_text()
    assert written.startswith("LOG_LEVEL=DEBUG\n")
    values = dict(
        line.split("=", 1) for line in written.splitlines() if "=" in line and line[0] != "#"
    )
    first, second = values["ENCRYPTION_KEYS"].split(",")
    Fernet(first.encode())  # a valid key
    assert first != DEV_ENCRYPTION_KEY and second == DEV_ENCRYPTION_KEY
    assert len(values["SESSION_SECRET"]) >= 48
    assert env_file.stat().st_mode & 0o077 == 0  # readable by its owner only

    assert ensure_local_secrets(env_file, environ={}) == []  # second start: nothing new
    assert env_file.read_text() == written
    kept = tmp_path / "kept.env"
    assert ensure_local_secrets(kept, environ={"ENCRYPTION_KEYS": "x", "SESSION_SECRET": "y"}) == []
    assert not kept.exists()


def _rotate(keys: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SHOPOPS, "rotate-keys"],
        env={**os.environ, "ENCRYPTION_KEYS": keys},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_rotate_keys_re_encrypts_every_encrypted_column(db_session: Session, make_shop) -> None:  # type: ignore[no-untyped-def]
    from db.models import Installation

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    shop = make_shop()
    with app_env(ENCRYPTION_KEYS=old):
        db_session.add(
            Installation(
                shop_id=shop.id, oauth_token="oauth-1", webhook_key="hook-1", api_token="api-1"
            )
        )
        db_session.commit()
    raw_sql = text(
        "SELECT oauth_token, webhook_key, api_token FROM installations WHERE shop_id = :s"
    )

    def raw() -> tuple[str, ...]:
        return tuple(db_session.execute(raw_sql, {"s": shop.id}).one())

    before = raw()
    # a key set that opens no row: nothing changes, and the message says what to do
    refused = _rotate(Fernet.generate_key().decode())
    assert refused.returncode == 1 and "nothing re-encrypted" in refused.stderr
    assert "add the key it was written with" in refused.stderr
    assert raw() == before
    try:
        # other tests' rows are under the development key: it stays readable for them
        done = _rotate(f"{new},{old},{DEV_ENCRYPTION_KEY}")
        assert done.returncode == 0, done.stderr
        assert "installations.oauth_token:" in done.stdout
        assert "installations.webhook_key:" in done.stdout
        assert "installations.api_token:" in done.stdout
        after = raw()
        for ciphertext in after:
            assert Fernet(new.encode()).decrypt(ciphertext.encode())
            with pytest.raises(InvalidToken):
                Fernet(old.encode()).decrypt(ciphertext.encode())
        db_session.expire_all()
        with app_env(ENCRYPTION_KEYS=new):  # the old key can go now
            row = db_session.execute(
                select(Installation).where(Installation.shop_id == shop.id)
            ).scalar_one()
            assert (row.oauth_token, row.webhook_key, row.api_token) == (
                "oauth-1",
                "hook-1",
                "api-1",
            )
    finally:
        restored = _rotate(f"{DEV_ENCRYPTION_KEY},{new},{old}")
        assert restored.returncode == 0, restored.stderr


def test_make_run_retires_the_development_key_after_re_encrypting(
    tmp_path: Path, db_session: Session, make_shop
) -> None:  # type: ignore[no-untyped-def]
    from db.models import Installation
    from infra.devrun import retire_development_key

    new = Fernet.generate_key().decode()
    env_file = tmp_path / ".env"
    env_file.write_text(f"LOG_LEVEL=INFO\nENCRYPTION_KEYS={new},{DEV_ENCRYPTION_KEY}\n")
    shop = make_shop()
    db_session.add(Installation(shop_id=shop.id, oauth_token="written-by-an-earlier-run"))
    db_session.commit()
    try:
        with app_env(ENCRYPTION_KEYS=f"{new},{DEV_ENCRYPTION_KEY}"):
            assert retire_development_key(env_file) >= 1
        assert env_file.read_text() == f"LOG_LEVEL=INFO\nENCRYPTION_KEYS={new}\n"
        raw = db_session.execute(
            text("SELECT oauth_token FROM installations WHERE shop_id = :s"), {"s": shop.id}
        ).scalar_one()
        assert Fernet(new.encode()).decrypt(raw.encode()) == b"written-by-an-earlier-run"
    finally:
        restored = _rotate(f"{DEV_ENCRYPTION_KEY},{new}")
        assert restored.returncode == 0, restored.stderr
