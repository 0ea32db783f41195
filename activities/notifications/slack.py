"""A Slack-compatible incoming webhook: POST {"text": …}, metered as a webhook delivery."""

from __future__ import annotations

from datetime import datetime

import httpx

from db.metering import WEBHOOK_DELIVERIES, charge

SLACK_TIMEOUT_SECONDS = 10.0


class SlackRejected(RuntimeError):
    """The webhook answered 4xx: the URL is wrong or revoked; sending again will not help."""


async def post(url: str, text: str, *, shop_id: int | None, at: datetime | None = None) -> None:
    """Post one message; SlackRejected on 4xx, httpx errors on 5xx or the network (try later)."""
    await charge(shop_id, WEBHOOK_DELIVERIES, 1, at=at)
    async with httpx.AsyncClient(timeout=SLACK_TIMEOUT_SECONDS) as http:
        response = await http.post(url, json={"text": text})
    if 400 <= response.status_code < 500:
        raise SlackRejected(f"the Slack webhook refused the message: HTTP {response.status_code}")
    response.raise_for_status()
