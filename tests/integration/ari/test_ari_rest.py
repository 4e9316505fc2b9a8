"""AriRest against a scripted ARI server: auth header, typed errors, retries, deadlines."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from ivr.ari import (
    AriBadRequest,
    AriError,
    AriNotFound,
    AriObserver,
    AriRest,
    AriUnauthorized,
    AriUnavailable,
    ChannelGone,
    ChannelId,
    NotInStasis,
    Playback,
    PlaybackId,
    urgent,
)
from ivr.errors import ConfigError
from tests.helpers import until
from tests.integration.ari.ari_fake import HANG, PASSWORD, USERNAME, FakeAri, channel_json

CH = ChannelId("caller-1")


class Pauses:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay_s: float) -> None:
        self.delays.append(delay_s)


def client(server: FakeAri, **kw) -> AriRest:
    kw.setdefault("sleep", Pauses())
    return AriRest(server.base_url, USERNAME, PASSWORD, **kw)


async def test_sends_basic_auth_header_and_never_credentials_in_url_or_logs(
    fake_ari: FakeAri, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake_ari.reply("POST", "/channels/caller-1/answer", (204, None))
    async with client(fake_ari) as ari:
        await ari.answer(CH)
    [seen] = fake_ari.seen
    assert seen.authorization is not None
    assert seen.authorization.startswith("Basic ")
    assert "api_key" not in seen.query_string
    assert USERNAME not in seen.query_string
    assert PASSWORD not in seen.query_string
    assert PASSWORD not in caplog.text
    assert USERNAME not in caplog.text
    assert "ARI POST /channels/caller-1/answer -> 204 in" in caplog.text


async def test_play_sends_camelcase_params_and_returns_a_typed_playback(fake_ari: FakeAri) -> None:
    body = {
        "id": "pb-1",
        "media_uri": "sound:hello-world",
        "target_uri": "channel:caller-1",
        "language": "en",
        "state": "queued",
        "some_new_field": 1,
    }
    fake_ari.reply("POST", "/channels/caller-1/play", (201, body))
    async with client(fake_ari) as ari:
        playback = await ari.play(CH, "sound:hello-world", playback_id="pb-1", lang="en")
    assert playback == Playback(
        id=PlaybackId("pb-1"),
        media_uri="sound:hello-world",
        target_uri="channel:caller-1",
        state="queued",
        language="en",
    )
    assert playback.target_id == "caller-1"
    [seen] = fake_ari.seen
    assert seen.query == {"media": "sound:hello-world", "playbackId": "pb-1", "lang": "en"}


async def test_originate_puts_variables_in_the_body_and_ids_in_the_query(fake_ari: FakeAri) -> None:
    fake_ari.reply("POST", "/channels", (200, channel_json("agent-1", state="Down")))
    async with client(fake_ari) as ari:
        channel = await ari.originate(
            "PJSIP/8001",
            app="futures-ivr",
            app_args="agent,8001",
            caller_id='"Hotline" <95555>',
            timeout_s=30,
            channel_id="agent-1",
            other_channel_id="agent-1-2",
            variables={"CALL_KEY": "caller-1"},
        )
    assert channel.id == "agent-1"
    assert channel.state == "Down"
    [seen] = fake_ari.seen
    assert seen.query == {
        "endpoint": "PJSIP/8001",
        "app": "futures-ivr",
        "appArgs": "agent,8001",
        "callerId": '"Hotline" <95555>',
        "timeout": "30",
        "channelId": "agent-1",
        "otherChannelId": "agent-1-2",
    }
    assert seen.body == {"variables": {"CALL_KEY": "caller-1"}}


@pytest.mark.parametrize(
    ("method", "path", "status", "call", "error", "text"),
    [
        (
            "POST",
            "/channels/caller-1/answer",
            404,
            lambda ari: ari.answer(CH),
            ChannelGone,
            "ARI POST /channels/caller-1/answer: 404 Channel not found",
        ),
        (
            "DELETE",
            "/playbacks/pb-9",
            404,
            lambda ari: ari.stop_playback("pb-9"),
            ChannelGone,
            "ARI DELETE /playbacks/pb-9: 404 Channel not found",
        ),
        (
            "POST",
            "/channels/caller-1/play",
            409,
            lambda ari: ari.play(CH, "sound:x", playback_id="p"),
            NotInStasis,
            "ARI POST /channels/caller-1/play: 409 Channel not found",
        ),
        (
            "POST",
            "/channels/externalMedia",
            400,
            lambda ari: ari.external_media(app="futures-ivr", transport="udp", encapsulation="rtp"),
            AriBadRequest,
            "ARI POST /channels/externalMedia: 400 Channel not found",
        ),
        (
            "DELETE",
            "/bridges/br-1",
            404,
            lambda ari: ari.destroy_bridge("br-1"),
            AriNotFound,
            "ARI DELETE /bridges/br-1: 404 Channel not found",
        ),
        (
            "POST",
            "/channels/caller-1/answer",
            412,
            lambda ari: ari.answer(CH),
            AriError,
            "ARI POST /channels/caller-1/answer: 412 Channel not found",
        ),
    ],
)
async def test_statuses_become_typed_errors(
    fake_ari: FakeAri, method, path, status, call, error, text
) -> None:
    fake_ari.reply(method, path, (status, {"message": "Channel not found"}))
    async with client(fake_ari) as ari:
        with pytest.raises(error) as caught:
            await call(ari)
    assert type(caught.value) is error
    assert str(caught.value) == text
    assert caught.value.status == status
    assert len(fake_ari.seen) == 1  # 4xx is never retried


async def test_wrong_password_is_unauthorized_and_says_so_without_the_password(
    fake_ari: FakeAri,
) -> None:
    async with AriRest(fake_ari.base_url, USERNAME, "wrong-pw-123", sleep=Pauses()) as ari:
        with pytest.raises(AriUnauthorized) as caught:
            await ari.list_channels()
    assert str(caught.value) == (
        "ARI GET /channels: 401 Authentication required (check the ARI username and password)"
    )
    assert "wrong-pw-123" not in repr(caught.value)
    assert len(fake_ari.seen) == 1


async def test_5xx_is_retried_a_bounded_number_of_times(fake_ari: FakeAri) -> None:
    fake_ari.reply("GET", "/channels/caller-1", (500, {"message": "boom"}))
    pauses = Pauses()
    async with client(fake_ari, retries=2, retry_delay_s=0.1, sleep=pauses) as ari:
        with pytest.raises(AriUnavailable) as caught:
            await ari.get_channel(CH)
    assert str(caught.value) == "ARI GET /channels/caller-1: 500 boom"
    assert len(fake_ari.seen) == 3
    assert pauses.delays == [0.1, 0.2]


async def test_5xx_then_success_returns_the_answer(fake_ari: FakeAri) -> None:
    fake_ari.reply(
        "GET",
        "/channels/caller-1",
        (503, None),
        (502, None),
        (200, channel_json("caller-1", state="Up")),
    )
    async with client(fake_ari, retries=2) as ari:
        channel = await ari.get_channel(CH)
    assert channel.state == "Up"
    assert len(fake_ari.seen) == 3


async def test_non_idempotent_request_is_not_retried_on_5xx(fake_ari: FakeAri) -> None:
    fake_ari.reply("POST", "/channels/caller-1/dtmf", (500, None))
    async with client(fake_ari, retries=2) as ari:
        with pytest.raises(AriUnavailable):
            await ari.send_dtmf(CH, "1")
    assert len(fake_ari.seen) == 1


async def test_originate_without_channel_id_is_not_retried(fake_ari: FakeAri) -> None:
    fake_ari.reply("POST", "/channels", (500, None))
    async with client(fake_ari, retries=2) as ari:
        with pytest.raises(AriUnavailable):
            await ari.originate("PJSIP/8001", app="futures-ivr")
    assert len(fake_ari.seen) == 1


async def test_a_server_that_never_answers_fails_within_the_deadline(fake_ari: FakeAri) -> None:
    fake_ari.reply("POST", "/channels/caller-1/answer", (HANG, None))
    async with client(fake_ari, timeout_s=0.2, retries=1) as ari:
        started = time.monotonic()
        with pytest.raises(AriUnavailable) as caught:
            await ari.answer(CH)
        elapsed_s = time.monotonic() - started
    assert str(caught.value) == "ARI POST /channels/caller-1/answer: no answer within 0.2 s"
    assert caught.value.status is None
    assert 0.35 <= elapsed_s < 1.5  # two attempts of 0.2 s each
    assert len(fake_ari.seen) == 2


async def test_refused_connection_is_unavailable(fake_ari: FakeAri) -> None:
    base = fake_ari.base_url
    await fake_ari.stop()
    async with AriRest(base, USERNAME, PASSWORD, retries=1, sleep=Pauses()) as ari:
        with pytest.raises(AriUnavailable) as caught:
            await ari.send_dtmf(CH, "1")
    assert str(caught.value).startswith("ARI POST /channels/caller-1/dtmf: cannot connect (")


async def test_malformed_response_is_an_ari_error(fake_ari: FakeAri) -> None:
    fake_ari.reply("GET", "/channels/caller-1", (200, {"id": "caller-1"}))
    async with client(fake_ari) as ari:
        with pytest.raises(AriError) as caught:
            await ari.get_channel(CH)
    assert str(caught.value) == (
        "ARI GET /channels/caller-1: malformed response: missing field 'channel.name'"
    )


async def test_observer_sees_route_templates_status_and_failures(fake_ari: FakeAri) -> None:
    class Recorder(AriObserver):
        def __init__(self) -> None:
            self.done: list[tuple[str, str, int | None]] = []
            self.failed: list[tuple[str, str, str]] = []

        def request_done(self, method, route, status, elapsed_s) -> None:
            assert elapsed_s >= 0
            self.done.append((method, route, status))

        def request_failed(self, method, route, error) -> None:
            self.failed.append((method, route, error))

    fake_ari.reply("POST", "/channels/caller-1/answer", (204, None))
    recorder = Recorder()
    async with client(fake_ari, observer=recorder) as ari:
        await ari.answer(CH)
        with pytest.raises(ChannelGone):
            await ari.hangup(ChannelId("other"))
    assert recorder.done == [
        ("POST", "/channels/{channelId}/answer", 204),
        ("DELETE", "/channels/{channelId}", 404),
    ]
    assert recorder.failed == [("DELETE", "/channels/{channelId}", "ChannelGone")]


async def test_ids_are_quoted_into_the_path(fake_ari: FakeAri) -> None:
    fake_ari.reply("GET", "/recordings/stored/a b", (200, {"name": "a b", "format": "wav"}))
    async with client(fake_ari) as ari:
        stored = await ari.get_stored_recording("a b")
    assert stored.name == "a b"


def test_credentials_in_the_url_are_refused_without_echoing_them() -> None:
    with pytest.raises(ConfigError) as caught:
        AriRest("http://ivr:secret-pw@127.0.0.1:8088", USERNAME, PASSWORD)
    assert "secret-pw" not in str(caught.value)
    assert str(caught.value) == (
        "ARI URL must not contain credentials: set IVR_ARI_USERNAME and IVR_ARI_PASSWORD"
    )


async def test_with_every_connection_busy_a_callers_request_goes_first(fake_ari: FakeAri) -> None:
    """`max_connections` bounds the requests in flight (Asterisk's sessionlimit); waiting ones
    go in order, except that a request sent under `urgent()` (answering a caller's key) goes
    before every other waiting one."""
    fake_ari.reply("POST", "/channels/caller-1/answer", (HANG, None))
    fake_ari.reply("DELETE", "/channels/other-1", (204, None))
    fake_ari.reply("DELETE", "/channels/other-2", (204, None))
    fake_ari.reply("DELETE", "/playbacks/caller-1-pb-1", (204, None))
    async with client(fake_ari, max_connections=1, timeout_s=10) as ari:
        held = asyncio.create_task(ari.answer(CH))  # takes the only connection and hangs
        await until(lambda: len(fake_ari.seen) == 1, what="the first request sent")
        first = asyncio.create_task(ari.hangup(ChannelId("other-1")))
        second = asyncio.create_task(ari.hangup(ChannelId("other-2")))
        await asyncio.sleep(0)

        async def caller_key() -> None:
            with urgent():
                await ari.stop_playback("caller-1-pb-1")

        key = asyncio.create_task(caller_key())
        for _ in range(5):
            await asyncio.sleep(0)
        assert len(fake_ari.seen) == 1  # nothing else is sent while the connection is busy
        fake_ari._release.set()  # the hanging answer returns: the connection frees
        await asyncio.gather(held, first, second, key)
    assert [s.path for s in fake_ari.seen] == [
        "/channels/caller-1/answer",
        "/playbacks/caller-1-pb-1",
        "/channels/other-1",
        "/channels/other-2",
    ]
