"""Security headers on every response, no-store on the API, HSTS and Secure cookies over HTTPS."""

from __future__ import annotations

import httpx
import pytest

from api.web_security import UI_CSP
from tests.support import app_env, login

EVERYWHERE = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


def _assert_common(response: httpx.Response) -> None:
    for name, value in EVERYWHERE.items():
        assert response.headers.get(name) == value, (response.url, name)
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/health"),
        ("GET", "/api/auth/me"),  # 401 problem
        ("GET", "/api/no-such-route"),  # 404 problem
        ("POST", "/api/auth/login"),  # 422 problem
        ("GET", "/api/openapi.json"),
    ],
)
async def test_api_responses_carry_the_headers_and_no_store(
    api: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await api.request(method, path, json={} if method == "POST" else None)
    _assert_common(response)
    assert response.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in response.headers  # plain HTTP: no HSTS


async def test_ui_pages_get_the_strict_csp_and_the_docs_their_own(api: httpx.AsyncClient) -> None:
    page = await api.get("/shops")
    _assert_common(page)
    assert page.headers["content-security-policy"] == UI_CSP
    assert "script-src 'self';" in UI_CSP and "unsafe-eval" not in UI_CSP
    assert "cache-control" not in page.headers or page.headers["cache-control"] != "no-store"
    docs = await api.get("/api/docs")
    _assert_common(docs)
    assert "https://cdn.jsdelivr.net" in docs.headers["content-security-policy"]


async def test_a_refused_cross_site_request_carries_the_headers_too(
    api: httpx.AsyncClient, make_user
) -> None:  # type: ignore[no-untyped-def]
    user, password = make_user()
    await login(api, user.email, password)
    refused = await api.post(
        "/api/notifications/read-all", headers={"Origin": "https://evil.example"}
    )
    assert refused.status_code == 403
    _assert_common(refused)
    assert refused.headers["cache-control"] == "no-store"


async def test_over_https_hsts_is_sent_and_cookies_are_secure(make_user) -> None:  # type: ignore[no-untyped-def]
    from api.app import create_app

    user, password = make_user()
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="https://shopops.test") as https:
        signed_in = await https.post(
            "/api/auth/login", json={"email": user.email, "password": password}
        )
        assert signed_in.status_code == 200, signed_in.text
        assert signed_in.headers["strict-transport-security"].startswith("max-age=31536000")
        cookies = signed_in.headers.get_list("set-cookie")
        assert len(cookies) == 2 and all("Secure" in c for c in cookies), cookies


@pytest.mark.parametrize(
    ("env", "secure"),
    [
        ({"SHOPOPS_ENV": "production"}, True),
        ({"SHOPOPS_ENV": "production", "COOKIE_SECURE": "false"}, False),
        ({"SHOPOPS_ENV": "development"}, False),
        ({"SHOPOPS_ENV": "development", "COOKIE_SECURE": "true"}, True),
    ],
)
async def test_secure_cookies_by_setting_on_by_default_outside_development(
    api: httpx.AsyncClient, make_user, env: dict[str, str], secure: bool
) -> None:  # type: ignore[no-untyped-def]
    user, password = make_user()
    with app_env(**env):  # read per request: the app needs no restart in the test
        signed_in = await api.post(
            "/api/auth/login", json={"email": user.email, "password": password}
        )
    assert signed_in.status_code == 200, signed_in.text
    cookies = signed_in.headers.get_list("set-cookie")
    assert [("Secure" in c) for c in cookies] == [secure, secure]


async def test_an_unhandled_error_still_carries_the_headers() -> None:
    from api.app import create_app

    app = create_app()

    async def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/api/test-faults/broken", broken, methods=["POST"])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        failed = await client.post("/api/test-faults/broken")
    assert failed.status_code == 500
    _assert_common(failed)
    assert failed.headers["cache-control"] == "no-store"


async def test_hashed_assets_are_compressed_and_cached_for_good_the_page_is_revalidated(
    api: httpx.AsyncClient,
) -> None:
    from api.app import UI_DIST

    scripts = sorted((UI_DIST / "assets").glob("*.js"), key=lambda p: p.stat().st_size)
    assert scripts, "ui/dist is not built: `make test` builds it before the tests (make ui)"
    name = scripts[-1].name
    asset = await api.get(f"/assets/{name}", headers={"Accept-Encoding": "gzip"})
    assert asset.status_code == 200
    assert asset.headers["content-encoding"] == "gzip"
    assert asset.num_bytes_downloaded < scripts[-1].stat().st_size / 2
    assert asset.content == scripts[-1].read_bytes()  # httpx decodes: the same bytes arrive
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    _assert_common(asset)
    missing = await api.get("/assets/no-such-file.js")
    assert missing.status_code == 404 and "immutable" not in missing.headers.get("cache-control", "")
    page = await api.get("/orders")
    assert page.headers["cache-control"] == "no-cache"  # a new release is seen at once
