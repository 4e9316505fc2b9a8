"""`ivr serve` (run the ARI application) and `ivr call --scenario FILE` (place a sandbox call).

`ivr serve` reads `config/settings.yaml` (or `--config`), then `IVR_*` variables, makes the
database, journal and recordings owner-only (`ivr.store.modes`), starts the app and prints how
to place a first call. On the embedded sandbox switch it writes where the switch
is to `var/sandbox.json` (credentials: mode 0600) and removes the file when it stops. `ivr call`
finds the running switch from that file, places the scenario over the switch's HTTP API, waits
for the call to end, and prints the caller's transcript with the call record.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp

from ivr.ari._http import auth_header
from ivr.call.media import prompt_text
from ivr.errors import ConfigError, InputError, IvrError, Unavailable
from ivr.settings import Settings, load_settings
from ivr.store.engine import database_url_in
from ivr.store.modes import protect_files

if TYPE_CHECKING:
    from ivr.sandbox import SandboxSwitch

CALL_WAIT_S = 600.0
SANDBOX_STATE_FILE = Path("var") / "sandbox.json"


def register(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser("serve", help="run the hotline ARI application")
    p.add_argument("--config", type=Path, default=None, help="settings YAML (config/settings.yaml)")
    p.set_defaults(func=_serve)
    c = sub.add_parser("call", help="place a scenario call into the running sandbox switch")
    c.add_argument("--scenario", type=Path, required=True, help="scenario YAML (docs/scenarios.md)")
    c.add_argument("--json", action="store_true", help="print one JSON object")
    c.add_argument("--config", type=Path, default=None, help="settings YAML (config/settings.yaml)")
    c.add_argument("--timeout", type=float, default=CALL_WAIT_S, help="seconds to wait for the end")
    c.set_defaults(func=_call)


def _settings(path: Path | None) -> Settings:
    return load_settings(path, os.environ)


# ---------------------------------------------------------------------- serve


def _serve(args: argparse.Namespace) -> int:
    settings = _settings(args.config)
    from ivr.log import setup_logging

    setup_logging(settings.log_level)
    from ivr.app.loop import run

    return run(settings.event_loop, _serve_async(settings))


async def _serve_async(settings: Settings) -> int:
    from ivr.app import App
    from ivr.app.loop import settle_heap

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    root = Path.cwd()
    paths = settings.paths
    folders = [p if p.is_absolute() else root / p for p in (paths.journal, paths.recordings)]
    database = database_url_in(settings.database_url, root)
    protect_files(database, folders, settings.security.file_group)  # owner-only files
    app = await App.start(settings, root)
    settle_heap()  # start-up objects out of the collector's way (ivr.app.loop)
    try:
        if app.switch is not None:
            _write_sandbox_state(root / SANDBOX_STATE_FILE, app.switch, app.http_url)
        _print_banner(app)
        await stop.wait()
    finally:
        if app.switch is not None:
            (root / SANDBOX_STATE_FILE).unlink(missing_ok=True)
        await app.stop()
    return 0


def _write_sandbox_state(path: Path, switch: SandboxSwitch, http_url: str) -> None:
    """For `ivr call`: where the running sandbox is (credentials in a 0600 file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(
            {
                "ari_url": switch.ari_url,
                "username": switch.config.username,
                "password": switch.config.password,
                "http_url": http_url,
                "pid": os.getpid(),
            },
            f,
        )


def _print_banner(app: Any) -> None:
    lines = [
        f"futures-ivr serving: http {app.http_url} (healthz, metrics, prompts, /api)",
        f"staff pages: {app.http_url}/login (a token: `ivr users add NAME --role admin`)",
        f"flows: {', '.join(sorted(app.flows().flows))}",
    ]
    if app.switch is not None:
        lines += [
            f"embedded sandbox switch (no IVR_ARI_URL): ARI at {app.switch.ari_url}/ari",
            "place a call from another terminal:",
            "  .venv/bin/ivr call --scenario docs/examples/first-call.yaml",
        ]
    else:
        lines.append(f"connected to Asterisk ARI at {app.settings.ari.url}")
    print("\n".join(lines), flush=True)


# ---------------------------------------------------------------------- call


def _call(args: argparse.Namespace) -> int:
    settings = _settings(args.config)
    state = _sandbox_state(Path.cwd())
    scenario = _read_scenario(args.scenario)
    result = asyncio.run(_place(state, scenario, args.timeout))
    result = asyncio.run(_with_record(settings, result))
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(_transcript_text(result))
    return 0


def _sandbox_state(root: Path) -> dict[str, Any]:
    path = root / SANDBOX_STATE_FILE
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        raise Unavailable(
            f"no running sandbox switch ({path} is missing): start `ivr serve` first "
            "(on its embedded defaults, without IVR_ARI_URL)"
        ) from None
    return data


def _read_scenario(path: Path) -> dict[str, Any]:
    """Check the scenario here (file:line errors), then send it as JSON with its folder."""
    import yaml

    from ivr.sandbox.scenario import load_scenario

    load_scenario(path)
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["base_dir"] = str(path.resolve().parent)
    return data


async def _place(
    state: dict[str, Any], scenario: dict[str, Any], timeout_s: float
) -> dict[str, Any]:
    headers = auth_header(state["username"], state["password"])
    timeout = aiohttp.ClientTimeout(total=timeout_s + 10)
    base = state["ari_url"].rstrip("/")
    async with aiohttp.ClientSession(headers=headers, timeout=timeout) as http:
        async with http.post(f"{base}/sandbox/calls", json=scenario) as resp:
            body = await resp.json()
            if resp.status >= 400:
                raise InputError(f"the sandbox refused the scenario: {body.get('message', body)}")
        call_id = body["call_id"]
        async with http.get(
            f"{base}/sandbox/calls/{call_id}", params={"wait": str(timeout_s)}
        ) as resp:
            transcript: dict[str, Any] = await resp.json()
    return transcript


async def _with_record(settings: Settings, transcript: dict[str, Any]) -> dict[str, Any]:
    """Join the caller's transcript with the app's call record (outcome, trace)."""
    from ivr.store import CallStore

    channel = transcript.get("channel_id")
    cache = settings.paths.tts_cache
    result: dict[str, Any] = {
        "call_id": None,
        "channel_id": channel,
        "outcome": None,
        "heard": [prompt_text(cache, uri) or uri for uri in transcript.get("heard", [])],
        "pressed": transcript.get("pressed", []),
        "trace": [],
        "transcript": transcript,
    }
    try:
        store = await CallStore.open(settings.database_url, migrate=False)
    except (IvrError, OSError) as exc:
        raise ConfigError(f"cannot open the call records ({exc})") from None
    try:
        detail = await _wait_record(store, channel)
    finally:
        await store.close()
    if detail is not None:
        result["call_id"] = detail.call.id
        result["outcome"] = detail.call.outcome
        result["hangup_cause"] = detail.call.hangup_cause
        result["trace"] = [
            {"seq": t.seq, "node": t.node, "kind": t.kind, "detail": t.detail} for t in detail.trace
        ]
    return result


async def _wait_record(store: Any, channel: str | None) -> Any:
    for _ in range(100):  # the app writes behind: give it up to ~5 s to close the row
        detail = await store.find_by_channel(channel) if channel else None
        if detail is not None and detail.call.ended_at is not None:
            return detail
        await asyncio.sleep(0.05)
    return detail


def _transcript_text(result: dict[str, Any]) -> str:
    lines = [f"call {result['call_id']} (channel {result['channel_id']})"]
    for heard in result["heard"]:
        lines.append(f"  heard: {heard}")
    for pressed in result["pressed"]:
        lines.append(f"  pressed: {pressed}")
    lines.append(f"outcome: {result['outcome']} (cause {result.get('hangup_cause')})")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(0)
