"""`python -m infra.sandbox --host 127.0.0.1 --port 8900 [--demo]`: run the Shoptet sandbox."""

from __future__ import annotations

import argparse
import logging
from datetime import datetime

import uvicorn

from db.config import get_settings
from infra.sandbox.app import create_app
from infra.sandbox.formats import PRAGUE
from infra.sandbox.state import SandboxState, demo_shop


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m infra.sandbox", description="Run the Shoptet API sandbox."
    )
    settings = get_settings()
    parser.add_argument(
        "--host", default=settings.sandbox_host, help="default: SANDBOX_HOST or 127.0.0.1"
    )
    parser.add_argument(
        "--port", type=int, default=settings.sandbox_port, help="default: SANDBOX_PORT or 8900"
    )
    parser.add_argument(
        "--demo", action="store_true", help="create demo shop 100001 (3 000 orders, last two years)"
    )
    parser.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"]
    )
    args = parser.parse_args(argv)
    shops = [demo_shop(datetime.now(PRAGUE).date())] if args.demo else []
    state = SandboxState(shops=shops)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    if args.demo:
        logging.getLogger("infra.sandbox").info(
            "demo shop %s ready; install it with POST /_sandbox/shops/%s/install",
            shops[0].eshop_id,
            shops[0].eshop_id,
        )
    # date_header off: the gate sends `Date` from the sandbox clock, which Retry-After is relative to.
    uvicorn.run(
        create_app(state),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        date_header=False,
    )


if __name__ == "__main__":
    main()
