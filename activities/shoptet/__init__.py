"""Shoptet API client: typed errors, rate-limit handling, OAuth calls, streaming lists and downloads."""

from activities.shoptet.client import DownloadResult, ShoptetClient
from activities.shoptet.errors import ShoptetError
from activities.shoptet.oauth import ApiToken, OAuthGrant, exchange_code, get_api_token
from activities.shoptet.ratelimit import RetryPolicy
from activities.shoptet.tokens import OAuthTokenSource, StaticToken, TokenSource

__all__ = [
    "ApiToken",
    "DownloadResult",
    "OAuthGrant",
    "OAuthTokenSource",
    "RetryPolicy",
    "ShoptetClient",
    "ShoptetError",
    "StaticToken",
    "TokenSource",
    "exchange_code",
    "get_api_token",
]
