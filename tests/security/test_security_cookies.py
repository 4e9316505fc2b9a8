"""The session cookie is `Secure` behind TLS: on by default when the public base URL is https,
by `security.cookie_secure: true` otherwise, and off for a plain-HTTP laptop setup."""

from __future__ import annotations

import aiohttp
import pytest

from tests.security.conftest import AppFactory


@pytest.mark.parametrize(
    ("env", "secure"),
    [
        ({}, False),
        ({"IVR_HTTP_PUBLIC_BASE_URL": "https://ivr.example.com"}, True),
        ({"IVR_SECURITY_COOKIE_SECURE": "true"}, True),
        ({"IVR_HTTP_PUBLIC_BASE_URL": "https://x.example", "IVR_SECURITY_COOKIE_SECURE": "false"},
         False),
    ],
)  # fmt: skip
async def test_session_cookie_is_secure_behind_tls(
    app_factory: AppFactory, env: dict[str, str], secure: bool
) -> None:
    async with app_factory(**env) as app, aiohttp.ClientSession() as http:
        token = await app.users.add_user("sue", ["supervisor"])
        listen = app.services.http.local_url  # the public URL is the (absent) TLS proxy
        async with http.post(f"{listen}/api/session", json={"token": token}) as response:
            assert response.status == 200
            cookie = response.headers["Set-Cookie"]
        assert cookie.startswith("ivr_session=")
        assert "HttpOnly" in cookie
        assert "SameSite=Strict" in cookie
        assert ("Secure" in cookie) is secure
