"""Field checks for Shoptet's string-typed values, returned ready for COPY's text format.

Values stay text so PostgreSQL parses them once; free text is escaped here, NULL is `\\N`,
and numbers, times and GUIDs pass a format check, so a row is one `"\\t".join(...)` away
from COPY. Each check raises `BadLine` naming the field and value: the quarantine reason.
"""

from __future__ import annotations

import re
from typing import Any

_DECIMAL = re.compile(r"-?\d{1,12}(\.\d{1,8})?")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:?\d{2})")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_is_decimal, _is_timestamp, _is_uuid = _DECIMAL.fullmatch, _TIMESTAMP.fullmatch, _UUID.fullmatch
_SPECIAL = re.compile(r"[\\\t\n\r]")
_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}

NULL = "\\N"  # COPY text format's NULL


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


def decimal(doc: dict[str, Any], field: str, *, required: bool = False) -> str:
    value = doc.get(field)
    if value is None:
        if required:
            raise BadLine(f"{field}: missing")
        return NULL
    if type(value) is str and _is_decimal(value):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and value == value:
        return repr(value)
    raise BadLine(f"{field}: not a decimal number: {_show(value)}")


def timestamp(doc: dict[str, Any], field: str, *, required: bool = False) -> str:
    value = doc.get(field)
    if value is None:
        if required:
            raise BadLine(f"{field}: missing")
        return NULL
    if type(value) is not str or not _is_timestamp(value):
        raise BadLine(f"{field}: not an ISO 8601 time with offset: {_show(value)}")
    return value


def integer(doc: dict[str, Any], field: str, *, required: bool = False) -> str:
    value = doc.get(field)
    if value is None:
        if required:
            raise BadLine(f"{field}: missing")
        return NULL
    if type(value) is int:
        return str(value)
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).lstrip("-").isdigit():
        raise BadLine(f"{field}: not an integer: {_show(value)}")
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


def _show(value: Any) -> str:
    text_value = repr(value)
    return text_value if len(text_value) <= 60 else text_value[:57] + "..."
