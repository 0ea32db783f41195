"""Encryption at rest for OAuth tokens, API tokens and webhook keys.

MultiFernet gives authenticated encryption and key rotation: the first key of
`ENCRYPTION_KEYS` encrypts, every key decrypts, and `rotate()` re-encrypts old rows.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from db.config import get_settings


class SecretError(RuntimeError):
    """A stored secret cannot be decrypted with any configured key."""


@lru_cache
def _cipher(keys: str) -> MultiFernet:
    parts = [k.strip() for k in keys.split(",") if k.strip()]
    if not parts:
        raise SecretError("ENCRYPTION_KEYS is empty: set at least one Fernet key")
    return MultiFernet([Fernet(k.encode()) for k in parts])


def cipher() -> MultiFernet:
    return _cipher(get_settings().encryption_keys.get_secret_value())


def encrypt(plain: str) -> str:
    return cipher().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return cipher().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretError(
            "stored secret cannot be decrypted: was an old key removed from ENCRYPTION_KEYS?"
        ) from exc


def rotate(token: str) -> str:
    """Re-encrypt with the current primary key (used by `shopops keys rotate`)."""
    return cipher().rotate(token.encode()).decode()


def new_key() -> str:
    return Fernet.generate_key().decode()


class EncryptedText(TypeDecorator[str]):
    """A text column whose value is encrypted on write and decrypted on read."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else decrypt(value)
