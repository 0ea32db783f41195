"""OAuth install flow, API tokens (30 min, at most 5) and the token checks on /api."""

from __future__ import annotations

import re

import httpx
import orjson

from infra.sandbox.testing import Received, RunningSandbox, running_receiver

from .conftest import SHOP

TOKEN = "/action/ApiOAuthServer/token"
API_TOKEN = "/action/ApiOAuthServer/getAccessToken"


def _exchange_body(
    sb: RunningSandbox, code: str, redirect_uri: str = "https://addon.example/install"
) -> dict:
    return {
        "client_id": sb.state.client_id,
        "client_secret": sb.state.client_secret,
        "code": code,
        "grant_type": "authorization_code",
        "redirect_uri": redirect_uri,
        "scope": "api",
    }


async def test_code_exchange_json_returns_a_255_char_oauth_token(sb: RunningSandbox) -> None:
    code = sb.state.mint_code(SHOP.eshop_id, "https://addon.example/install")
    assert len(code) == 255
    async with httpx.AsyncClient(base_url=sb.url) as http:
        response = await http.post(TOKEN, json=_exchange_body(sb, code))
    assert response.status_code == 200
    grant = response.json()
    assert len(grant["access_token"]) == 255
    assert grant["expires_in"] is None
    assert grant["token_type"] == "Bearer" and grant["scope"] == "api"
    assert grant["eshopId"] == SHOP.eshop_id
    assert grant["eshopUrl"] == SHOP.eshop_url
    assert "@" in grant["contactEmail"]


async def test_code_exchange_accepts_form_encoding_and_codes_are_single_use(
    sb: RunningSandbox,
) -> None:
    code = sb.state.mint_code(SHOP.eshop_id)
    async with httpx.AsyncClient(base_url=sb.url) as http:
        first = await http.post(TOKEN, data=_exchange_body(sb, code))
        again = await http.post(TOKEN, data=_exchange_body(sb, code))
    assert first.status_code == 200
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


async def test_bad_codes_clients_and_redirects_are_refused(sb: RunningSandbox) -> None:
    async with httpx.AsyncClient(base_url=sb.url) as http:
        unknown = await http.post(TOKEN, json=_exchange_body(sb, "x" * 255))
        code = sb.state.mint_code(SHOP.eshop_id, "https://addon.example/install")
        wrong_redirect = await http.post(
            TOKEN, json=_exchange_body(sb, code, "https://evil.example/")
        )
        code = sb.state.mint_code(SHOP.eshop_id)
        wrong_secret = await http.post(
            TOKEN, json={**_exchange_body(sb, code), "client_secret": "nope"}
        )
        code = sb.state.mint_code(SHOP.eshop_id)
        sb.state.clock.advance(sb.state.limits.code_ttl + 1)
        expired = await http.post(TOKEN, json=_exchange_body(sb, code))
    assert (unknown.status_code, unknown.json()["error"]) == (400, "invalid_grant")
    assert (wrong_redirect.status_code, wrong_redirect.json()["error"]) == (400, "invalid_grant")
    assert (wrong_secret.status_code, wrong_secret.json()["error"]) == (401, "invalid_client")
    assert (expired.status_code, expired.json()["error"]) == (400, "invalid_grant")
    assert "expired" in expired.json()["error_description"]


async def test_api_tokens_are_shaped_valid_30_minutes_and_capped_at_five(
    sb: RunningSandbox,
) -> None:
    oauth = sb.state.install(SHOP.eshop_id)
    async with httpx.AsyncClient(
        base_url=sb.url, headers={"Authorization": f"Bearer {oauth}"}
    ) as http:
        tokens = []
        for _ in range(5):
            response = await http.get(API_TOKEN)
            assert response.status_code == 200
            assert response.json()["expires_in"] == 1800
            tokens.append(response.json()["access_token"])
        sixth = await http.get(API_TOKEN)
        assert sixth.status_code == 429
        assert sixth.json()["error"] == "maximum_tokens_reached"
        for token in tokens:
            assert re.fullmatch(rf"{SHOP.eshop_id}-a-[a-z0-9]{{32}}", token)
        # all five stay usable: minting does not revoke older tokens
        for token in tokens:
            ok = await http.get("/api/eshop", headers={"Shoptet-Access-Token": token})
            assert ok.status_code == 200
        sb.state.clock.advance(1799)
        still = await http.get("/api/eshop", headers={"Shoptet-Access-Token": tokens[0]})
        assert still.status_code == 200
        sb.state.clock.advance(2)
        expired = await http.get("/api/eshop", headers={"Shoptet-Access-Token": tokens[0]})
        assert expired.status_code == 401
        assert expired.json()["errors"][0]["errorCode"] == "expired-token"
        assert (await http.get(API_TOKEN)).status_code == 200  # slots free again after expiry
    stats = (await httpx.AsyncClient(base_url=sb.url).get("/_sandbox/stats")).json()
    assert stats["getAccessTokenCalls"] == 7


