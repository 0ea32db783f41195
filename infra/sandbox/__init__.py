"""A faithful local Shoptet API: OAuth, tokens, lists, snapshot jobs, webhooks, rate limits.

`create_app` and `SandboxState` load lazily, so importing only the data generator
(`infra.sandbox.generator`) does not pull in the web stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from infra.sandbox.app import create_app
    from infra.sandbox.state import SandboxState

__all__ = ["SandboxState", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from infra.sandbox.app import create_app

        return create_app
    if name == "SandboxState":
        from infra.sandbox.state import SandboxState

        return SandboxState
    raise AttributeError(f"module 'infra.sandbox' has no attribute {name!r}")
