"""Error fingerprints: the same bug gives the same fingerprint however its values differ.

A fingerprint is the exception type, its message with the variable parts masked (numbers, ids,
quoted values, e-mails, URLs) and the top frames of our own code (module:function, no line
numbers, so an unrelated edit above does not split a group). Samples keep the message as raised
but with anything that looks like a secret redacted: errors are shown to ops and never carry a
token, a password or a key.
"""

from __future__ import annotations

import hashlib
import re
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parent.parent
OUR_PACKAGES = ("api", "activities", "workflows", "db", "infra", "tests", "bench")
TOP_FRAMES = 3
MESSAGE_LIMIT = 500

_SECRETS = [
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 [redacted]"),
    # key=value / key: value pairs whose key names a secret
    (
        re.compile(
            r"(?i)\b([\w-]*(?:token|secret|password|passwd|api[_-]?key|signature|authorization|cookie)[\w-]*)"
            r"(\s*[=:]\s*|\"\s*:\s*\"|'\s*:\s*')([^\s,;&\"')]+)"
        ),
        r"\1\2[redacted]",
    ),
    (re.compile(r"(?i)(://[^:/\s]+:)[^@\s]+@"), r"\1[redacted]@"),  # passwords in URLs
    (re.compile(r"([?&]code=)[^&\s\"']+"), r"\1[redacted]"),  # OAuth install codes in URLs
    (re.compile(r"\b[A-Za-z0-9_-]{32,}\b"), "[redacted]"),  # long opaque strings: keys, tokens
]

_VARIABLE = [
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "<email>"),
    (re.compile(r"https?://\S+"), "<url>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I), "<uuid>"),
    (re.compile(r"'[^']*'"), "'<str>'"),
    (re.compile(r'"[^"]*"'), '"<str>"'),
    (re.compile(r"\b0x[0-9a-f]+\b", re.I), "<hex>"),
    (re.compile(r"\b[0-9a-f]{12,}\b", re.I), "<hex>"),
    (re.compile(r"\d+(\.\d+)?"), "<n>"),
]


def redact(text: str) -> str:
    """The text with secret-looking values replaced; used for samples and log lines."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def normalise(message: str) -> str:
    """The message with its variable parts masked, so occurrences group together."""
    text = redact(message)
    for pattern, replacement in _VARIABLE:
        text = pattern.sub(replacement, text)
    return " ".join(text.split())[:MESSAGE_LIMIT]


def top_frames(tb: TracebackType | None, limit: int = TOP_FRAMES) -> list[str]:
    """The innermost `limit` frames of our own code as `module:function` (library frames skipped)."""
    frames = []
    for frame in traceback.extract_tb(tb):
        path = Path(frame.filename)
        try:
            relative = path.resolve().relative_to(ROOT)
        except ValueError:
            continue
        if relative.parts[0] not in OUR_PACKAGES or relative.parts[:2] == ("infra", "telemetry"):
            continue  # library frames and the telemetry that caught it say nothing about the bug
        module = ".".join(relative.with_suffix("").parts)
        frames.append(f"{module}:{frame.name}")
    return frames[-limit:]


@dataclass(frozen=True)
class ErrorSignature:
    fingerprint: str
    error_type: str
    message: str  # normalised
    sample: str  # redacted, as raised
    frames: list[str]


def type_name(exc: BaseException) -> str:
    cls = type(exc)
    module = cls.__module__
    return cls.__qualname__ if module in ("builtins", "__main__") else f"{module}.{cls.__qualname__}"


def signature(exc: BaseException) -> ErrorSignature:
    error_type = type_name(exc)
    raw = str(exc) or error_type
    message = normalise(raw)
    frames = top_frames(exc.__traceback__)
    digest = hashlib.sha1("\n".join([error_type, message, *frames]).encode(), usedforsecurity=False)
    return ErrorSignature(
        fingerprint=digest.hexdigest()[:32],
        error_type=error_type[:200],
        message=message,
        sample=redact(raw)[:MESSAGE_LIMIT],
        frames=frames,
    )
