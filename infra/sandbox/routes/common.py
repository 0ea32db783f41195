"""Request helpers shared by the Shoptet routes: the current shop and Shoptet-style parameters."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from infra.sandbox.envelope import ApiError
from infra.sandbox.formats import parse_shoptet_time

if TYPE_CHECKING:
    from infra.sandbox.shops import Shop
    from infra.sandbox.state import SandboxState


def sandbox(request: Request) -> SandboxState:
    return request.app.state.sandbox


def current_shop(request: Request) -> Shop:
    """The shop of the access token the gate accepted."""
    return sandbox(request).shops[request.state.eshop_id]


def time_param(params: Any, name: str, *, required: bool = False) -> float | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise ApiError(400, "missing-parameter", f"Parameter '{name}' is required.", name)
        return None
    try:
        return parse_shoptet_time(raw)
    except ValueError:
        raise ApiError(
            400,
            "invalid-parameter",
            f"Parameter '{name}' must be an ISO 8601 datetime like 2024-01-31T10:00:00+0100.",
            name,
        ) from None


def int_param(params: Any, name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise ApiError(
            400, "invalid-parameter", f"Parameter '{name}' must be an integer, got '{raw}'.", name
        ) from None


def include_param(params: Any, allowed: frozenset[str]) -> frozenset[str]:
    """`include` values: comma separated, order and case insensitive; unknown ones are a 400."""
    raw = params.get("include") or ""
    values = frozenset(part.strip().lower() for part in raw.split(",") if part.strip())
    unknown = sorted(values - allowed)
    if unknown:
        raise ApiError(
            400, "invalid-parameter", f"Unknown include value(s): {', '.join(unknown)}.", "include"
        )
    return values


def reject_unsupported(params: Any, names: tuple[str, ...]) -> None:
    """Shoptet filters the sandbox does not model are refused loudly rather than ignored."""
    used = [name for name in names if params.get(name) not in (None, "")]
    if used:
        raise ApiError(
            400,
            "sandbox-unsupported-filter",
            f"The sandbox does not implement filter(s) {', '.join(used)}; see docs/sandbox.md.",
            used[0],
        )


def change_type_param(params: Any) -> str | None:
    value = params.get("changeType")
    if value not in (None, "", "edit", "delete"):
        raise ApiError(
            400,
            "invalid-parameter",
            "Parameter 'changeType' must be 'edit' or 'delete'.",
            "changeType",
        )
    return value or None
