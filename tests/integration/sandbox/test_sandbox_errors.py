"""Authentication and error answers of the sandbox switch (status and Asterisk's message)."""

from __future__ import annotations

import aiohttp
import pytest

from ivr.sandbox import SandboxSwitch, scenario_from_dict
from tests.integration.sandbox.conftest import Ari, basic_auth


@pytest.mark.parametrize(
    "headers",
    [{}, basic_auth("asterisk", "wrong"), {"Authorization": "Basic !!notbase64"}],
    ids=["missing", "wrong-password", "garbage"],
)
async def test_rest_and_websocket_need_credentials(
    switch: SandboxSwitch, headers: dict[str, str]
) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{switch.ari_url}/ari/asterisk/info", headers=headers) as resp:
            assert resp.status == 401
            assert await resp.json() == {"message": "Authentication required"}
            assert resp.headers["WWW-Authenticate"].startswith("Basic")
        with pytest.raises(aiohttp.WSServerHandshakeError) as exc:
            await session.ws_connect(
                f"{switch.ari_url}/ari/events", params={"app": "x"}, headers=headers
            )
        assert exc.value.status == 401
    assert switch.requests == []  # rejected before routing


async def test_api_key_query_is_accepted(switch: SandboxSwitch) -> None:
    async with aiohttp.ClientSession() as session:
        url = f"{switch.ari_url}/ari/asterisk/ping"
        async with session.get(url, params={"api_key": "asterisk:asterisk"}) as resp:
            body = await resp.json()
    assert (resp.status, body["ping"], body["asterisk_id"]) == (200, "pong", "02:fc:00:00:00:01")
    assert switch.requests[0].params == {}  # the key is not logged


@pytest.mark.parametrize(
    ("method", "path", "params", "status", "message"),
    [
        ("GET", "/nothing/here", {}, 404, "Resource not found"),
        ("PUT", "/channels", {}, 405, "Invalid method"),
        ("POST", "/channels", {}, 400, "Endpoint must be specified"),
        ("POST", "/channels", {"endpoint": "PJSIP"}, 400, "Invalid endpoint specified"),
        (
            "POST",
            "/channels",
            {"endpoint": "PJSIP/1"},
            400,
            "Application or extension must be specified",
        ),
        (
            "POST",
            "/channels",
            {"endpoint": "PJSIP/1", "app": "a", "bogus": "1"},
            400,
            "Unknown parameter 'bogus'",
        ),
        (
            "POST",
            "/channels",
            {"endpoint": "PJSIP/1", "app": "a", "timeout": "x"},
            400,
            "Invalid value for 'timeout': 'x' is not an integer",
        ),
        ("GET", "/channels/nope", {}, 404, "Channel not found"),
        ("POST", "/channels/nope/answer", {}, 404, "Channel not found"),
        ("POST", "/channels/nope/play", {}, 400, "Required parameter 'media' not provided."),
        ("DELETE", "/channels/nope", {"reason": "bad"}, 400, "Invalid reason for hangup provided"),
        ("GET", "/playbacks/nope", {}, 404, "Playback not found"),
        ("DELETE", "/playbacks/nope", {}, 404, "Playback not found"),
        ("GET", "/bridges/nope", {}, 404, "Bridge not found"),
        ("GET", "/applications/nope", {}, 404, "Application not found"),
        ("GET", "/recordings/stored/nope", {}, 404, "Recording not found"),
        ("POST", "/recordings/live/nope/stop", {}, 404, "Recording not found"),
        (
            "POST",
            "/channels/c/record",
            {"name": "n", "format": "wav", "ifExists": "x"},
            400,
            "ifExists invalid",
        ),
        (
            "POST",
            "/channels/c/record",
            {"name": "n", "format": "wav", "maxDurationSeconds": "-1"},
            400,
            "max_duration_seconds cannot be negative",
        ),
        (
            "POST",
            "/channels/externalMedia",
            {"app": "a", "format": "ulaw", "external_host": "127.0.0.1"},
            400,
            "external_host must be <host>:<port> for all transports other than websocket",
        ),
    ],
)
async def test_error_answers(
    ari: Ari, method: str, path: str, params: dict[str, str], status: int, message: str
) -> None:
    assert await ari.req(method, path, **params) == (status, {"message": message})


async def test_not_in_stasis_is_409_and_unanswered_outbound_is_412(
    switch: SandboxSwitch, ari: Ari
) -> None:
    events = await ari.events()
    await switch.place_call(scenario_from_dict({"dialed": "100", "caller": "1"}))
    in_stasis = (await events.next("StasisStart"))["channel"]["id"]
    ids = [c["id"] for c in (await ari.req("GET", "/channels"))[1]]
    caller_half = next(i for i in ids if i != in_stasis)  # the ;1 half runs dialplan
    assert await ari.req("POST", f"/channels/{caller_half}/answer") == (
        409,
        {"message": "Channel not in Stasis application"},
    )
    await ari.req(
        "POST", "/channels/create", endpoint="PJSIP/8009", app="futures-ivr", channelId="d"
    )
    assert await ari.req("POST", "/channels/d/play", media="sound:x") == (
        412,
        {"message": "Channel in invalid state"},
    )


async def test_recording_without_spool_dir_is_a_bare_500(switch: SandboxSwitch, ari: Ari) -> None:
    assert switch.config.recordings_dir is not None
    switch.config.recordings_dir.rmdir()
    events = await ari.events()
    await switch.place_call(scenario_from_dict({"dialed": "100", "caller": "1"}))
    channel = (await events.next("StasisStart"))["channel"]["id"]
    status, body = await ari.req("POST", f"/channels/{channel}/record", name="r", format="wav")
    assert (status, body) == (500, "")


async def test_fault_injection_status_and_delay(switch: SandboxSwitch, ari: Ari) -> None:
    switch.fail_next("GET", "/asterisk/*", status=503)
    assert await ari.req("GET", "/asterisk/ping") == (
        503,
        {"message": "Injected failure (sandbox)"},
    )
    assert (await ari.req("GET", "/asterisk/ping"))[0] == 200
    switch.fail_next("GET", "/asterisk/ping", status=None, delay_s=0.05)
    assert (await ari.req("GET", "/asterisk/ping"))[0] == 200
    assert [(r.path, r.status) for r in switch.requests] == [
        ("/asterisk/ping", 503),
        ("/asterisk/ping", 200),
        ("/asterisk/ping", 200),
    ]
