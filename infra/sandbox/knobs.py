"""Tunable limits and injected faults of the sandbox, changeable at runtime.

`Limits` are Shoptet's documented numbers (defaults) that tests may tighten, e.g. a
20-drop bucket to provoke a 429 storm quickly; `Faults` are misbehaviours to inject.
Both are patched by name through `PATCH /_sandbox/faults` or `running_sandbox(**knobs)`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass
class Limits:
    bucket_capacity: int = 200  # drops
    leak_per_second: float = 10.0
    max_concurrent_per_token: int = 3
    api_token_ttl: int = 1800  # seconds
    max_api_tokens: int = 5  # live API tokens per OAuth token
    code_ttl: int = 300  # seconds an install code stays exchangeable
    job_poll_limit: int = 10  # job detail calls allowed while the job is unprocessed
    result_ttl: int = 86400  # seconds a snapshot result stays downloadable
    job_fail_after: int = 10800  # a hanging job is marked failed this long after creation
    install_timeout: float = 5.0
    webhook_timeout: float = 4.0
    bytes_per_drop: int = 50_000  # response bytes that cost one extra drop


@dataclass
class Faults:
    error_rate: float = 0.0  # share of /api requests answered with error_status
    error_status: int = 500
    malformed_rate: float = 0.0  # share of snapshot lines cut in half
    slow_ms: int = 0  # delay added to every /api request
    oauth_slow_ms: int = 0  # delay before getAccessToken answers (a slow OAuth server)
    duplicate_webhooks: float = 0.0  # share of webhooks delivered twice
    drop_webhooks: float = 0.0  # share of webhooks lost (never delivered)
    job_fail: bool = False  # new snapshot jobs end `failed` (webhook sent)
    job_hang: bool = (
        False  # new snapshot jobs never finish; `failed` after job_fail_after, no webhook
    )
    job_pending_ms: int = 50
    job_running_ms: int = 100  # minimum time a job spends `running`
    webhook_attempts: int = 3
    webhook_retry_ms: int = 1000  # Shoptet waits 15 min; tests should not
    hostile_rate: float = 0.0  # share of snapshot order lines with a PostgreSQL-hostile value
    result_encoding: str = ""  # Content-Encoding laid over result files: gzip | deflate | "gzip, gzip"
    retry_after_at_date: bool = False  # a full bucket's 429 says Retry-After = its own Date
    deletes_between_pages: int = 0  # orders of a served /api/orders page deleted before the next
    inserts_between_pages: int = 0  # orders created (at the front) before the next page
    drop_job_finished: bool = False  # `job:finished` webhooks are lost


KNOB_NAMES = frozenset(f.name for f in fields(Limits)) | frozenset(f.name for f in fields(Faults))


def apply_knobs(limits: Limits, faults: Faults, changes: dict[str, Any]) -> None:
    """Set knobs by name, converting to the field's type; unknown names or bad values raise ValueError."""
    unknown = sorted(set(changes) - KNOB_NAMES)
    if unknown:
        raise ValueError(f"unknown sandbox knob(s) {unknown}; known: {sorted(KNOB_NAMES)}")
    for target in (limits, faults):
        for f in fields(target):
            if f.name not in changes:
                continue
            kind = type(getattr(target, f.name))
            value = changes[f.name]
            if kind is str:
                if not isinstance(value, str):
                    raise ValueError(f"knob {f.name} takes a string, got {value!r}")
                setattr(target, f.name, value)
                continue
            if kind is bool and not isinstance(value, bool):
                raise ValueError(f"knob {f.name} takes true/false, got {value!r}")
            try:
                converted = kind(value)
            except (TypeError, ValueError):
                raise ValueError(f"knob {f.name} takes a {kind.__name__}, got {value!r}") from None
            if kind is not bool and converted < 0:
                raise ValueError(f"knob {f.name} must not be negative, got {value!r}")
            if f.name.endswith(("_rate", "_webhooks")) and converted > 1:
                raise ValueError(f"knob {f.name} is a share within 0..1, got {value!r}")
            setattr(target, f.name, converted)


def knobs_dict(limits: Limits, faults: Faults) -> dict[str, Any]:
    return {**asdict(limits), **asdict(faults)}
