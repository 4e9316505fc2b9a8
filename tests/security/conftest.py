"""Fixtures of the security tests: the whole app (sandbox switch at speed 50, real
redis-server, SQLite) from the call tests, an API client per role, and an emergency caller."""

from __future__ import annotations

from typing import Any

import aiohttp

from ivr.app import App
from ivr.call.media import prompt_text
from ivr.sandbox.caller import Transcript
from tests.helpers import until
from tests.integration.call.conftest import AppFactory, app_factory, tts_cache
from tests.integration.call.driver import CallDriver

__all__ = ["AppFactory", "app_factory", "tts_cache"]

EMERGENCY = "95556"
ACCOUNT, PIN = "12345678", "123456"  # the sample account (张伟) and its trading PIN


class Client:
    """The staff API as one user (`token` None: no token at all)."""

    def __init__(self, app: App, session: aiohttp.ClientSession, token: str | None) -> None:
        self.base, self.session = app.http_url, session
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with self.session.request(
            method, self.base + path, json=body, headers=self.headers
        ) as response:
            text = await response.text()
            try:
                return response.status, await response.json(content_type=None)
            except ValueError:
                return response.status, text


async def clients(app: App, session: aiohttp.ClientSession) -> dict[str, Client]:
    tokens = {
        "admin": await app.users.add_user("ada", ["admin"]),
        "supervisor": await app.users.add_user("sue", ["supervisor"]),
        "agent": await app.users.add_user("al", ["agent"], agent_id="a-1"),
        "compliance": await app.users.add_user("cy", ["compliance"]),
    }
    return {"none": Client(app, session, None)} | {
        role: Client(app, session, token) for role, token in tokens.items()
    }


SETTLED = frozenset({"get_account", "unverified_desk", "desk"})


async def settled(driver: CallDriver) -> str:
    """Wait until the call asks for the account again or waits at the desk; that node."""

    def node() -> str | None:
        session = driver.app.sessions.get(driver.channel_id)
        state = None if session is None else session.state
        if state is None or state.phase not in ("input", "queued") or state.node not in SETTLED:
            return None
        return state.node

    found: str = await until(node, timeout_s=20, what="the flow's next ask or queue")
    return found


async def try_pins(app: App, caller: str, attempts: list[tuple[str, str]]) -> list[str]:
    """One emergency call from `caller` entering (account, PIN) pairs in turn; hangs up after
    the last; the texts the caller heard."""
    driver = await CallDriver.dial(app, dialed=EMERGENCY, caller=caller)
    await driver.press("1")  # Mandarin: 95556 asks the language first
    for account, pin in attempts:
        await driver.run(f"{account}#,{pin}")
        await settled(driver)
    driver.hang_up()
    return heard_texts(app, await driver.ended())


def heard_texts(app: App, transcript: Transcript) -> list[str]:
    cache = app.renderer.cache_dir
    return [prompt_text(cache, uri) or uri for uri in transcript.heard]
