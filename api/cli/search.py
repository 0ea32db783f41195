"""Search from the shell: index what was ingested before search existed (revision 1400).

New data is indexed by every ingest and sync batch; this fills `search_documents` once for
data already in the tables. It is one INSERT … SELECT per shop and kind, run here, like a
migration's data step (idempotent: a second run rewrites the same documents).
"""

from __future__ import annotations

import asyncio

import typer

app = typer.Typer(no_args_is_help=True)


@app.command("backfill")
def backfill(shop_id: int | None = typer.Option(None, "--shop-id", help="Only this shop (our id).")) -> None:
    """Index every product, order and customer of one shop or of all shops."""
    from db.engine import raw_connection
    from db.search import sources
    from db.tagged_cache import invalidate, shop_tag

    async def _go() -> None:
        conn = await raw_connection()
        try:
            shops = [shop_id] if shop_id else [
                row[0] for row in await (await conn.execute("SELECT id FROM shops ORDER BY id")).fetchall()
            ]
            for shop in shops:
                for resource in ("products", "orders", "customers"):
                    async with conn.transaction():
                        rows = await sources.backfill(conn, shop, resource)
                    await invalidate(shop_tag(shop, resource))  # cached searches see the new documents
                    typer.echo(f"shop {shop}: {rows} {resource} indexed")
        finally:
            await conn.close()

    asyncio.run(_go())
