"""Keep tokens out of logs and error messages.

API tokens (`123456-a-…`, private `123456-p-…`), OAuth tokens and install codes (long random
strings) and whole `Authorization` / `Shoptet-Access-Token` header values are masked wherever
text leaves the client: exception messages and the log records of our, httpx's and httpcore's
loggers.
"""

from __future__ import annotations

import logging
import re

MASK = "***"
_PATTERNS = (
    re.compile(
        r"(?i)((?:shoptet-access-token|authorization|shoptet-private-api-token)[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+(?:\s+[^\s\"',}]+)?"
    ),
    re.compile(r"(?i)\b(bearer\s+)[^\s\"',}]+"),
    re.compile(r"\b()\d+-[ap]-[A-Za-z0-9-]{6,}"),
    re.compile(r"\b()[A-Za-z0-9]{48,}\b"),
)


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


class RedactTokens(logging.Filter):
    """Rewrites a record's message with tokens masked (never drops the record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_FILTER = RedactTokens()
# Logger filters are not inherited by child loggers, so every logger that may see a token is listed.
LOGGERS = (
    "activities.shoptet",
    "activities.shoptet.client",
    "activities.shoptet.oauth",
    "activities.shoptet.tokens",
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
)


def install_log_redaction() -> None:
    """Attach the filter to the loggers the client's traffic goes through (idempotent)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
