"""`python -m infra.woocommerce_sandbox --port 8910 [--orders N]`: run the WooCommerce sandbox
(keys ck_sandbox / cs_sandbox)."""

from __future__ import annotations

import argparse

import uvicorn

from infra.woocommerce_sandbox.app import create_app
from infra.woocommerce_sandbox.state import StoreSpec, StoreState


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m infra.woocommerce_sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8910)
    parser.add_argument("--orders", type=int, default=250)
    args = parser.parse_args(argv)
    uvicorn.run(create_app(StoreState(StoreSpec(orders=args.orders))), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
