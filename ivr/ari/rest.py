"""ARI REST client: typed calls with per-request deadlines, bounded retries and typed errors.

Routes and parameters follow Asterisk 22.10.1's api-docs (`/work/shared/ari-api-docs/*.json`);
behaviour follows `/work/shared/ARI-NOTES.md`.

Rules:
- Every attempt has a deadline (`aiohttp.ClientTimeout(total=timeout_s)`).
- Retries (at most `retries`, short doubling pause) only where repeating is harmless: GETs, DELETEs,
  state setters (answer, ring, moh, variables, bridge membership) and creations that carry their
  own id (play with `playbackId`, originate with `channelId`, bridges with `bridgeId`, snoop with
  `snoopId`, external media with `channelId`). A refused connection is retried for any request
  (nothing was sent). Note: if a retried creation had in fact succeeded, the retry answers 409.
- Statuses become typed errors (`ivr.ari.errors`); messages name method and path, never the query.
- Credentials only in the `Authorization` header; never in a URL, a log line or an error.
- DEBUG log per attempt: method, path, status, ms. Metrics go to an `AriObserver`.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar
from urllib.parse import quote

import aiohttp

from ivr.ari._http import ari_root, auth_header
from ivr.ari.errors import (
    AriBadRequest,
    AriError,
    AriNotFound,
    AriUnauthorized,
    AriUnavailable,
    ChannelGone,
    NotInStasis,
)
from ivr.ari.models import (
    Application,
    AsteriskInfo,
    AsteriskPing,
    Bridge,
    BridgeId,
    Channel,
    ChannelId,
    Json,
    LiveRecording,
    ModelError,
    Playback,
    PlaybackId,
    RecordingName,
    StoredRecording,
)
from ivr.ari.observer import NULL_OBSERVER, AriObserver

log = logging.getLogger(__name__)

Params = Mapping[str, str | int | float | bool | None]
Sleep = Callable[[float], Awaitable[None]]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Req:
    method: str
    route: str  # api-docs template, e.g. "/channels/{channelId}/play"
    ids: tuple[str, ...] = ()  # values of the route's {placeholders}, in order
    params: Params | None = None
    body: Mapping[str, Any] | None = None
    retry: bool = False  # safe to repeat
    gone_on_404: bool = False  # 404 means the channel is gone


class _Transient(Exception):
    def __init__(self, error: AriUnavailable, *, sent: bool) -> None:
        super().__init__(str(error))
        self.error = error
        self.sent = sent


def _path(route: str, ids: tuple[str, ...]) -> str:
    parts = route.split("{")
    out = parts[0]
    for value, part in zip(ids, parts[1:], strict=True):
        out += quote(value, safe="") + part.partition("}")[2]
    return out


def _query(params: Params | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in (params or {}).items():
        if value is None:
            continue
        out[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return out


def _reason(data: bytes) -> str:
    try:
        decoded = jsonlib.loads(data)
    except ValueError:
        return data.decode("utf-8", "replace").strip()[:200]
    if isinstance(decoded, dict) and isinstance(decoded.get("message"), str):
        return str(decoded["message"])[:200]
    return ""


_STATUS_ERRORS: dict[int, type[AriError]] = {
    400: AriBadRequest,
    401: AriUnauthorized,
    404: AriNotFound,
    409: NotInStasis,
}


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
    ) -> None:
        self._root = ari_root(base_url)
        self._headers = auth_header(username, password)
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.timeout_s = timeout_s
        self._retries = max(0, retries)
        self._retry_delay_s = retry_delay_s
        self._observer = observer
        self._sleep = sleep
        self._http: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        return f"AriRest({str(self._root)!r})"

    async def __aenter__(self) -> AriRest:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    # ------------------------------------------------------------ transport

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(headers=self._headers, raise_for_status=False)
        return self._http

    async def _call(self, req: _Req) -> bytes:
        path = _path(req.route, req.ids)
        for attempt in range(self._retries + 1):
            try:
                return await self._attempt(req, path)
            except _Transient as exc:
                repeatable = req.retry or not exc.sent  # nothing sent: always safe
                if attempt == self._retries or not repeatable:
                    self._observer.request_failed(req.method, req.route, "AriUnavailable")
                    raise exc.error from None
                log.debug("ARI %s %s: %s; retrying", req.method, path, exc.error.detail)
                await self._sleep(self._retry_delay_s * 2**attempt)
            except AriError as exc:
                self._observer.request_failed(req.method, req.route, type(exc).__name__)
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(self, req: _Req, path: str) -> bytes:
        status: int | None = None
        started = time.perf_counter()
        try:
            status, data = await self._send(req, path)
        finally:
            elapsed_s = time.perf_counter() - started
            self._observer.request_done(req.method, req.route, status, elapsed_s)
            log.debug("ARI %s %s -> %s in %.1f ms", req.method, path, status, elapsed_s * 1e3)
        if 200 <= status < 300:
            return data
        raise self._status_error(req, path, status, data)

    async def _send(self, req: _Req, path: str) -> tuple[int, bytes]:
        url = self._root.with_path(self._root.raw_path + path, encoded=True)
        method, params = req.method, _query(req.params)
        try:
            async with self._session().request(
                method, url, params=params, json=req.body, timeout=self._timeout
            ) as resp:
                return resp.status, await resp.read()
        except TimeoutError:
            error = AriUnavailable(
                f"no answer within {self.timeout_s:g} s", method=method, path=path
            )
            raise _Transient(error, sent=True) from None
        except aiohttp.ClientConnectorError as exc:
            reason = exc.os_error.strerror or type(exc.os_error).__name__
            error = AriUnavailable(f"cannot connect ({reason})", method=method, path=path)
            raise _Transient(error, sent=False) from None
        except aiohttp.ClientError as exc:
            error = AriUnavailable(
                f"connection failed ({type(exc).__name__})", method=method, path=path
            )
            raise _Transient(error, sent=True) from None

    def _status_error(self, req: _Req, path: str, status: int, data: bytes) -> Exception:
        reason = _reason(data)
        text = f"{status} {reason}".strip()
        if status >= 500:
            error = AriUnavailable(text, method=req.method, path=path, status=status)
            return _Transient(error, sent=True)
        cls = _STATUS_ERRORS.get(status, AriError)
        if cls is AriNotFound and req.gone_on_404:
            cls = ChannelGone
        if cls is AriUnauthorized:
            text += " (check the ARI username and password)"
        return cls(text, method=req.method, path=path, status=status)

    async def _json(self, req: _Req) -> Any:
        data = await self._call(req)
        if not data:
            raise AriError("empty response body", method=req.method, path=_path(req.route, req.ids))
        try:
            return jsonlib.loads(data)
        except ValueError:
            path = _path(req.route, req.ids)
            raise AriError("response is not JSON", method=req.method, path=path) from None

    async def _model(self, req: _Req, parse: Callable[[Json], T]) -> T:
        body = await self._json(req)
        try:
            if not isinstance(body, dict):
                raise ModelError("response is not an object")
            return parse(body)
        except ModelError as exc:
            path = _path(req.route, req.ids)
            raise AriError(f"malformed response: {exc}", method=req.method, path=path) from None

    # ------------------------------------------------------------ channels

    async def answer(self, ch: ChannelId) -> None:
        await self._call(
            _Req("POST", "/channels/{channelId}/answer", (ch,), retry=True, gone_on_404=True)
        )

    async def hangup(self, ch: ChannelId, reason: str = "normal") -> None:
        params = {"reason": reason}
        await self._call(
            _Req("DELETE", "/channels/{channelId}", (ch,), params, retry=True, gone_on_404=True)
        )

    async def ring(self, ch: ChannelId) -> None:
        await self._call(
            _Req("POST", "/channels/{channelId}/ring", (ch,), retry=True, gone_on_404=True)
        )

    async def ring_stop(self, ch: ChannelId) -> None:
        await self._call(
            _Req("DELETE", "/channels/{channelId}/ring", (ch,), retry=True, gone_on_404=True)
        )

    async def start_moh(self, ch: ChannelId, moh_class: str | None = None) -> None:
        req = _Req(
            "POST",
            "/channels/{channelId}/moh",
            (ch,),
            {"mohClass": moh_class},
            retry=True,
            gone_on_404=True,
        )
        await self._call(req)

    async def stop_moh(self, ch: ChannelId) -> None:
        await self._call(
            _Req("DELETE", "/channels/{channelId}/moh", (ch,), retry=True, gone_on_404=True)
        )

    async def play(
        self, ch: ChannelId, media: str, *, playback_id: PlaybackId | str, lang: str | None = None
    ) -> Playback:
        """Start `media` (`sound:...`, `sound:http://...`, `recording:...`); 201 + Playback."""
        params = {"media": media, "playbackId": playback_id, "lang": lang}
        req = _Req(
            "POST", "/channels/{channelId}/play", (ch,), params, retry=True, gone_on_404=True
        )
        return await self._model(req, Playback.from_json)

    async def stop_playback(self, pb: PlaybackId | str) -> None:
        await self._call(
            _Req("DELETE", "/playbacks/{playbackId}", (pb,), retry=True, gone_on_404=True)
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
        await self._call(
            _Req("POST", "/channels/{channelId}/dtmf", (ch,), params, gone_on_404=True)
        )

    async def get_channel(self, ch: ChannelId) -> Channel:
        req = _Req("GET", "/channels/{channelId}", (ch,), retry=True, gone_on_404=True)
        return await self._model(req, Channel.from_json)

    async def list_channels(self) -> list[Channel]:
        req = _Req("GET", "/channels", retry=True)
        body = await self._json(req)
        try:
            if not isinstance(body, list):
                raise ModelError("response is not a list")
            return [Channel.from_json(item) for item in body if isinstance(item, dict)]
        except ModelError as exc:
            raise AriError(f"malformed response: {exc}", method="GET", path="/channels") from None

    async def set_variable(self, ch: ChannelId, name: str, value: str) -> None:
        params = {"variable": name, "value": value}
        await self._call(
            _Req(
                "POST",
                "/channels/{channelId}/variable",
                (ch,),
                params,
                retry=True,
                gone_on_404=True,
            )
        )

    async def get_variable(self, ch: ChannelId, name: str) -> str:
        req = _Req(
            "GET",
            "/channels/{channelId}/variable",
            (ch,),
            {"variable": name},
            retry=True,
            gone_on_404=True,
        )
        value: str = await self._model(req, lambda d: str(d.get("value", "")))
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
        await self._call(
            _Req("POST", "/channels/{channelId}/continue", (ch,), params, gone_on_404=True)
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
        req = _Req("POST", "/channels", (), params, body, retry=channel_id is not None)
        return await self._model(req, Channel.from_json)

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
        req = _Req(
            "POST",
            "/channels/{channelId}/snoop",
            (ch,),
            params,
            retry=snoop_id is not None,
            gone_on_404=True,
        )
        return await self._model(req, Channel.from_json)

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
        """chan_websocket (default) or RTP media channel; see ARI-NOTES "externalMedia"."""
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
        req = _Req(
            "POST", "/channels/externalMedia", (), params, body, retry=channel_id is not None
        )
        return await self._model(req, Channel.from_json)

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
        req = _Req("POST", "/channels/{channelId}/record", (ch,), params, gone_on_404=True)
        return await self._model(req, LiveRecording.from_json)

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
        req = _Req("POST", "/bridges/{bridgeId}/record", (bridge,), params)
        return await self._model(req, LiveRecording.from_json)

    async def stop_recording(self, name: RecordingName | str) -> None:
        await self._call(_Req("POST", "/recordings/live/{recordingName}/stop", (name,), retry=True))

    async def get_stored_recording(self, name: RecordingName | str) -> StoredRecording:
        req = _Req("GET", "/recordings/stored/{recordingName}", (name,), retry=True)
        return await self._model(req, StoredRecording.from_json)

    async def get_stored_recording_file(self, name: RecordingName | str) -> bytes:
        return await self._call(
            _Req("GET", "/recordings/stored/{recordingName}/file", (name,), retry=True)
        )

    async def delete_stored_recording(self, name: RecordingName | str) -> None:
        await self._call(_Req("DELETE", "/recordings/stored/{recordingName}", (name,), retry=True))

    # ------------------------------------------------------------ bridges

    async def create_bridge(
        self, type: str = "mixing", bridge_id: BridgeId | str | None = None, name: str | None = None
    ) -> Bridge:
        params = {"type": type, "bridgeId": bridge_id, "name": name}
        req = _Req("POST", "/bridges", (), params, retry=bridge_id is not None)
        return await self._model(req, Bridge.from_json)

    async def add_channel(
        self, bridge: BridgeId | str, ch: ChannelId, *, role: str | None = None
    ) -> None:
        params = {"channel": ch, "role": role}
        await self._call(
            _Req("POST", "/bridges/{bridgeId}/addChannel", (bridge,), params, retry=True)
        )

    async def remove_channel(self, bridge: BridgeId | str, ch: ChannelId) -> None:
        params = {"channel": ch}
        await self._call(
            _Req("POST", "/bridges/{bridgeId}/removeChannel", (bridge,), params, retry=True)
        )

    async def destroy_bridge(self, bridge: BridgeId | str) -> None:
        await self._call(_Req("DELETE", "/bridges/{bridgeId}", (bridge,), retry=True))

    # ------------------------------------------------------------ application, asterisk

    async def get_application(self, app: str) -> Application:
        req = _Req("GET", "/applications/{applicationName}", (app,), retry=True)
        return await self._model(req, Application.from_json)

    async def ping(self) -> AsteriskPing:
        return await self._model(_Req("GET", "/asterisk/ping", retry=True), AsteriskPing.from_json)

    async def info(self) -> AsteriskInfo:
        return await self._model(_Req("GET", "/asterisk/info", retry=True), AsteriskInfo.from_json)


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
