"""What every HTTP exchange goes through: the CSRF check, the security headers, and the audit
row of every admin action.

CSRF: a browser sends the session cookie with any request to us, even one a foreign page
makes (a form POST needs no script and, with an empty body, no JSON). So a state-changing
request that carries the session cookie must also carry `X-CSRF-Token`, the HMAC of that
session (`api.security.csrf_token`) which only our own pages can read from the
`shopops_csrf` cookie, and its Origin (or Referer) must be ours. Bearer-token calls carry no
ambient credential and are exempt, as are Shoptet's webhook receiver and install callback.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import SESSION_COOKIE, Actor
from api.problems import problem_response
from api.security import csrf_matches
from db.config import get_settings

log = logging.getLogger(__name__)

CSRF_COOKIE = "shopops_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Shoptet calls these without a session (signed webhooks; a one-time install code)
CSRF_EXEMPT_PREFIXES = ("/api/webhooks/", "/api/shoptet/")
# sign-in, sign-out, password and token changes write their own, more telling audit rows
SELF_AUDITED_PREFIX = "/api/auth/"
# uses no session (a stale cookie may still be around), so only its origin is checked
SIGN_IN = "/api/auth/login"

# The built UI loads only its own scripts; Mantine sets inline styles, hence 'unsafe-inline'
# for styles only. frame-ancestors makes the page unframeable (X-Frame-Options for old browsers).
UI_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# FastAPI's Swagger page loads its script and styles from jsDelivr and starts with an inline script
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def allowed_origins(request: Request) -> set[str]:
    """Our own origin as the browser addressed it, PUBLIC_BASE_URL's, and the configured extras."""
    settings = get_settings()
    own = {f"{request.url.scheme}://{request.headers.get('host', '')}".lower()}
    extras = [o.strip() for o in settings.csrf_trusted_origins.split(",") if o.strip()]
    return own | {o for o in (_origin(u) for u in [settings.public_base_url, *extras]) if o}


def csrf_refusal(request: Request) -> str | None:
    """Why this request must be refused as a possible cross-site forgery, or None."""
    if request.method in SAFE_METHODS or request.url.path.startswith(CSRF_EXEMPT_PREFIXES):
        return None
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return None
    session = request.cookies.get(SESSION_COOKIE)
    sent_from = request.headers.get("origin") or (
        _origin(request.headers["referer"]) if "referer" in request.headers else None
    )
    # Checked for the sign-in too (no session yet), so a foreign page cannot sign a victim in.
    if sent_from is not None and sent_from.lower() not in allowed_origins(request):
        return f"the request came from {sent_from[:200]}, which is not this site"
    if session is None or request.url.path == SIGN_IN:
        return None  # nothing ambient to abuse: the route answers 401 unless it needs no user
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        return f"the {CSRF_HEADER} header is missing (send the {CSRF_COOKIE} cookie's value)"
    if not csrf_matches(session, sent):
        return f"the {CSRF_HEADER} header does not match this session"
    return None


def _security_headers(scope: Scope, headers: MutableHeaders, status: int) -> None:
    path: str = scope.get("path", "")
    csp = DOCS_CSP if path.startswith("/api/docs") else UI_CSP
    headers.setdefault("Content-Security-Policy", csp)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if scope.get("scheme") == "https" or get_settings().public_base_url.startswith("https://"):
        headers.setdefault("Strict-Transport-Security", HSTS)
    if path.startswith("/api/") or path == "/metrics":
        headers["Cache-Control"] = "no-store"
    elif path.startswith("/assets/") and status == 200:
        headers.setdefault("Cache-Control", IMMUTABLE)
    else:  # index.html and the SPA's routes: always ask, so a release is picked up at once
        headers.setdefault("Cache-Control", "no-cache")


IMMUTABLE = "public, max-age=31536000, immutable"  # content-hashed file names


class WebSecurity:
    """Pure ASGI middleware (no response buffering, so streamed exports stay streamed)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})
        status = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                _security_headers(scope, MutableHeaders(scope=message), status)
            await send(message)

        request = Request(scope)
        if refusal := csrf_refusal(request):
            response = problem_response(
                403,
                "Cross-site request refused",
                f"{refusal}. Reload the page and try again; scripts should use an API token "
                "(Authorization: Bearer).",
            )
            await response(scope, receive, send_with_headers)
            return
        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            actor = scope["state"].get("actor")
            if (
                isinstance(actor, Actor)
                and actor.is_admin
                and request.method not in SAFE_METHODS
                and not request.url.path.startswith(SELF_AUDITED_PREFIX)
            ):
                await _audit_admin_action(request, actor, status)


async def _audit_admin_action(request: Request, actor: Actor, status: int) -> None:
    from api.services import audit_log as audit

    route = request.scope.get("route")
    try:
        await audit.record(
            "admin.request",
            success=200 <= status < 400,
            user_id=actor.user_id,
            email=actor.email,
            ip=audit.client_ip(request),
            detail={
                "method": request.method,
                "path": request.url.path,
                "route": getattr(route, "path", None),
                "status": status,
            },
        )
    except Exception:  # the action happened; a lost audit row must not turn it into an error
        log.exception("could not write the audit row of an admin action")
