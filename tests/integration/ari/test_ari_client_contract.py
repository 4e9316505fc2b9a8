"""Every request AriRest can make matches Asterisk's api-docs: route, method, parameter names.

The api-docs location comes from `IVR_ARI_API_DOCS` (CI points it at `../shared/ari-api-docs`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from ivr.ari import AriError, AriRest, ChannelId
from tests.integration.ari.ari_fake import PASSWORD, USERNAME, FakeAri, Seen

API_DOCS = os.environ.get("IVR_ARI_API_DOCS")
pytestmark = pytest.mark.skipif(
    not API_DOCS, reason="set IVR_ARI_API_DOCS to Asterisk's rest-api/api-docs to run"
)
CH = ChannelId("c-1")


def operations() -> list[tuple[re.Pattern[str], str, dict[str, Any]]]:
    ops = []
    for doc in Path(str(API_DOCS)).glob("*.json"):
        data = json.loads(doc.read_text())
        for api in data.get("apis", []):
            pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", api["path"]) + "$")
            ops += [
                (pattern, op["httpMethod"], {**op, "path": api["path"]})
                for op in api.get("operations", [])
            ]
    return ops


async def every_call(ari: AriRest) -> None:
    calls = [
        ari.answer(CH),
        ari.hangup(CH, reason="busy"),
        ari.ring(CH),
        ari.ring_stop(CH),
        ari.start_moh(CH, "default"),
        ari.stop_moh(CH),
        ari.play(CH, "sound:hello-world", playback_id="pb", lang="en"),
        ari.stop_playback("pb"),
        ari.send_dtmf(CH, "12", between_ms=100, duration_ms=80),
        ari.get_channel(CH),
        ari.list_channels(),
        ari.set_variable(CH, "X", "1"),
        ari.get_variable(CH, "X"),
        ari.continue_in_dialplan(CH, context="ivr-in", extension="s", priority=1, label="x"),
        ari.originate(
            "PJSIP/8001",
            app="futures-ivr",
            app_args="agent",
            caller_id="x",
            timeout_s=30,
            channel_id="a",
            other_channel_id="b",
            variables={"A": "1"},
            context="c",
            extension="e",
            priority=1,
        ),
        ari.snoop(CH, app="futures-ivr", spy="in", whisper="none", app_args="s", snoop_id="s1"),
        ari.external_media(
            app="futures-ivr", channel_id="em", direction="both", variables={"A": "1"}
        ),
        ari.external_media(
            app="futures-ivr", transport="udp", encapsulation="rtp", external_host="h:1"
        ),
        ari.record(CH, "r", max_duration_s=3, max_silence_s=2, beep=True, if_exists="overwrite"),
        ari.record_bridge("br", "r", max_duration_s=3),
        ari.stop_recording("r"),
        ari.get_stored_recording("r"),
        ari.get_stored_recording_file("r"),
        ari.delete_stored_recording("r"),
        ari.create_bridge("mixing", bridge_id="br", name="n"),
        ari.add_channel("br", CH, role="agent"),
        ari.remove_channel("br", CH),
        ari.destroy_bridge("br"),
        ari.get_application("futures-ivr"),
        ari.ping(),
        ari.info(),
    ]
    for call in calls:
        with contextlib.suppress(AriError):  # the fake answers 404: only the request matters
            await call


def check(seen: Seen, ops: list[tuple[re.Pattern[str], str, dict[str, Any]]]) -> list[str]:
    matches = [
        op for pattern, method, op in ops if method == seen.method and pattern.match(seen.path)
    ]
    if not matches:
        return [f"{seen.method} {seen.path}: no such route"]
    best = min(matches, key=lambda op: op["path"].count("{"))  # literal segments win
    params = {p["name"]: p for p in best.get("parameters", [])}
    problems = []
    for name in seen.query:
        if name not in params or params[name]["paramType"] != "query":
            problems.append(f"{seen.method} {seen.path}: unknown query parameter {name}")
    for name, p in params.items():
        if p["paramType"] == "query" and p.get("required") and name not in seen.query:
            problems.append(f"{seen.method} {seen.path}: missing required {name}")
    for name in seen.body or {}:
        if name not in params or params[name]["paramType"] != "body":
            problems.append(f"{seen.method} {seen.path}: unknown body field {name}")
    return problems


async def test_every_request_matches_the_api_docs(fake_ari: FakeAri) -> None:
    async with AriRest(fake_ari.base_url, USERNAME, PASSWORD, retries=0) as ari:
        await every_call(ari)
    ops = operations()
    assert len(fake_ari.seen) == 31
    problems = [p for seen in fake_ari.seen for p in check(seen, ops)]
    assert problems == []
