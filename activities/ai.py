"""An OpenAI-compatible chat client behind one function, metered in tokens per shop.

Off unless AI_BASE_URL is set (AI_API_KEY, AI_MODEL beside it). Before a call the shop's
`ai_tokens` budget must have room (refused at 100 %, counted); after it the tokens the
provider reports in `usage` are charged, so the meter shows what the provider will bill.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import httpx

from db.config import get_settings
from db.metering import AI_TOKENS, charge

AI_TIMEOUT_SECONDS = 60.0


class AiOff(RuntimeError):
    """AI_BASE_URL is not set: this deployment calls no AI provider."""


@dataclass(frozen=True)
class ChatAnswer:
    text: str
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


def enabled() -> bool:
    return bool(get_settings().ai_base_url)


async def chat(
    messages: list[dict[str, str]], *, shop_id: int | None, max_tokens: int = 500,
    at: datetime | None = None,
) -> ChatAnswer:
    """One chat completion; AiOff when off, BudgetExceeded when the shop's tokens are spent."""
    settings = get_settings()
    if not settings.ai_base_url:
        raise AiOff("AI is off: set AI_BASE_URL (and AI_API_KEY, AI_MODEL) to use it")
    await charge(shop_id, AI_TOKENS, 0, at=at)
    headers = {}
    if settings.ai_api_key is not None:
        headers["Authorization"] = f"Bearer {settings.ai_api_key.get_secret_value()}"
    async with httpx.AsyncClient(timeout=AI_TIMEOUT_SECONDS) as http:
        response = await http.post(
            settings.ai_base_url.rstrip("/") + "/chat/completions",
            json={"model": settings.ai_model, "messages": messages, "max_tokens": max_tokens},
            headers=headers,
        )
    response.raise_for_status()
    body = response.json()
    usage = body.get("usage") or {}
    prompt, completion = int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0))
    total = int(usage.get("total_tokens", prompt + completion))
    await charge(shop_id, AI_TOKENS, total, force=True, at=at)
    return ChatAnswer(
        text=str(body["choices"][0]["message"]["content"]).strip(),
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=total,
    )
