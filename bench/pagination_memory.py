"""Peak memory of streaming a paged Shoptet list: 100 pages vs 2 000 pages.

Runs the sandbox in its own process, then iterates `/api/orders` through the real
`ShoptetClient.iter_list` in two fresh worker processes (so each peak RSS is independent) and
prints their peak RSS. A client that holds one page at a time has a ratio near 1.0; one that
accumulated pages would grow ~20x. The sandbox's leak rate is raised so the run measures
memory, not Shoptet's 10 requests/s pace.

    python -m bench.pagination_memory [--small 100] [--large 2000] [--page-size 50]

Last line: `ratio=<rss_large/rss_small> rss_small_mb=<a> rss_large_mb=<b>`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time

import httpx

ESHOP_ID = 500001
TOKEN_ENV = "SHOPTET_BENCH_OAUTH_TOKEN"  # passed by environment, never on the command line


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


async def _iterate(url: str, pages: int, page_size: int) -> dict[str, float]:
    from activities.shoptet import OAuthTokenSource, ShoptetClient

    async with httpx.AsyncClient() as http:
        source = OAuthTokenSource(http, url, os.environ[TOKEN_ENV])
        async with ShoptetClient(url, source, http=http) as client:
            await client.get("/api/eshop")  # connection, token and imports in place before timing
            baseline = _peak_rss_mb()
            items, began = 0, time.monotonic()
            async for _order in client.iter_list("/api/orders", "orders", items_per_page=page_size):
                items += 1
                if items == pages * page_size:
                    break
            seconds = time.monotonic() - began
    return {
        "pages": items / page_size,
        "items": items,
        "seconds": seconds,
        "baseline_mb": baseline,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _worker(args: argparse.Namespace) -> None:
    print(json.dumps(asyncio.run(_iterate(args.url, args.pages, args.page_size))))


def _measure(url: str, oauth_token: str, pages: int, page_size: int) -> dict[str, float]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.pagination_memory",
            "--worker",
            "--url",
            url,
            "--pages",
            str(pages),
            "--page-size",
            str(page_size),
        ],
        env={**os.environ, TOKEN_ENV: oauth_token},
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"worker for {pages} pages failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _prepare_shop(url: str, orders: int) -> str:
    """Create the shop, lift the rate limit, and install the addon; returns the OAuth token."""
    from activities.shoptet import exchange_code
    from db.config import get_settings

    control = f"{url}/_sandbox"
    with httpx.Client(timeout=30) as http:
        http.post(
            f"{control}/shops",
            json={
                "eshop_id": ESHOP_ID,
                "orders": orders,
                "products": 500,
                "customers": max(1000, orders // 5),
            },
        ).raise_for_status()
        http.patch(f"{control}/faults", json={"leak_per_second": 1e6}).raise_for_status()
        code = (
            http.post(f"{control}/shops/{ESHOP_ID}/codes", json={})
            .raise_for_status()
            .json()["code"]
        )

    async def install() -> str:
        settings = get_settings()
        async with httpx.AsyncClient() as http:
            grant = await exchange_code(
                http,
                url,
                settings.shoptet_client_id,
                settings.shoptet_client_secret.get_secret_value(),
                code,
                "",
            )
        return grant.access_token

    return asyncio.run(install())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.pagination_memory", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--small", type=int, default=100, help="pages in the baseline run")
    parser.add_argument("--large", type=int, default=2000, help="pages in the large run")
    parser.add_argument(
        "--page-size", type=int, default=50, help="orders per page (Shoptet's maximum is 50)"
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--pages", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args)
        return
    if not 0 < args.small < args.large:
        parser.error(f"need 0 < --small < --large, got {args.small} and {args.large}")

    from infra.sandbox.testing import sandbox_process

    with sandbox_process() as url:
        began = time.monotonic()
        token = _prepare_shop(url, args.large * args.page_size)
        small = _measure(url, token, args.small, args.page_size)
        large = _measure(url, token, args.large, args.page_size)
        total = time.monotonic() - began
    print(
        f"sandbox shop {ESHOP_ID}: {args.large * args.page_size} orders, {args.page_size} per page"
    )
    for name, run in (("small", small), ("large", large)):
        print(
            f"{name:>5}: {run['pages']:.0f} pages, {run['items']:.0f} orders in {run['seconds']:.1f} s "
            f"({run['pages'] / run['seconds']:.0f} pages/s); RSS before iterating {run['baseline_mb']:.1f} MB, "
            f"peak {run['peak_rss_mb']:.1f} MB"
        )
    print(f"total {total:.1f} s")
    ratio = large["peak_rss_mb"] / small["peak_rss_mb"]
    print(
        f"ratio={ratio:.3f} rss_small_mb={small['peak_rss_mb']:.1f} rss_large_mb={large['peak_rss_mb']:.1f}"
    )


if __name__ == "__main__":
    main()