async def test_get_access_token_errors(sb: RunningSandbox, control: httpx.AsyncClient) -> None:
    oauth = sb.state.install(SHOP.eshop_id)
    async with httpx.AsyncClient(base_url=sb.url) as http:
        missing = await http.get(API_TOKEN)
        unknown = await http.get(API_TOKEN, headers={"Authorization": "Bearer " + "z" * 255})
        await control.post(f"/shops/{SHOP.eshop_id}/installation", json={"status": "suspended"})
        suspended = await http.get(API_TOKEN, headers={"Authorization": f"Bearer {oauth}"})
        await control.post(f"/shops/{SHOP.eshop_id}/installation", json={"status": "uninstalled"})
        gone = await http.get(API_TOKEN, headers={"Authorization": f"Bearer {oauth}"})
    assert (missing.status_code, missing.json()["error"]) == (401, "invalid_token")
    assert (unknown.status_code, unknown.json()["error"]) == (401, "invalid_token")
    assert suspended.json()["error"] == "addon_suspended"
    assert gone.json()["error"] == "addon_not_installed"


async def test_api_token_checks_answer_in_the_envelope(sb: RunningSandbox) -> None:
    async with httpx.AsyncClient(base_url=sb.url) as http:
        missing = await http.get("/api/orders")
        invalid = await http.get(
            "/api/orders", headers={"Shoptet-Access-Token": f"{SHOP.eshop_id}-a-nonsense"}
        )
    for response, code in ((missing, "missing-access-token"), (invalid, "invalid-token")):
        assert response.status_code == 401
        body = response.json()
        assert body["data"] is None
        assert body["errors"][0]["errorCode"] == code
        assert body["metadata"]["requestId"] == response.headers["X-Request-ID"]
        assert response.headers["X-RateLimit-Bucket-Filling"] == "0/200"


async def test_reinstall_revokes_the_previous_oauth_token_and_its_api_tokens(
    sb: RunningSandbox,
) -> None:
    old_oauth = sb.state.install(SHOP.eshop_id)
    old_api = sb.state.tokens.issue_api_token(old_oauth).token
    sb.state.install(SHOP.eshop_id)
    async with httpx.AsyncClient(base_url=sb.url) as http:
        assert (
            await http.get(API_TOKEN, headers={"Authorization": f"Bearer {old_oauth}"})
        ).status_code == 401
        response = await http.get("/api/eshop", headers={"Shoptet-Access-Token": old_api})
    assert response.json()["errors"][0]["errorCode"] == "invalid-token"


async def test_install_driver_calls_the_install_url_and_reports(
    sb: RunningSandbox, control: httpx.AsyncClient
) -> None:
    async with running_receiver() as addon:

        async def exchange(hit: Received) -> int:
            async with httpx.AsyncClient(base_url=sb.url) as http:
                response = await http.post(
                    TOKEN, json=_exchange_body(sb, hit.query["code"], addon.url)
                )
            return 200 if response.status_code == 200 else 500

        addon.handler = exchange
        installed = (
            await control.post(f"/shops/{SHOP.eshop_id}/install", json={"install_url": addon.url})
        ).json()
        assert installed["status"] == "installed" and installed["codeExchanged"] is True
        assert installed["httpStatus"] == 200 and installed["elapsedMs"] < 5000
        assert len(addon.received[0].query["code"]) == 255

        addon.handler, addon.status = None, 500
        failed = (
            await control.post(f"/shops/{SHOP.eshop_id}/install", json={"install_url": addon.url})
        ).json()
        assert failed["status"] == "failed" and "HTTP 500" in failed["error"]

        addon.status, addon.delay = 200, 0.5
        await control.patch("/faults", json={"install_timeout": 0.2})
        slow = (
            await control.post(f"/shops/{SHOP.eshop_id}/install", json={"install_url": addon.url})
        ).json()
        assert slow["status"] == "failed" and "did not answer within" in slow["error"]


async def test_control_api_rejects_unknown_shops_and_knobs(control: httpx.AsyncClient) -> None:
    assert (await control.post("/shops/999/codes")).status_code == 404
    bad = await control.patch("/faults", json={"error_rat": 0.5})
    assert bad.status_code == 422 and "error_rat" in bad.text
    assert (await control.patch("/faults", json={"error_rate": 2})).status_code == 422
    duplicate = await control.post("/shops", json={"eshop_id": SHOP.eshop_id})
    assert duplicate.status_code == 409
    created = await control.post(
        "/shops", json={"eshop_id": 4242, "orders": 10, "date_to": "2024-01-31"}
    )
    assert created.status_code == 201
    assert orjson.loads(created.content)["dateFrom"] == "2022-01-31"  # 730 days back
