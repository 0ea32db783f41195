"""OAuth tokens are encrypted at rest and survive key rotation."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from db import secrets as sec
from db.config import get_settings
from db.models import Installation
from tests.support import MakeShop


@pytest.fixture
def keys() -> Iterator[None]:
    old = os.environ.get("ENCRYPTION_KEYS")
    yield
    if old is None:
        os.environ.pop("ENCRYPTION_KEYS", None)
    else:
        os.environ["ENCRYPTION_KEYS"] = old
    get_settings.cache_clear()


def test_token_is_ciphertext_in_the_table(db_session: Session, make_shop: MakeShop, keys: None) -> None:
    shop = make_shop()
    db_session.add(Installation(shop_id=shop.id, oauth_token="oauth-plain-secret"))
    db_session.commit()
    raw = db_session.execute(
        text("SELECT oauth_token FROM installations WHERE shop_id = :s"), {"s": shop.id}
    ).scalar_one()
    assert "oauth-plain-secret" not in raw
    db_session.expire_all()
    assert (
        db_session.get(
            Installation,
            db_session.execute(
                text("SELECT id FROM installations WHERE shop_id = :s"), {"s": shop.id}
            ).scalar_one(),
        ).oauth_token
        == "oauth-plain-secret"
    )


def test_rotation_keeps_old_ciphertext_readable(keys: None) -> None:
    first, second = sec.new_key(), sec.new_key()
    os.environ["ENCRYPTION_KEYS"] = first
    get_settings.cache_clear()
    old = sec.encrypt("hello")
    os.environ["ENCRYPTION_KEYS"] = f"{second},{first}"
    get_settings.cache_clear()
    assert sec.decrypt(old) == "hello"
    rotated = sec.rotate(old)
    os.environ["ENCRYPTION_KEYS"] = second
    get_settings.cache_clear()
    assert sec.decrypt(rotated) == "hello"
    with pytest.raises(sec.SecretError, match="ENCRYPTION_KEYS"):
        sec.decrypt(old)
