"""`/login?next=` only ever leads to a page of this site: the open-redirect cases (`/\\evil`,
`/%09/evil`, `//evil`, absolute URLs) are sent to `/login?next=/` before the page loads; a
path of the site is kept. (tests/browser/test_browser_verified.py logs in with them.)"""

from __future__ import annotations

import aiohttp
import pytest

from ivr.web.pages import safe_next
from tests.security.conftest import AppFactory

EVIL = [
    "/%5Cevil.example",  # /\evil.example
    "/%09/evil.example",  # a tab, which URL parsers drop: //evil.example
    "//evil.example",
    "/%5C/evil.example",
    "https://evil.example/agent",
    "https:evil.example",
    "javascript:alert(1)",
    "%2F%2Fevil.example",
    "/%0d%0a/evil.example",
    "evil.example",
]


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("/agent", "/agent"),
        ("/admin/flows?x=1#top", "/admin/flows?x=1#top"),
        ("/\\evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("//evil.example", "/"),
        ("https://evil.example", "/"),
        ("/x\x7f", "/"),
        ("", "/"),
    ],
)
def test_safe_next_keeps_only_paths_of_this_site(raw: str, kept: str) -> None:
    assert safe_next(raw) == kept


async def test_login_sends_every_foreign_next_to_the_home_page(app_factory: AppFactory) -> None:
    async with app_factory() as app, aiohttp.ClientSession() as http:
        for raw in EVIL:
            url = f"{app.http_url}/login?next={raw}"
            async with http.get(url, allow_redirects=False) as response:
                assert (response.status, response.headers["Location"]) == (303, "/login?next=/"), (
                    raw
                )
        async with http.get(f"{app.http_url}/login?next=/agent", allow_redirects=False) as r:
            assert r.status == 200
