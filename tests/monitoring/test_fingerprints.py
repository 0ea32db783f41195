"""Error fingerprints group the same bug across values; samples never carry a secret."""

from __future__ import annotations

from db.errors import normalise, redact, signature
from db.telemetry_store import BUCKETS_MS, Series, quantile
from infra.monitoring.checks import state_of


def _raise(message: str) -> BaseException:
    try:
        raise ValueError(message)
    except ValueError as exc:
        return exc


def test_same_bug_with_other_values_has_one_fingerprint() -> None:
    a = signature(_raise("order 4711 of shop 3 has no items (email jan@example.cz, id 'A-17')"))
    b = signature(_raise("order 99 of shop 12 has no items (email eva@example.com, id 'B-2')"))
    assert a.fingerprint == b.fingerprint
    assert a.message == "order <n> of shop <n> has no items (email <email>, id '<str>')"
    assert a.frames == ["tests.monitoring.test_fingerprints:_raise"]


def test_other_type_or_message_is_another_fingerprint() -> None:
    base = signature(_raise("order 1 has no items"))
    assert signature(_raise("order 1 has no customer")).fingerprint != base.fingerprint
    try:
        raise KeyError("order 1 has no items")
    except KeyError as exc:
        assert signature(exc).fingerprint != base.fingerprint


def test_secrets_are_redacted_from_samples_and_logs() -> None:
    text = (
        "POST failed: Authorization: Bearer abc.def-ghi token=s3cr3t-value password: hunter2 "
        "url postgresql://app:pa55w0rd@db/shop key 0123456789abcdef0123456789abcdef"
    )
    clean = redact(text)
    for secret in ("abc.def-ghi", "s3cr3t-value", "hunter2", "pa55w0rd", "0123456789abcdef0123456789abcdef"):
        assert secret not in clean, clean
    assert "POST failed" in clean
    assert "s3cr3t" not in normalise(text)
    access = '127.0.0.1:5 - "GET /api/shoptet/install?code=oneTimeCode42&x=1 HTTP/1.1" 200'
    assert "oneTimeCode42" not in redact(access) and "x=1" in redact(access)


def test_bucket_quantiles_interpolate_within_a_bucket() -> None:
    series = Series()
    for ms in [3.0] * 50 + [150.0] * 45 + [4000.0] * 5:
        series.add(ms)
    assert len(series.buckets) == len(BUCKETS_MS) + 1
    p50, p95, p99 = (quantile(series.buckets, q) for q in (0.5, 0.95, 0.99))
    assert p50 is not None and 2 < p50 <= 5  # in the (2, 5] bucket
    assert p95 is not None and 100 < p95 <= 200
    assert p99 is not None and 2000 < p99 <= 5000
    assert quantile([0] * len(series.buckets), 0.5) is None


def test_states_from_thresholds() -> None:
    assert state_of(10, warn=30, critical=60) == "ok"
    assert state_of(30, warn=30, critical=60) == "warn"
    assert state_of(61, warn=30, critical=60) == "critical"
    assert state_of(98.5, warn=99, critical=None, lower_is_worse=True) == "warn"
    assert state_of(None, warn=1, critical=2) == "ok"
