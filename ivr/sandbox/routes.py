"""The ARI routes the sandbox switch serves, and the one place their parameters are checked.

Role: a compact table derived from Asterisk 22.10.1's ARI api-docs (Swagger 1.1,
`rest-api/api-docs/*.json`): method, path template and every parameter of each operation the
project uses, with its location (query, path, body), required flag, data type, allowed values.
`match()` finds the route of a request and `validate()` checks its parameters against the table.

Rules: pure (no I/O). The table is the contract: `tests/contract/test_ari_contract.py` checks it
against the api-docs found at `IVR_ARI_API_DOCS`. Error texts are Asterisk's where Asterisk has
one (`res/ari/resource_channels.c`), in its body shape `{"message": "..."}`.

Token grammar of a parameter: `name[@p|@b][!][*][:type][=a|b|c | >=N]` -- `@p` path, `@b` body
(else query), `!` required, `*` allowMultiple (comma separated or repeated), `:type` the Swagger
dataType (default string), `=a|b` allowed values, `>=N` a RANGE with a minimum.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

TABLE: tuple[tuple[str, str, str], ...] = (
    ("GET", "/asterisk/info", "only*=build|system|config|status"),
    ("GET", "/asterisk/ping", ""),
    ("GET", "/applications", ""),
    ("GET", "/applications/{applicationName}", "applicationName@p!"),
    ("GET", "/channels", ""),
    (
        "POST",
        "/channels",
        "endpoint! extension context priority:long label app appArgs callerId timeout:int "
        "variables@b:containers channelId otherChannelId originator formats",
    ),
    (
        "POST",
        "/channels/create",
        "endpoint! app! appArgs channelId otherChannelId originator formats variables@b:containers",
    ),
    ("GET", "/channels/{channelId}", "channelId@p!"),
    (
        "DELETE",
        "/channels/{channelId}",
        "channelId@p! reason_code reason=normal|busy|congestion|no_answer|timeout|rejected|"
        "unallocated|normal_unspecified|number_incomplete|codec_mismatch|interworking|failure|"
        "answered_elsewhere",
    ),
    ("POST", "/channels/{channelId}/answer", "channelId@p!"),
    ("POST", "/channels/{channelId}/ring", "channelId@p!"),
    ("DELETE", "/channels/{channelId}/ring", "channelId@p!"),
    (
        "POST",
        "/channels/{channelId}/play",
        "channelId@p! media!* lang offsetms:int skipms:int playbackId",
    ),
    (
        "POST",
        "/channels/{channelId}/play/{playbackId}",
        "channelId@p! playbackId@p! media!* lang offsetms:int skipms:int",
    ),
    ("POST", "/channels/{channelId}/moh", "channelId@p! mohClass"),
    ("DELETE", "/channels/{channelId}/moh", "channelId@p!"),
    ("POST", "/channels/{channelId}/hold", "channelId@p!"),
    ("DELETE", "/channels/{channelId}/hold", "channelId@p!"),
    (
        "POST",
        "/channels/{channelId}/record",
        "channelId@p! name! format! maxDurationSeconds:int>=0 maxSilenceSeconds:int>=0 "
        "ifExists=fail|overwrite|append beep:boolean terminateOn=none|any|*|#",
    ),
    (
        "POST",
        "/channels/{channelId}/dtmf",
        "channelId@p! dtmf before:int between:int duration:int after:int",
    ),
    ("GET", "/channels/{channelId}/variable", "channelId@p! variable!"),
    (
        "POST",
        "/channels/{channelId}/variable",
        "channelId@p! variable! value report_events:boolean",
    ),
    (
        "POST",
        "/channels/{channelId}/continue",
        "channelId@p! context extension priority:int label",
    ),
    (
        "POST",
        "/channels/{channelId}/snoop",
        "channelId@p! spy=none|both|out|in whisper=none|both|out|in app! appArgs snoopId",
    ),
    (
        "POST",
        "/channels/{channelId}/snoop/{snoopId}",
        "channelId@p! snoopId@p! spy=none|both|out|in whisper=none|both|out|in app! appArgs",
    ),
    (
        "POST",
        "/channels/externalMedia",
        "channelId app! variables@b:containers external_host encapsulation=rtp|audiosocket|none "
        "transport=udp|tcp|websocket connection_type=client|server format! direction=both data "
        "transport_data",
    ),
    ("POST", "/channels/{channelId}/dial", "channelId@p! caller timeout:int>=0"),
    ("GET", "/playbacks/{playbackId}", "playbackId@p!"),
    ("DELETE", "/playbacks/{playbackId}", "playbackId@p!"),
    ("GET", "/bridges", ""),
    ("POST", "/bridges", "type bridgeId name variables@b:containers"),
    ("GET", "/bridges/{bridgeId}", "bridgeId@p!"),
    ("DELETE", "/bridges/{bridgeId}", "bridgeId@p!"),
    (
        "POST",
        "/bridges/{bridgeId}/addChannel",
        "bridgeId@p! channel!* role absorbDTMF:boolean mute:boolean "
        "inhibitConnectedLineUpdates:boolean",
    ),
    ("POST", "/bridges/{bridgeId}/removeChannel", "bridgeId@p! channel!*"),
    (
        "POST",
        "/bridges/{bridgeId}/record",
        "bridgeId@p! name! format! recorder_format maxDurationSeconds:int>=0 "
        "maxSilenceSeconds:int>=0 ifExists=fail|overwrite|append beep:boolean "
        "terminateOn=none|any|*|#",
    ),
    ("POST", "/bridges/{bridgeId}/moh", "bridgeId@p! mohClass"),
    ("DELETE", "/bridges/{bridgeId}/moh", "bridgeId@p!"),
    (
        "POST",
        "/bridges/{bridgeId}/play",
        "bridgeId@p! media!* announcer_format lang offsetms:int>=0 skipms:int>=0 playbackId",
    ),
    ("GET", "/recordings/stored", ""),
    ("GET", "/recordings/stored/{recordingName}", "recordingName@p!"),
    ("DELETE", "/recordings/stored/{recordingName}", "recordingName@p!"),
    ("GET", "/recordings/stored/{recordingName}/file", "recordingName@p!"),
    ("GET", "/recordings/live/{recordingName}", "recordingName@p!"),
    ("DELETE", "/recordings/live/{recordingName}", "recordingName@p!"),
    ("POST", "/recordings/live/{recordingName}/stop", "recordingName@p!"),
    ("GET", "/events", "app!* subscribeAll:boolean"),
)

# Parameters every route accepts: authentication (res_ari.c reads it before dispatching).
GLOBAL_PARAMS = frozenset({"api_key"})

# Asterisk's own texts for some bad parameters (resource_channels.c); others get a generic one.
MISSING_MESSAGES: Mapping[tuple[str, str], str] = {
    ("/channels", "endpoint"): "Endpoint must be specified",
    ("/channels/{channelId}/dtmf", "dtmf"): "DTMF is required",
}
INVALID_MESSAGES: Mapping[str, str] = {
    "reason": "Invalid reason for hangup provided",
    "terminateOn": "terminateOn invalid",
    "ifExists": "ifExists invalid",
    "maxDurationSeconds": "max_duration_seconds cannot be negative",
    "maxSilenceSeconds": "max_silence_seconds cannot be negative",
    "skipms": "skipms cannot be negative",
    "offsetms": "offsetms cannot be negative",
}
TRUE_WORDS = frozenset({"yes", "true", "y", "t", "1", "on"})
FALSE_WORDS = frozenset({"no", "false", "n", "f", "0", "off"})


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    location: str  # "query" | "path" | "body"
    required: bool
    multiple: bool
    data_type: str
    allowed: tuple[str, ...] = ()
    minimum: int | None = None


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    params: tuple[Param, ...]
    pattern: re.Pattern[str] = field(compare=False)
    literal_segments: int = 0

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


@dataclass(frozen=True, slots=True)
class ParamError:
    """A request the route table rejects: HTTP status and Asterisk's `message`."""

    status: int
    message: str


