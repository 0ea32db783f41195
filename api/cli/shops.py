"""`shopops shop …`: install, uninstall, sync and inspect shops from the shell."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any, TypeVar

import typer

app = typer.Typer(no_args_is_help=True)
T = TypeVar("T")


def _run(work: Callable[..., Awaitable[T]]) -> T:
    """Run `work(client, session)` with a Temporal client and a database session."""

    async def main() -> T:
        from db.engine import dispose_engines, session_factory
        from infra.temporal_client import connect

        client = await connect()
        try:
            async with session_factory()() as session:
                return await work(client, session)
        finally:
            await dispose_engines()

    return asyncio.run(main())


async def _shop(session: Any, shop_id: int) -> Any:
    from db.models import Shop

    shop = await session.get(Shop, shop_id)
    if shop is None:
        raise typer.BadParameter(f"no shop with id {shop_id}; `shopops shop list` shows them")
    return shop


@app.command("list")
def list_shops() -> None:
    """Shops with their status and sync cursors."""
    from sqlalchemy import select

    from db.models import Shop, SyncCursor

    async def work(_: Any, session: Any) -> list[dict[str, Any]]:
        shops = (await session.execute(select(Shop).order_by(Shop.id))).scalars().all()
        cursors = (await session.execute(select(SyncCursor))).scalars().all()
        return [
            {
                "id": s.id,
                "eshop_id": s.eshop_id,
                "name": s.name,
                "status": s.status,
                "sync": {
                    c.resource: {"since": str(c.changed_since), "ok": str(c.last_success_at), "error": c.last_error}
                    for c in cursors
                    if c.shop_id == s.id
                },
            }
            for s in shops
        ]

    typer.echo(json.dumps(_run(work), indent=2))


@app.command()
def install(code: str = typer.Argument(..., help="The install code Shoptet sent to the install URL.")) -> None:
    """Run the install callback's work for CODE (needs a running worker)."""
    from api.problems import Problem
    from api.services.installation import install as run_install

    try:
        done = _run(lambda client, session: run_install(client, session, code))
    except Problem as exc:
        typer.echo(f"install failed: {exc.title}: {exc.detail}", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(asdict(done), indent=2))


def _lifecycle(shop_id: int, event: str) -> None:
    from api.services.installation import on_addon_event

    async def work(client: Any, session: Any) -> None:
        await on_addon_event(client, session, await _shop(session, shop_id), event)

    _run(work)
    typer.echo(f"shop {shop_id}: {event} applied")


@app.command()
def uninstall(shop_id: int) -> None:
    """Mark the shop uninstalled: stop its token workflow, delete its sync schedules (data stays)."""
    _lifecycle(shop_id, "addon:uninstall")


@app.command()
def suspend(shop_id: int) -> None:
    """Pause the shop's syncs and token refresh, as Shoptet's addon:suspend does."""
    _lifecycle(shop_id, "addon:suspend")


@app.command()
def approve(shop_id: int) -> None:
    """Resume a suspended shop, as Shoptet's addon:approve does."""
    _lifecycle(shop_id, "addon:approve")


@app.command()
def sync(
    shop_id: int,
    resource: list[str] = typer.Option(None, "--resource", "-r", help="orders, products, customers, stock; default all."),
) -> None:
    """Run a sync pass now (skipped when one is already running)."""
    from api.services.sync import SyncNotScheduled, start_sync
    from workflows.sync import RESOURCES

    chosen = resource or list(RESOURCES)
    unknown = sorted(set(chosen) - set(RESOURCES))
    if unknown:
        raise typer.BadParameter(f"unknown resource(s) {unknown}; choose from {list(RESOURCES)}")

    async def work(client: Any, _: Any) -> None:
        for r in chosen:
            await start_sync(client, shop_id, r)

    try:
        _run(work)
    except SyncNotScheduled as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"shop {shop_id}: sync of {', '.join(chosen)} triggered")


@app.command()
def schedules(shop_id: int) -> None:
    """Create or update the shop's sync schedules (run after changing sync.interval_minutes)."""
    from api.services.sync import ensure_sync_schedules

    async def work(client: Any, session: Any) -> str:
        await _shop(session, shop_id)
        return str(await ensure_sync_schedules(client, session, shop_id))

    typer.echo(f"shop {shop_id}: sync every {_run(work)}")


@app.command()
def token(shop_id: int) -> None:
    """State of the shop's token workflow (fingerprint and expiry, never the token)."""
    from workflows.tokens import ShopTokenWorkflow, token_workflow_id

    async def work(client: Any, _: Any) -> dict[str, Any]:
        handle = client.get_workflow_handle_for(ShopTokenWorkflow.run, token_workflow_id(shop_id))
        return asdict(await handle.query(ShopTokenWorkflow.progress))

    typer.echo(json.dumps(_run(work), indent=2, default=str))
