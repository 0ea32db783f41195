"""Quarter arithmetic and DDL for range-partitioned tables (orders, order_items and archives).

Partitions are named `<table>_<year>q<quarter>` and bounded in UTC, so `FOR VALUES FROM
('2024-01-01 00:00+00') TO ('2024-04-01 00:00+00')` orders years before quarters (the old
roadmap's `EXTRACT(QUARTER…), EXTRACT(YEAR…)` key sorted Q1 of every year together).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, text

PARTITIONED_TABLES = ("orders", "order_items")
_NAME = re.compile(r"^(?P<table>[a-z_]+)_(?P<year>\d{4})q(?P<q>[1-4])$")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    q: int

    @classmethod
    def of(cls, moment: datetime) -> Quarter:
        moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
        return cls(moment.year, (moment.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, label: str) -> Quarter:
        """Parse `2024q1` / `2024Q1` (as typed on the command line)."""
        m = re.fullmatch(r"(\d{4})[qQ]([1-4])", label.strip())
        if not m:
            raise ValueError(f"not a quarter: {label!r}; write it like 2024q1")
        return cls(int(m.group(1)), int(m.group(2)))

    @property
    def start(self) -> datetime:
        return datetime(self.year, 3 * (self.q - 1) + 1, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return self.next().start

    def next(self) -> Quarter:
        return Quarter(self.year + (self.q == 4), self.q % 4 + 1)

    def prev(self) -> Quarter:
        return Quarter(self.year - (self.q == 1), (self.q - 2) % 4 + 1)

    def add(self, n: int) -> Quarter:
        index = self.year * 4 + (self.q - 1) + n
        return Quarter(index // 4, index % 4 + 1)

    @property
    def label(self) -> str:
        return f"{self.year}q{self.q}"

    def __str__(self) -> str:
        return self.label


def partition_name(table: str, quarter: Quarter) -> str:
    return f"{table}_{quarter.label}"


def default_partition_name(table: str) -> str:
    return f"{table}_default"


def parse_partition_name(name: str) -> tuple[str, Quarter] | None:
    m = _NAME.match(name)
    if not m:
        return None
    return m.group("table"), Quarter(int(m.group("year")), int(m.group("q")))


def quarters_between(first: Quarter, last: Quarter) -> list[Quarter]:
    out: list[Quarter] = []
    q = first
    while q <= last:
        out.append(q)
        q = q.next()
    return out


def create_partition_sql(table: str, quarter: Quarter) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {partition_name(table, quarter)} PARTITION OF {table} "
        f"FOR VALUES FROM ('{quarter.start.isoformat()}') TO ('{quarter.end.isoformat()}')"
    )


def create_default_partition_sql(table: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {default_partition_name(table)} PARTITION OF {table} DEFAULT"
    )


def existing_quarters(conn: Connection, table: str) -> list[Quarter]:
    rows = conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = :t"
        ),
        {"t": table},
    ).scalars()
    found: list[Quarter] = []
    for name in rows:
        parsed = parse_partition_name(name)
        if parsed and parsed[0] == table:
            found.append(parsed[1])
    return sorted(found)


def ensure_quarters(conn: Connection, table: str, first: Quarter, last: Quarter) -> list[Quarter]:
    """Create any missing quarter partitions in [first, last]; returns those it created."""
    have = set(existing_quarters(conn, table))
    made: list[Quarter] = []
    for quarter in quarters_between(first, last):
        if quarter not in have:
            conn.execute(text(create_partition_sql(table, quarter)))
            made.append(quarter)
    return made
