"""Logging and OpenTelemetry setup shared by the API and the worker (issue 8 extends it)."""

from __future__ import annotations

import logging

from db.config import get_settings


def setup_telemetry(service: str) -> None:
    logging.basicConfig(
        level=get_settings().log_level,
        format=f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s",
    )


def temporal_interceptors() -> list:
    return []


def instrument_app(app: object) -> None:
    """Hook for request tracing and metrics middleware (the monitoring issue fills it in)."""
