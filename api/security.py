"""Passwords (argon2), session and API tokens (random, stored only as SHA-256 hashes), and the
CSRF token bound to a session."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

from db.config import get_settings

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """The one place a password is checked (sign-in and password change go through it)."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


@lru_cache
def dummy_password_hash() -> str:
    """A hash with the hasher's own parameters that no password matches: sign-in verifies
    against it when the e-mail is unknown, so an unknown account costs the same argon2 work
    as a known one and answer times do not reveal which e-mails exist."""
    return _hasher.hash(secrets.token_urlsafe(32))


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(session_token: str) -> str:
    """The CSRF token of a session: an HMAC of the session cookie under SESSION_SECRET.

    Bound to the session (a "signed double submit"), so a cookie planted by a sibling
    subdomain cannot come with a matching header, and nothing needs storing server-side."""
    key = get_settings().session_secret.get_secret_value().encode()
    return hmac.new(key, b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def csrf_matches(session_token: str, sent: str) -> bool:
    # as bytes: compare_digest refuses str with non-ASCII characters, which a header may carry
    return hmac.compare_digest(csrf_token(session_token).encode(), sent.encode())
