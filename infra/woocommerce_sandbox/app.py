"""The sandbox's routes under /wp-json/wc/v3, behaving like WooCommerce for what we call:

- auth: the consumer key and secret by HTTP Basic or the `consumer_key`/`consumer_secret` query
  parameters; a wrong pair answers 401 with WooCommerce's error shape
  (`{"code": "woocommerce_rest_authentication_error", "message": …, "data": {"status": 401}}`);
- lists: `page` (from 1) and `per_page` (1..100, else 400 `rest_invalid_param`), the totals in
  `X-WP-Total` / `X-WP-TotalPages`, and a `Link` header with `rel="next"`;
- orders: `modified_after` (ISO 8601; GMT with `dates_are_gmt=true`), `orderby`
  (date | id | modified), `order` (asc | desc);
- products and variations: `stock_quantity` read (GET) and written (PUT);
- `/_sandbox/...`: knobs a test turns (faults: the next n calls answer 429 or 5xx).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from infra.woocommerce_sandbox.state import Fault, StoreState, wc_time

PREFIX = "/wp-json/wc/v3"
ORDERBY = {"date": "date_created_gmt", "id": "id", "modified": "date_modified_gmt"}


def wc_error(status: int, code: str, message: str, **data: Any) -> JSONResponse:
    return JSONResponse(
        {"code": code, "message": message, "data": {"status": status, **data}}, status_code=status
    )


def _invalid(param: str, why: str) -> JSONResponse:
    return wc_error(
        400, "rest_invalid_param", f"Invalid parameter(s): {param}", params={param: why}
    )


def _authorised(request: Request, state: StoreState) -> bool:
    import base64

    key = request.query_params.get("consumer_key")
    secret = request.query_params.get("consumer_secret")
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            key, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
    return (key, secret) == (state.spec.consumer_key, state.spec.consumer_secret)


def _paged(request: Request, items: list[dict[str, Any]]) -> Response:
    params = request.query_params
    try:
        page = int(params.get("page", "1"))
        per_page = int(params.get("per_page", "10"))
    except ValueError:
        return _invalid("page", "page and per_page must be integers")
    if not 1 <= per_page <= 100:
        return _invalid("per_page", "per_page must be between 1 (inclusive) and 100 (inclusive)")
    if page < 1:
        return _invalid("page", "page must be greater than or equal to 1")
    total = len(items)
    pages = (total + per_page - 1) // per_page
    chunk = items[(page - 1) * per_page : page * per_page]
    headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
    if page < pages:
        headers["Link"] = f'<{request.url.include_query_params(page=page + 1)}>; rel="next"'
    return JSONResponse(chunk, headers=headers)


def create_app(state: StoreState | None = None) -> FastAPI:
    app = FastAPI(title="WooCommerce sandbox", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.store = store = state or StoreState()

    @app.middleware("http")
    async def gate(request: Request, call_next: Any) -> Response:
        path = request.url.path
        if not path.startswith(PREFIX):
            return await call_next(request)
        with store.lock:
            store.requests[f"{request.method} {path.removeprefix(PREFIX)}"] += 1
        fault = store.take_fault()
        if fault is not None:
            headers = (
                {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            )
            if fault.status == 429:
                response = wc_error(429, "too_many_requests", "Too many requests.")
            else:
                response = wc_error(
                    fault.status,
                    "internal_server_error",
                    "There has been a critical error on this website.",
                )
            response.headers.update(headers)
            return response
        if not _authorised(request, store):
            return wc_error(
                401, "woocommerce_rest_authentication_error", "Consumer key is invalid."
            )
        return await call_next(request)

    @app.get(PREFIX + "/orders")
    async def list_orders(request: Request) -> Response:
        params = request.query_params
        orderby = params.get("orderby", "date")
        order = params.get("order", "desc")
        if orderby not in ORDERBY:
            return _invalid("orderby", f"orderby is not one of {', '.join(ORDERBY)}.")
        if order not in ("asc", "desc"):
            return _invalid("order", "order is not one of asc, desc.")
        rows = list(store.orders.values())
        if "modified_after" in params:
            try:
                after = datetime.fromisoformat(params["modified_after"])
            except ValueError:
                return _invalid("modified_after", "Invalid date.")
            cut = wc_time(after if after.tzinfo else after.replace(tzinfo=UTC))
            rows = [r for r in rows if r["date_modified_gmt"] > cut]
        key = ORDERBY[orderby]
        rows.sort(key=lambda r: (r[key], r["id"]), reverse=order == "desc")
        return _paged(request, rows)

    @app.get(PREFIX + "/products")
    async def list_products(request: Request) -> Response:
        return _paged(request, sorted(store.products.values(), key=lambda p: p["id"]))

    @app.get(PREFIX + "/products/{pid}/variations")
    async def list_variations(request: Request, pid: int) -> Response:
        if pid not in store.products:
            return wc_error(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
        return _paged(request, list(store.variations.get(pid, {}).values()))

    async def _stock(request: Request, item: dict[str, Any] | None) -> Response:
        if item is None:
            return wc_error(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
        body = await request.json()
        if "stock_quantity" in body:
            if not isinstance(body["stock_quantity"], int):
                return _invalid("stock_quantity", "stock_quantity is not of type integer.")
            item["stock_quantity"] = body["stock_quantity"]
            item["manage_stock"] = True
            item["stock_status"] = "instock" if body["stock_quantity"] > 0 else "outofstock"
        return JSONResponse(item)

    @app.put(PREFIX + "/products/{pid}")
    async def put_product(request: Request, pid: int) -> Response:
        return await _stock(request, store.products.get(pid))

    @app.put(PREFIX + "/products/{pid}/variations/{vid}")
    async def put_variation(request: Request, pid: int, vid: int) -> Response:
        return await _stock(request, store.variations.get(pid, {}).get(vid))

    def _apply(item: dict[str, Any], body: dict[str, Any]) -> str | None:
        """One update of a batch; an error message, or None."""
        if "regular_price" in body:
            try:
                price = Decimal(str(body["regular_price"]))
            except ArithmeticError:
                return "regular_price is not a valid price."
            item["regular_price"] = item["price"] = f"{price:.2f}"
        if "stock_quantity" in body:
            if not isinstance(body["stock_quantity"], int):
                return "stock_quantity is not of type integer."
            item["stock_quantity"] = body["stock_quantity"]
            item["manage_stock"] = True
            item["stock_status"] = "instock" if body["stock_quantity"] > 0 else "outofstock"
        return None

    async def _batch(request: Request, items: dict[int, dict[str, Any]]) -> Response:
        body = await request.json()
        updates = body.get("update") or []
        if len(updates) > 100:
            return wc_error(
                413,
                "woocommerce_rest_request_entity_too_large",
                "Unable to accept more than 100 items for this request.",
            )
        answers: list[dict[str, Any]] = []
        for update in updates:
            wanted = update.get("id") if isinstance(update, dict) else None
            item = items.get(wanted) if isinstance(wanted, int) else None
            if item is None:
                answers.append(
                    {
                        "id": wanted,
                        "error": {
                            "code": "woocommerce_rest_product_invalid_id",
                            "message": "Invalid ID.",
                            "data": {"status": 400},
                        },
                    }
                )
                continue
            error = _apply(item, update)
            answers.append(
                {
                    "id": item["id"],
                    "error": {
                        "code": "rest_invalid_param",
                        "message": error,
                        "data": {"status": 400},
                    },
                }
                if error
                else item
            )
        return JSONResponse({"update": answers})

    @app.post(PREFIX + "/products/batch")
    async def batch_products(request: Request) -> Response:
        return await _batch(request, store.products)

    @app.post(PREFIX + "/products/{pid}/variations/batch")
    async def batch_variations(request: Request, pid: int) -> Response:
        if pid not in store.products:
            return wc_error(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
        return await _batch(request, store.variations.get(pid, {}))

    @app.post("/_sandbox/faults")
    async def add_fault(request: Request) -> Response:
        body = await request.json()
        store.faults.append(
            Fault(int(body["status"]), int(body.get("count", 1)), body.get("retry_after"))
        )
        return JSONResponse({"queued": len(store.faults)})

    return app
