"""The `shopops` command line: what ops do without the UI.

Each domain adds its commands in its own module here; this file only assembles them.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback

import typer

from api.cli import backup, core, jobs, maintenance, search, shops, tokens, users

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
core.register(app)
app.add_typer(users.app, name="user", help="Manage users and their shops.")
app.add_typer(tokens.app, name="token", help="Personal API tokens: list, create, revoke.")
app.add_typer(jobs.app, name="job", help="Start and inspect workflows.")
app.add_typer(maintenance.app, name="maintenance", help="Partitions, archive, legacy migration, index audit.")
app.add_typer(shops.app, name="shop", help="Install, uninstall, sync and inspect shops.")
app.add_typer(backup.app, name="backup", help="Database backups: run, list, verify, restore to a moment.")
app.add_typer(backup.pitr_app, name="pitr", help="Point-in-time recovery: WAL archiving and base backups.")
app.add_typer(search.app, name="search", help="Search documents: index data ingested before search.")


def main() -> None:
    """The `shopops` entry point: the command, then an exit the Temporal SDK cannot abort.

    A process that used a Temporal client can abort while the interpreter finalizes
    (`PyGILState_Release`, a known SDK bug), turning a command that did its work into exit 134.
    After such a command the output is flushed and the process leaves without finalizing.
    """
    code = 0
    try:
        app()
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
            code = 1
        else:
            code = exc.code or 0
    except BaseException:  # a crash must still exit non-zero, with its traceback
        traceback.print_exc()
        code = 1
    if "temporalio" not in sys.modules:
        sys.exit(code)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
