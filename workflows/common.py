"""Retry policies the workflows share, one per kind of step, each defined once.

A policy a single workflow needs for its own reasons (the install's 5 s window, the token
cap, a pg_dump) stays in that workflow's module, beside the reason.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

# Our own PostgreSQL (and Redis): a restart or failover is over within a couple of minutes.
DB_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=10,
)
# A call to Shoptet: 429s and 5xx pass within minutes; a permanent error, a revoked
# installation or an expired snapshot result never get better by asking again.
SHOPTET_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=2),
    maximum_attempts=8,
    non_retryable_error_types=["ShoptetPermanentError", "InstallationRevoked", "ResultExpired"],
)
# A computation of minutes (models, forecasts, plans): a retry repeats all of it, so few.
HEAVY_RETRY = RetryPolicy(maximum_attempts=3, initial_interval=timedelta(seconds=10))
# A short local step (bookkeeping of a backup or check run): a few quick tries.
SHORT_RETRY = RetryPolicy(maximum_attempts=5)
# A quick side step whose failure should surface fast (stats, a system check, a cleanup batch).
QUICK_RETRY = RetryPolicy(maximum_attempts=3, initial_interval=timedelta(seconds=2))
# A step a schedule runs again soon anyway (a check, an alert, a restore test): one more try.
ONE_RETRY = RetryPolicy(maximum_attempts=2)
