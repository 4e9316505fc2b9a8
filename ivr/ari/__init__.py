"""The ARI client: thin, typed (REST over our keep-alive HTTP/1.1 pool, the events websocket over
aiohttp, per-call dispatch).

Owns: talking to Asterisk 22's ARI (its api-docs, and the behaviour in
`docs/asterisk-behaviour.md`): `rest` (one typed method per operation) over `transport`
(deadlines, retries, statuses -> typed `errors`) over `http11` (connections, HTTP/1.1 parsed by
httptools), `events` (the websocket: reconnect, resync),
`dispatch` (per-call ordered lanes), and ARI's JSON converted to typed `models` and
`event_models` once (`reading` holds the field readers).

Must not import: any other part of the app (`ivr.call`, `ivr.queue`, `ivr.engine`, `ivr.store`,
`ivr.sandbox`, `ivr.web`, ...): only `ivr.errors` and aiohttp/yarl/httptools. Callers depend on
it, never the reverse; metrics come in through the `AriObserver` hooks.
"""

from ivr.ari.dispatch import DEFAULT_QUEUE_SIZE, CallKey, Dispatcher
from ivr.ari.errors import (
    AriAppReplaced,
    AriBadRequest,
    AriError,
    AriNotFound,
    AriUnauthorized,
    AriUnavailable,
    ChannelGone,
    NotInStasis,
)
from ivr.ari.event_models import (
    KNOWN_EVENT_TYPES,
    ApplicationReplaced,
    AriEvent,
    BridgeDestroyed,
    ChannelDestroyed,
    ChannelDtmfReceived,
    ChannelEnteredBridge,
    ChannelHangupRequest,
    ChannelLeftBridge,
    ChannelStateChange,
    ChannelVarset,
    Dial,
    PlaybackFinished,
    PlaybackStarted,
    RecordingFailed,
    RecordingFinished,
    RecordingStarted,
    StasisEnd,
    StasisStart,
    UnknownEvent,
    parse_event,
    routing_ids,
)
from ivr.ari.events import AriEvents, backoff_delay_s, resync
from ivr.ari.models import (
    Application,
    AsteriskInfo,
    AsteriskPing,
    Bridge,
    BridgeId,
    CallerId,
    Channel,
    ChannelId,
    DialplanCEP,
    LiveRecording,
    Playback,
    PlaybackId,
    RecordingName,
    StoredRecording,
)
from ivr.ari.observer import AriObserver
from ivr.ari.rest import AriRest
from ivr.ari.transport import urgent

__all__ = [
    "DEFAULT_QUEUE_SIZE",
    "KNOWN_EVENT_TYPES",
    "Application",
    "ApplicationReplaced",
    "AriAppReplaced",
    "AriBadRequest",
    "AriError",
    "AriEvent",
    "AriEvents",
    "AriNotFound",
    "AriObserver",
    "AriRest",
    "AriUnauthorized",
    "AriUnavailable",
    "AsteriskInfo",
    "AsteriskPing",
    "Bridge",
    "BridgeDestroyed",
    "BridgeId",
    "CallKey",
    "CallerId",
    "Channel",
    "ChannelDestroyed",
    "ChannelDtmfReceived",
    "ChannelEnteredBridge",
    "ChannelGone",
    "ChannelHangupRequest",
    "ChannelId",
    "ChannelLeftBridge",
    "ChannelStateChange",
    "ChannelVarset",
    "Dial",
    "DialplanCEP",
    "Dispatcher",
    "LiveRecording",
    "NotInStasis",
    "Playback",
    "PlaybackFinished",
    "PlaybackId",
    "PlaybackStarted",
    "RecordingFailed",
    "RecordingFinished",
    "RecordingName",
    "RecordingStarted",
    "StasisEnd",
    "StasisStart",
    "StoredRecording",
    "UnknownEvent",
    "backoff_delay_s",
    "parse_event",
    "resync",
    "routing_ids",
    "urgent",
]
