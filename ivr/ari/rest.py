"""ARI REST client: one typed method per ARI operation the project uses.

Routes and parameters follow Asterisk 22.10.1's ARI api-docs (Swagger 1.1); behaviour follows
`docs/asterisk-behaviour.md` (sections "Calls and events", "Playback", "Recording", "Media for
speech recognition"). Each method builds one `Request` for `AriTransport` (deadlines, retries,
typed errors) and returns a typed model.

Rules:
- A request is marked `retry` only where repeating is harmless: GETs, DELETEs, state setters
  (answer, ring, moh, variables, bridge membership) and creations that carry their own id
  (play with `playbackId`, originate with `channelId`, bridges with `bridgeId`, snoop with
  `snoopId`, external media with `channelId`). Note: if a retried creation had in fact
  succeeded, the retry answers 409.
- `gone_on_404` on channel operations: a 404 there means the caller hung up (`ChannelGone`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Literal

from ivr.ari.errors import AriError
from ivr.ari.http11 import IDLE_S
from ivr.ari.models import (
    Application,
    AsteriskInfo,
    AsteriskPing,
    Bridge,
    BridgeId,
    Channel,
    ChannelId,
    LiveRecording,
    Playback,
    PlaybackId,
    RecordingName,
    StoredRecording,
)
from ivr.ari.observer import NULL_OBSERVER, AriObserver
from ivr.ari.reading import ModelError
from ivr.ari.transport import AriTransport, Request, Sleep


class AriRest:
    """Thin typed client of Asterisk's ARI REST API. Use `async with` or call `close()`."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        timeout_s: float = 5.0,
        retries: int = 2,
        retry_delay_s: float = 0.1,
        observer: AriObserver = NULL_OBSERVER,
        sleep: Sleep = asyncio.sleep,
        max_connections: int = 40,
        keepalive_s: float = IDLE_S,
    ) -> None:
        self._t = AriTransport(
            base_url,
            username,
            password,
            timeout_s=timeout_s,
            retries=retries,
            retry_delay_s=retry_delay_s,
            observer=observer,
            sleep=sleep,
            max_connections=max_connections,
            keepalive_s=keepalive_s,
        )
        self.timeout_s = timeout_s

    def __repr__(self) -> str:
        return f"AriRest({str(self._t.root)!r})"

    async def __aenter__(self) -> AriRest:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._t.close()

    # ------------------------------------------------------------ channels

    async def answer(self, ch: ChannelId) -> None:
        await self._t.call(
            Request("POST", "/channels/{channelId}/answer", (ch,), retry=True, gone_on_404=True)
        )

    async def hangup(self, ch: ChannelId, reason: str = "normal") -> None:
        params = {"reason": reason}
        await self._t.call(
            Request("DELETE", "/channels/{channelId}", (ch,), params, retry=True, gone_on_404=True)
        )

    async def ring(self, ch: ChannelId) -> None:
        await self._t.call(
            Request("POST", "/channels/{channelId}/ring", (ch,), retry=True, gone_on_404=True)
        )

    async def ring_stop(self, ch: ChannelId) -> None:
        await self._t.call(
            Request("DELETE", "/channels/{channelId}/ring", (ch,), retry=True, gone_on_404=True)
        )

    async def start_moh(self, ch: ChannelId, moh_class: str | None = None) -> None:
        req = Request(
            "POST",
            "/channels/{channelId}/moh",
            (ch,),
            {"mohClass": moh_class},
            retry=True,
            gone_on_404=True,
        )
        await self._t.call(req)

    async def stop_moh(self, ch: ChannelId) -> None:
        await self._t.call(
            Request("DELETE", "/channels/{channelId}/moh", (ch,), retry=True, gone_on_404=True)
        )

    async def play(
        self, ch: ChannelId, media: str, *, playback_id: PlaybackId | str, lang: str | None = None
    ) -> Playback:
        """Start `media` (`sound:...`, `sound:http://...`, `recording:...`); 201 + Playback."""
        params = {"media": media, "playbackId": playback_id, "lang": lang}
        req = Request(
            "POST", "/channels/{channelId}/play", (ch,), params, retry=True, gone_on_404=True
        )
        return await self._t.model(req, Playback.from_json)

    async def get_playback(self, pb: PlaybackId | str) -> Playback:
        """A playback still playing (or queued); `AriNotFound` once it has finished."""
        req = Request("GET", "/playbacks/{playbackId}", (pb,), retry=True)
        return await self._t.model(req, Playback.from_json)

    async def stop_playback(self, pb: PlaybackId | str) -> None:
        await self._t.call(
            Request("DELETE", "/playbacks/{playbackId}", (pb,), retry=True, gone_on_404=True)
        )

    async def send_dtmf(
        self,
        ch: ChannelId,
        dtmf: str,
        *,
        between_ms: int | None = None,
        duration_ms: int | None = None,
    ) -> None:
        params = {"dtmf": dtmf, "between": between_ms, "duration": duration_ms}
        await self._t.call(
            Request("POST", "/channels/{channelId}/dtmf", (ch,), params, gone_on_404=True)
        )

    async def get_channel(self, ch: ChannelId) -> Channel:
        req = Request("GET", "/channels/{channelId}", (ch,), retry=True, gone_on_404=True)
        return await self._t.model(req, Channel.from_json)

    async def list_channels(self) -> list[Channel]:
        req = Request("GET", "/channels", retry=True)
        body = await self._t.json(req)
        try:
            if not isinstance(body, list):
                raise ModelError("response is not a list")
            return [Channel.from_json(item) for item in body if isinstance(item, dict)]
        except ModelError as exc:
            raise AriError(f"malformed response: {exc}", method="GET", path="/channels") from None

    async def set_variable(self, ch: ChannelId, name: str, value: str) -> None:
        params = {"variable": name, "value": value}
        await self._t.call(
            Request(
                "POST",
                "/channels/{channelId}/variable",
                (ch,),
                params,
                retry=True,
                gone_on_404=True,
            )
        )

    async def get_variable(self, ch: ChannelId, name: str) -> str:
        req = Request(
            "GET",
            "/channels/{channelId}/variable",
            (ch,),
            {"variable": name},
            retry=True,
            gone_on_404=True,
        )
        value: str = await self._t.model(req, lambda d: str(d.get("value", "")))
        return value

    async def continue_in_dialplan(
        self,
        ch: ChannelId,
        *,
        context: str | None = None,
        extension: str | None = None,
        priority: int | None = None,
        label: str | None = None,
    ) -> None:
        params = {"context": context, "extension": extension, "priority": priority, "label": label}
        await self._t.call(
            Request("POST", "/channels/{channelId}/continue", (ch,), params, gone_on_404=True)
        )

    async def originate(
        self,
        endpoint: str,
        *,
        app: str | None = None,
        app_args: str | None = None,
        caller_id: str | None = None,
        timeout_s: int | None = None,
        channel_id: ChannelId | str | None = None,
        other_channel_id: ChannelId | str | None = None,
        variables: Mapping[str, str] | None = None,
        context: str | None = None,
        extension: str | None = None,
        priority: int | None = None,
    ) -> Channel:
        """Place a call to `endpoint` (`PJSIP/8001`, `Local/100@ivr-in`) into `app` or dialplan."""
        params = {
            "endpoint": endpoint,
            "app": app,
            "appArgs": app_args,
            "callerId": caller_id,
            "timeout": timeout_s,
            "channelId": channel_id,
            "otherChannelId": other_channel_id,
            "context": context,
            "extension": extension,
            "priority": priority,
        }
        body = {"variables": dict(variables)} if variables else None
        req = Request("POST", "/channels", (), params, body, retry=channel_id is not None)
        return await self._t.model(req, Channel.from_json)

    async def snoop(
        self,
        ch: ChannelId,
        *,
        app: str,
        spy: Literal["none", "both", "out", "in"] = "in",
        whisper: Literal["none", "both", "out", "in"] | None = None,
        app_args: str | None = None,
        snoop_id: ChannelId | str | None = None,
    ) -> Channel:
        params = {
            "spy": spy,
            "whisper": whisper,
            "app": app,
            "appArgs": app_args,
            "snoopId": snoop_id,
        }
        req = Request(
            "POST",
            "/channels/{channelId}/snoop",
            (ch,),
            params,
            retry=snoop_id is not None,
            gone_on_404=True,
        )
        return await self._t.model(req, Channel.from_json)

    async def external_media(
        self,
        *,
        app: str,
        transport: Literal["websocket", "udp", "tcp"] = "websocket",
        encapsulation: Literal["none", "rtp", "audiosocket"] = "none",
        connection_type: Literal["server", "client"] | None = "server",
        format: str = "slin16",
        external_host: str | None = None,
        channel_id: ChannelId | str | None = None,
        direction: Literal["both", "in", "out"] | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> Channel:
        """chan_websocket (default) or RTP media channel (`docs/asterisk-behaviour.md`,
        "Media for speech recognition")."""
        params = {
            "app": app,
            "transport": transport,
            "encapsulation": encapsulation,
            "connection_type": connection_type if transport == "websocket" else None,
            "format": format,
            "external_host": external_host,
            "channelId": channel_id,
            "direction": direction,
        }
        body = {"variables": dict(variables)} if variables else None
        req = Request(
            "POST", "/channels/externalMedia", (), params, body, retry=channel_id is not None
        )
        return await self._t.model(req, Channel.from_json)

    # ------------------------------------------------------------ recordings

    async def record(
        self,
        ch: ChannelId,
        name: RecordingName | str,
        *,
        format: str = "wav",
        max_duration_s: int | None = None,
        max_silence_s: int | None = None,
        beep: bool = False,
        if_exists: Literal["fail", "overwrite", "append"] = "fail",
        terminate_on: str = "none",
    ) -> LiveRecording:
        params = _record_params(
            name, format, max_duration_s, max_silence_s, beep, if_exists, terminate_on
        )
        req = Request("POST", "/channels/{channelId}/record", (ch,), params, gone_on_404=True)
        return await self._t.model(req, LiveRecording.from_json)

    async def record_bridge(
        self,
        bridge: BridgeId | str,
        name: RecordingName | str,
        *,
        format: str = "wav",
        max_duration_s: int | None = None,
        max_silence_s: int | None = None,
        beep: bool = False,
        if_exists: Literal["fail", "overwrite", "append"] = "fail",
        terminate_on: str = "none",
    ) -> LiveRecording:
        params = _record_params(
            name, format, max_duration_s, max_silence_s, beep, if_exists, terminate_on
        )
        req = Request("POST", "/bridges/{bridgeId}/record", (bridge,), params)
        return await self._t.model(req, LiveRecording.from_json)

    async def stop_recording(self, name: RecordingName | str) -> None:
        await self._t.call(
            Request("POST", "/recordings/live/{recordingName}/stop", (name,), retry=True)
        )

    async def get_stored_recording(self, name: RecordingName | str) -> StoredRecording:
        req = Request("GET", "/recordings/stored/{recordingName}", (name,), retry=True)
        return await self._t.model(req, StoredRecording.from_json)

    async def get_stored_recording_file(self, name: RecordingName | str) -> bytes:
        return await self._t.call(
            Request("GET", "/recordings/stored/{recordingName}/file", (name,), retry=True)
        )

    async def delete_stored_recording(self, name: RecordingName | str) -> None:
        await self._t.call(
            Request("DELETE", "/recordings/stored/{recordingName}", (name,), retry=True)
        )

    # ------------------------------------------------------------ bridges

    async def create_bridge(
        self, type: str = "mixing", bridge_id: BridgeId | str | None = None, name: str | None = None
    ) -> Bridge:
        params = {"type": type, "bridgeId": bridge_id, "name": name}
        req = Request("POST", "/bridges", (), params, retry=bridge_id is not None)
        return await self._t.model(req, Bridge.from_json)

    async def add_channel(
        self, bridge: BridgeId | str, ch: ChannelId, *, role: str | None = None
    ) -> None:
        params = {"channel": ch, "role": role}
        await self._t.call(
            Request("POST", "/bridges/{bridgeId}/addChannel", (bridge,), params, retry=True)
        )

    async def remove_channel(self, bridge: BridgeId | str, ch: ChannelId) -> None:
        params = {"channel": ch}
        await self._t.call(
            Request("POST", "/bridges/{bridgeId}/removeChannel", (bridge,), params, retry=True)
        )

    async def destroy_bridge(self, bridge: BridgeId | str) -> None:
        await self._t.call(Request("DELETE", "/bridges/{bridgeId}", (bridge,), retry=True))

    # ------------------------------------------------------------ application, asterisk

    async def get_application(self, app: str) -> Application:
        req = Request("GET", "/applications/{applicationName}", (app,), retry=True)
        return await self._t.model(req, Application.from_json)

    async def ping(self) -> AsteriskPing:
        return await self._t.model(
            Request("GET", "/asterisk/ping", retry=True), AsteriskPing.from_json
        )

    async def info(self) -> AsteriskInfo:
        return await self._t.model(
            Request("GET", "/asterisk/info", retry=True), AsteriskInfo.from_json
        )


def _record_params(
    name: str,
    format: str,
    max_duration_s: int | None,
    max_silence_s: int | None,
    beep: bool,
    if_exists: str,
    terminate_on: str,
) -> dict[str, str | int | bool | None]:
    return {
        "name": name,
        "format": format,
        "maxDurationSeconds": max_duration_s,
        "maxSilenceSeconds": max_silence_s,
        "beep": beep,
        "ifExists": if_exists,
        "terminateOn": terminate_on,
    }