_TOKEN = re.compile(
    r"^(?P<name>\w+)(?P<loc>@[pb])?(?P<req>!)?(?P<multi>\*)?(?::(?P<type>\w+))?"
    r"(?:=(?P<allowed>[^ ]+)|>=(?P<min>\d+))?$"
)


def parse_param(token: str) -> Param:
    m = _TOKEN.match(token)
    if m is None:
        raise ValueError(f"bad parameter token {token!r}")
    location = {"@p": "path", "@b": "body", None: "query"}[m["loc"]]
    return Param(
        name=m["name"],
        location=location,
        required=bool(m["req"]),
        multiple=bool(m["multi"]),
        data_type=m["type"] or "string",
        allowed=tuple(m["allowed"].split("|")) if m["allowed"] else (),
        minimum=int(m["min"]) if m["min"] is not None else None,
    )


def _compile(path: str) -> tuple[re.Pattern[str], int]:
    parts = path.strip("/").split("/")
    regex = "".join(
        f"/(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else "/" + re.escape(p) for p in parts
    )
    literal = sum(1 for p in parts if not p.startswith("{"))
    return re.compile(f"^{regex}$"), literal


def build_routes(table: Sequence[tuple[str, str, str]] = TABLE) -> tuple[Route, ...]:
    routes = []
    for method, path, spec in table:
        pattern, literal = _compile(path)
        params = tuple(parse_param(t) for t in spec.split())
        routes.append(Route(method, path, params, pattern, literal))
    # Literal segments win over path variables (`/channels/externalMedia` vs `/channels/{id}`).
    return tuple(sorted(routes, key=lambda r: -r.literal_segments))


