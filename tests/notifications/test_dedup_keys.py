"""Every producer of notifications passes a de-duplication key, so a retried activity or a
check that fails again within NOTIFY_DEDUP_WINDOW_SECONDS counts a repeat instead of raising
(and e-mailing) a new notification; and such a key does collapse repeats."""

from __future__ import annotations

import ast
from pathlib import Path

from sqlalchemy import select

from db.engine import session_scope
from db.models import Notification
from db.notify import notify
from tests.support import TEST_NOW, MakeShop

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("activities", "api", "db", "workflows")


def _notify_calls() -> list[tuple[str, int, set[str]]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.name == "notify.py" and path.parent.name == "db":
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and (
                    (isinstance(node.func, ast.Name) and node.func.id == "notify")
                    or (isinstance(node.func, ast.Attribute) and node.func.attr == "notify")
                ):
                    keywords = {k.arg for k in node.keywords if k.arg}
                    found.append((str(path.relative_to(ROOT)), node.lineno, keywords))
    return found


def test_every_notification_producer_passes_a_dedup_key() -> None:
    calls = _notify_calls()
    assert len(calls) >= 15  # the producers of this tree: snapshots, backups, inventory, usage, …
    missing = [f"{path}:{line}" for path, line, keywords in calls if "key" not in keywords]
    assert missing == []


async def test_the_same_key_twice_is_one_notification_with_a_repeat(make_shop: MakeShop) -> None:
    shop = make_shop("Dedup keys")
    for minute in (0, 5):
        async with session_scope() as session:
            await notify(
                session, level="warning", kind="channels.sync_failed", shop_id=shop.id,
                title="Sync of Woo failed", title_cs="Synchronizace kanálu Woo selhala",
                key="connection:7", at=TEST_NOW.replace(minute=minute),
            )
    async with session_scope() as session:
        rows = (await session.execute(select(Notification).where(Notification.shop_id == shop.id))).scalars().all()
        assert [(r.kind, r.repeats) for r in rows] == [("channels.sync_failed", 2)]
