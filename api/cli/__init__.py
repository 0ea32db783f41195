"""The `shopops` command line: what ops do without the UI.

Each domain adds its commands in its own module here; this file only assembles them.
"""

from __future__ import annotations

import typer

from api.cli import backup, core, jobs, maintenance, shops, users

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
core.register(app)
app.add_typer(users.app, name="user", help="Manage users and their shops.")
app.add_typer(jobs.app, name="job", help="Start and inspect workflows.")
app.add_typer(maintenance.app, name="maintenance", help="Partitions, archive, legacy migration, index audit.")
app.add_typer(shops.app, name="shop", help="Install, uninstall, sync and inspect shops.")
app.add_typer(backup.app, name="backup", help="Database backups: run, list, verify, restore to a moment.")
app.add_typer(backup.pitr_app, name="pitr", help="Point-in-time recovery: WAL archiving and base backups.")