ROUTES = build_routes()


def match(method: str, path: str) -> tuple[Route, dict[str, str]] | ParamError:
    """Route of `method path` (path below `/ari`), or 404/405 as Asterisk's res_ari.c answers."""
    path_found = False
    for route in ROUTES:
        m = route.pattern.match(path)
        if m is None:
            continue
        path_found = True
        if route.method == method:
            return route, m.groupdict()
    if path_found:
        return ParamError(405, "Invalid method")
    return ParamError(404, "Resource not found")


def validate(
    route: Route, query: Mapping[str, Sequence[str]], *, strict: bool = True
) -> dict[str, list[str]] | ParamError:
    """Check query/body parameters of `route`; return name -> values (multiple split on ',').

    `strict` rejects a parameter the api-docs do not list (Asterisk ignores it silently; the
    sandbox is stricter so that a typo in our client shows up in tests).
    """
    values: dict[str, list[str]] = {}
    for name, raw in query.items():
        if name in GLOBAL_PARAMS:
            continue
        param = route.param(name)
        if param is None or param.location == "path":
            if strict:
                return ParamError(400, f"Unknown parameter '{name}'")
            continue
        items = [v for r in raw for v in (r.split(",") if param.multiple else [r])]
        error = _check_values(route, param, items)
        if error is not None:
            return error
        values[name] = items
    for param in route.params:
        if param.required and param.location == "query" and not any(values.get(param.name, [])):
            text = MISSING_MESSAGES.get(
                (route.path, param.name), f"Required parameter '{param.name}' not provided."
            )
            return ParamError(400, text)
    return values


def _check_values(route: Route, param: Param, items: Sequence[str]) -> ParamError | None:
    for item in items:
        bad_type = _type_problem(param, item)
        if bad_type is not None:
            return ParamError(400, bad_type)
        if _out_of_range(param, item):
            text = INVALID_MESSAGES.get(param.name, f"Invalid value for '{param.name}': '{item}'")
            return ParamError(400, text)
    return None


def _type_problem(param: Param, item: str) -> str | None:
    if param.data_type in ("int", "long") and not re.fullmatch(r"-?\d+", item):
        return f"Invalid value for '{param.name}': '{item}' is not an integer"
    if param.data_type == "boolean" and item.lower() not in TRUE_WORDS | FALSE_WORDS:
        return f"Invalid value for '{param.name}': '{item}' is not a boolean"
    return None


def _out_of_range(param: Param, item: str) -> bool:
    if param.minimum is not None and int(item) < param.minimum:
        return True
    return bool(param.allowed) and item not in param.allowed
