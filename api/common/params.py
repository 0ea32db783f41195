"""Input types every route shares, so each value is checked at the edge, once.

PostgreSQL refuses what Python accepts: ints above 2^63 for a bigint, NUL inside text, dates
whose arithmetic leaves Python's year 1–9999. Typed here, such an input is a 422 problem naming
the parameter instead of a database error (a 500) deep in a query. The same types serve path,
query and body fields (FastAPI takes a path parameter from the path by its name) and the
cursor models in `api.pagination`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field

BIGINT_MAX = 2**63 - 1
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
# Orders, runs and deliveries happen within these years; the margin keeps date arithmetic
# (quarters back, time zones) inside Python's year 1–9999 and PostgreSQL's range.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters (PostgreSQL text cannot hold them)")
    return value


def _in_range(value: datetime) -> datetime:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if not EARLIEST <= aware < LATEST:
        raise ValueError(f"must be between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}")
    return value


BigIntId = Annotated[int, Field(ge=1, le=BIGINT_MAX)]
"""A row id (bigint identity): 1 … 2^63-1."""
Int32 = Annotated[int, Field(ge=INT_MIN, le=INT_MAX)]
"""An int stored in an `integer` column (Shoptet's status ids, which can be negative)."""
Text = Annotated[str, AfterValidator(_no_nul)]
"""Any text that reaches the database: no NUL."""
ShortText = Annotated[str, Field(max_length=320), AfterValidator(_no_nul)]
"""A code, key, name or filter value: no NUL, at most 320 characters (an e-mail's limit)."""
Timestamp = Annotated[datetime, AfterValidator(_in_range)]
"""A date-time within 1900–2999 (a bare one is read as UTC by the routes that take it)."""
Amount = Annotated[Decimal, Field(allow_inf_nan=False, ge=-(10**15), le=10**15)]
"""A money value as PostgreSQL numeric(14,·) holds it, finite."""
