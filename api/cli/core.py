"""Run the processes (worker, API, sandbox), migrate, rotate keys."""

from __future__ import annotations

import asyncio

import typer

from db.config import get_settings


def register(app: typer.Typer) -> None:
    @app.command()
    def worker(
        queue: list[str] = typer.Option(
            None, "--queue", "-q", help="Task queue(s), e.g. snapshots; default WORKER_QUEUES, else all."
        ),
        no_schedules: bool = typer.Option(False, help="Do not create or update schedules."),
        skip_queue: list[str] = typer.Option(
            None, "--skip-queue", "-x", help="Task queue(s) another worker process serves."
        ),
    ) -> None:
        """Run a Temporal worker for all (or the given) task queues: one queue per process is the
        unit of scaling in production (infra/deploy)."""
        from db.config import get_settings
        from infra.worker import parse_queues, run_worker
        from workflows.queues import Queue

        try:
            queues = parse_queues(queue)
            skipped = set(parse_queues(skip_queue) or [])
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
        if skipped:  # make run: one worker for exports, another for the rest
            base = queues or parse_queues(get_settings().worker_queues) or list(Queue)
            queues = [q for q in base if q not in skipped]
        asyncio.run(run_worker(queues, with_schedules=False if no_schedules else None))

    @app.command()
    def api(
        host: str = typer.Option(None, help="Bind address (API_HOST)."),
        port: int = typer.Option(None, help="Port (API_PORT)."),
        reload: bool = typer.Option(False, help="Reload on code changes (development)."),
    ) -> None:
        """Serve the HTTP API and the built UI."""
        import uvicorn

        settings = get_settings()
        uvicorn.run(
            "api.app:create_app",
            factory=True,
            host=host or settings.api_host,
            port=port or settings.api_port,
            reload=reload,
            log_level=settings.log_level.lower(),
            log_config=None,  # uvicorn's loggers go through our JSON, redacting handler
        )

    @app.command()
    def sandbox(
        host: str = typer.Option(None, help="Bind address (SANDBOX_HOST)."),
        port: int = typer.Option(None, help="Port (SANDBOX_PORT)."),
        demo: bool = typer.Option(True, help="Create the demo shop."),
    ) -> None:
        """Run the Shoptet sandbox (a faithful fake of api.myshoptet.com)."""
        import sys

        from infra.sandbox.__main__ import main

        settings = get_settings()
        argv = [
            "--host",
            host or settings.sandbox_host,
            "--port",
            str(port or settings.sandbox_port),
        ]
        sys.exit(main([*argv, "--demo"] if demo else argv))

    @app.command()
    def migrate(
        action: str = typer.Argument("up", help="up | down | current"),
        revision: str = typer.Option(None, help="Target revision (default head / base)."),
    ) -> None:
        """Apply or revert alembic migrations on DATABASE_URL."""
        from db import migrate as m

        if action == "up":
            m.upgrade(revision=revision or "head")
        elif action == "down":
            m.downgrade(revision=revision or "-1")
        elif action == "current":
            m.current()
        else:
            raise typer.BadParameter(f"unknown action {action!r}: use up, down or current")

    @app.command("rotate-keys")
    def rotate_keys() -> None:
        """Re-encrypt every stored secret with the first key of ENCRYPTION_KEYS.

        Put the new key first and keep the old ones after it, run this, then drop the old keys."""
        from db.engine import sync_engine
        from db.key_rotation import rotate_all
        from db.secrets import SecretError

        try:
            with sync_engine().begin() as conn:
                counts = rotate_all(conn)
        except SecretError as exc:
            typer.echo(f"nothing re-encrypted: {exc}", err=True)
            raise typer.Exit(1) from exc
        for column, rows in counts.items():
            typer.echo(f"{column}: {rows} row(s) re-encrypted")
