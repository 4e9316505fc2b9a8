"""Publish and rollback on a running app (sandbox switch, real Redis, SQLite): a new call follows
the new version while a call started before keeps the old one; a publish from the CLI in another
process reaches the running app by polling; rollback restores the old behaviour.

The edit: the hotline's language menu (option 1 and its no-input fallback) goes to `goodbye`
(hang up) instead of `welcome` -> ... -> `main_menu`. Callers stay silent: the menu's short timer
decides, so the path does not depend on when a key would arrive.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from ivr.app import App
from tests.helpers import until
from tests.integration.call.conftest import AppFactory
from tests.integration.call.driver import CallDriver
from tests.integration.flowversions.conftest import ROOT, hotline_with, option_1_position

IVR = str(Path(sys.executable).parent / "ivr")  # the console script (`-m` would put cwd first)
NEW = hotline_with("goodbye", fallback="goodbye")


def menu_fallback(app: App) -> str:
    return str(app.flows().flows["hotline"].nodes["language_menu"].fallback)  # type: ignore[union-attr]


async def at_language_menu(app: App) -> CallDriver:
    driver = await CallDriver.dial(app)
    await until(
        lambda: driver.session.state is not None and "language_menu" in driver.session.state.path,
        what="the language menu",
    )
    return driver


async def after_menu(driver: CallDriver) -> str:
    """Where the call went after the language menu: `main_menu` (old) or `goodbye` (new)."""
    seen: list[str] = []

    async def check() -> str | None:
        session = driver.app.sessions.get(driver.channel_id)
        if session is not None and session.state is not None:
            seen[:] = session.state.path
        elif session is None:  # ended: read its IVR trace
            await driver.app.call_records.flush()
            detail = await driver.app.store.find_by_channel(driver.channel_id)
            seen[:] = [t.node for t in detail.trace] if detail else []
        return next((n for n in ("goodbye", "main_menu") if n in seen), None)

    return await until(check, timeout_s=20, what="the call past the language menu")


async def finish(driver: CallDriver) -> None:
    if driver.channel_id in driver.app.sessions:
        driver.hang_up()
    await driver.ended()


async def test_calls_keep_their_version_publish_and_rollback(app_factory: AppFactory) -> None:
    async with app_factory() as app:
        old_call = await at_language_menu(app)
        _version, entry = await app.flow_versions.publish_text("hotline", NEW, "ann", "goodbye")
        assert (entry.from_version, entry.to_version) == (1, 2)

        new_call = await at_language_menu(app)
        assert await after_menu(new_call) == "goodbye"  # the new version
        assert await after_menu(old_call) == "main_menu"  # started on version 1, stays on it
        await finish(new_call)
        await finish(old_call)

        await app.flow_versions.rollback("hotline", 1, "bob", "undo")
        after = await at_language_menu(app)
        assert await after_menu(after) == "main_menu"
        await finish(after)
        audit = await app.flow_versions.store.audit("hotline")
        assert [(a.action, a.actor, a.from_version, a.to_version) for a in audit] == [
            ("rollback", "bob", 2, 1), ("publish", "ann", 1, 2), ("seed", "seed", None, 1),
        ]  # fmt: skip


async def run_cli(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    env = {
        **os.environ,
        "IVR_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/ivr.db",
        "IVR_FLOWS_DIR": str(ROOT / "flows"),
        "IVR_CONFIG_DIR": str(ROOT / "config"),
        "IVR_PROMPT_ROOT": str(ROOT / "prompts"),
    }
    process = await asyncio.create_subprocess_exec(
        IVR, "flows", *args, env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    async with asyncio.timeout(60):
        out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_cli_publish_in_another_process_reaches_the_app(
    app_factory: AppFactory, tmp_path: Path
) -> None:
    bad, good = tmp_path / "bad.yaml", tmp_path / "good.yaml"
    bad.write_text(hotline_with("hours_chek"), encoding="utf-8")
    good.write_text(NEW, encoding="utf-8")
    async with app_factory() as app:
        rc, out, err = await run_cli(tmp_path, "publish", "hotline", "--file", str(bad))
        line, column = option_1_position()
        assert (rc, out) == (1, ""), err
        assert err == (
            f"{bad}:{line}:{column}: node 'language_menu': option 'next' points to unknown node"
            " 'hours_chek' (did you mean 'hours_check'?)\n"
        )
        rc, out, err = await run_cli(
            tmp_path, "publish", "hotline", "--file", str(good), "--author", "ann", "--comment", "c"
        )
        assert (rc, out, err) == (0, "published hotline version 2 (was 1)\n", "")
        await until(lambda: menu_fallback(app) == "goodbye", what="the app to reload")
        call = await at_language_menu(app)
        assert await after_menu(call) == "goodbye"
        await finish(call)

        rc, out, err = await run_cli(tmp_path, "rollback", "hotline", "1", "--author", "bob")
        assert (rc, out, err) == (0, "rolled back hotline to version 1 (was 2)\n", "")
        await until(lambda: menu_fallback(app) == "welcome", what="the rollback reload")
        rc, out, _err = await run_cli(tmp_path, "versions", "hotline")
        assert rc == 0
        rows = [r.split() for r in out.splitlines()]
        assert [r[0] for r in rows] == ["VERSION", "1", "2"]
        assert (rows[1][1], rows[1][4], rows[2][3], rows[2][5]) == ("*", "seed", "ann", "c")
