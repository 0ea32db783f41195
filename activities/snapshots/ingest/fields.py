"""Field checks for Shoptet's string-typed values, returned ready for COPY's text format.

Values stay text so PostgreSQL parses them once; free text is escaped here, NULL is `\\N`,
and numbers, times and GUIDs pass a format check, so a row is one `"\\t".join(...)` away
from COPY. Each check raises `BadLine` naming the field and value: the quarantine reason.

Every check also holds the value to its column's domain (numeric precision and scale,
integer width, a real calendar date, no NUL, the text length), so PostgreSQL refuses a
checked row only in cases these checks do not know; the loader bisects those (loader.py).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

_DECIMAL = re.compile(r"-?\d{1,12}(\.\d{1,8})?", re.ASCII)
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:?\d{2})", re.ASCII)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_INTEGER = re.compile(r"-?[0-9]{1,20}")
_is_decimal, _is_timestamp, _is_uuid = _DECIMAL.fullmatch, _TIMESTAMP.fullmatch, _UUID.fullmatch
_is_integer = _INTEGER.fullmatch
_JSON_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")  # an unescaped \u0000 escape
_SPECIAL = re.compile(r"[\\\t\n\r]")
_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}

NULL = "\\N"  # COPY text format's NULL

# numeric(precision, scale) of the target columns
MONEY = (14, 2)
QUANTITY = (14, 3)
RATE = (5, 2)  # VAT rate in percent
EXCHANGE = (16, 8)
INT32 = 2**31 - 1  # integer columns
INT64 = 2**63 - 1  # bigint columns
_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def escape(value: str) -> str:
    """Escape free text for COPY's text format (cheap when there is nothing to escape)."""
    if _SPECIAL.search(value) is None:
        return value
    return _SPECIAL.sub(lambda m: _ESCAPES[m.group()], value)


class BadLine(ValueError):
    """A document that cannot become rows; the message is the quarantine reason."""


def obj(doc: Any, field: str) -> dict[str, Any]:
    value = doc.get(field) if isinstance(doc, dict) else None
    if not isinstance(value, dict):
        raise BadLine(f"{field}: expected an object, got {_show(value)}")
    return value


def opt_obj(doc: dict[str, Any], field: str) -> dict[str, Any]:
    value = doc.get(field)
    return value if isinstance(value, dict) else {}


def text(
    doc: dict[str, Any], field: str, limit: int, *, required: bool = False, default: str = NULL
) -> str:
    value = doc.get(field)
    if value is None or value == "":
        if required:
            raise BadLine(f"{field}: missing")
        return default
    if not isinstance(value, str):
        if not isinstance(value, int) or isinstance(value, bool):
            raise BadLine(f"{field}: expected a string, got {_show(value)}")
        value = str(value)
    if len(value) > limit:
        raise BadLine(f"{field}: longer than {limit} characters")
    if "\x00" in value:
        raise BadLine(f"{field}: contains a NUL character")
    return escape(value)


def decimal(
    doc: dict[str, Any], field: str, digits: tuple[int, int] = MONEY, *, required: bool = False
) -> str:
    """A number that fits numeric(precision, scale) once PostgreSQL rounds it to the scale."""
    value = doc.get(field)
    if value is None:
        if required:
            raise BadLine(f"{field}: missing")
        return NULL
    if type(value) is str and _is_decimal(value):
        number = value
    elif isinstance(value, int | float) and not isinstance(value, bool) and value == value:
        number = str(value) if isinstance(value, int) else _plain(value)
        if number is None:
            raise BadLine(f"{field}: not a finite number: {_show(value)}")
    else:
        raise BadLine(f"{field}: not a decimal number: {_show(value)}")
    precision, scale = digits
    whole = number.lstrip("-").split(".", 1)[0].lstrip("0")
    if len(whole) >= precision - scale and not _fits(number, precision, scale):
        raise BadLine(f"{field}: {_show(value)} does not fit numeric({precision},{scale})")
    return number


def _plain(value: float) -> str | None:
    """A float in plain notation (`1e+20` -> `100000000000000000000`), None for infinities."""
    try:
        return format(Decimal(repr(value)), "f")
    except InvalidOperation:
        return None


def _fits(number: str, precision: int, scale: int) -> bool:
    """Exact test for the rare long values: round to the scale, count the digits left of it."""
    try:
        rounded = Decimal(number).quantize(Decimal(1).scaleb(-scale))
    except InvalidOperation:
        return False
    return len(rounded.as_tuple().digits) <= precision or rounded.is_zero()


def timestamp(doc: dict[str, Any], field: str, *, required: bool = False) -> str:
    value = doc.get(field)
    if value is None:
        if required:
            raise BadLine(f"{field}: missing")
        return NULL
    if type(value) is not str or not _is_timestamp(value):
        raise BadLine(f"{field}: not an ISO 8601 time with offset: {_show(value)}")
    if not real_time(value):
        raise BadLine(f"{field}: not a real date and time: {_show(value)}")
    return value


def real_time(value: str) -> bool:
    """The calendar behind the format: 2024-02-30, month 13, 25:00, year 0 or a +16:00 offset
    pass the regex but not PostgreSQL."""
    year, month, day = int(value[0:4]), int(value[5:7]), int(value[8:10])
    if year == 0 or not 1 <= month <= 12 or not 1 <= day <= _DAYS[month - 1]:
        return False
    if month == 2 and day == 29 and (year % 4 or (year % 100 == 0 and year % 400)):
        return False
    if int(value[11:13]) > 23 or int(value[14:16]) > 59 or int(value[17:19]) > 59:
        return False
    if value[-1] == "Z":
        return True
    offset = value[-5:].replace(":", "") if value[-3] == ":" else value[-4:]
    return int(offset[-4:-2]) <= 15 and int(offset[-2:]) <= 59


def integer(doc: dict[str, Any], field: str, limit: int = INT32, *, required: bool = False) -> str:
    """An integer within the column's range (`INT32` for integer, `INT64` for bigint)."""
    value = doc.get(field)
    if value is None:
        if required:
            raise BadLine(f"{field}: missing")
        return NULL
    if type(value) is not int:
        if type(value) is not str or not _is_integer(value):
            raise BadLine(f"{field}: not an integer: {_show(value)}")
        value = int(value)
    if not -limit - 1 <= value <= limit:
        kind = "integer" if limit == INT32 else "bigint"
        raise BadLine(f"{field}: {_show(value)} is out of {kind} range")
    return str(value)


def uuid(doc: dict[str, Any], field: str, *, required: bool = False) -> str:
    value = doc.get(field)
    if value is None:
        if required:
            raise BadLine(f"{field}: missing")
        return NULL
    if type(value) is not str or not _is_uuid(value):
        raise BadLine(f"{field}: not a GUID: {_show(value)}")
    return value


def boolean(doc: dict[str, Any], field: str, default: str = NULL) -> str:
    value = doc.get(field)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise BadLine(f"{field}: expected true or false, got {_show(value)}")
    return "t" if value else "f"


def json_text(value: str, field: str) -> str:
    """Serialised JSON for a jsonb column: PostgreSQL refuses the escape of NUL (`\\u0000`)."""
    if "u0000" in value and _JSON_NUL.search(value):
        raise BadLine(f"{field}: contains a NUL character (\\u0000), which jsonb cannot store")
    return escape(value)


def _show(value: Any) -> str:
    text_value = repr(value)
    return text_value if len(text_value) <= 60 else text_value[:57] + "..."
