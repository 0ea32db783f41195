"""The types of parsed JSON, for payloads read with json.loads / orjson.loads / httpx.

`isinstance(value, dict)` on a `JsonValue` narrows it to `JsonObject` with known key and value
types, so code that walks a payload field by field type-checks without casts. Annotate the one
assignment where JSON enters (`doc: JsonValue = orjson.loads(line)`).
"""

from __future__ import annotations

from typing import TypeAlias

JsonValue: TypeAlias = "str | int | float | bool | list[JsonValue] | dict[str, JsonValue] | None"
JsonObject: TypeAlias = "dict[str, JsonValue]"
JsonArray: TypeAlias = "list[JsonValue]"
