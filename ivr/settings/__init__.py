"""Settings: one frozen dataclass tree, built once at start-up and passed down.

Rules:
- Precedence: defaults < YAML file (`config/settings.yaml`) < `IVR_*` environment variables.
  `load_settings(path, environ)` takes the environment as an argument; nothing else in the
  project reads `os.environ`.
- Secrets (passwords, tokens, a URL with a password in it) come from the environment only. A
  secret in the YAML file is a `ConfigError` naming `file:line`; secret fields are
  `field(repr=False)` so they never appear in a repr or a log line.
- Every bad value is a `ConfigError` naming where it came from (`file:line` or the environment
  variable) and what would fix it. All problems of a load are reported together.
- Relative paths are kept as written: they are relative to the working directory of `ivr`.
- The room imports nothing of ours but `ivr.errors`; `security` holds the `security.*` keys.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from ivr.errors import ConfigError
from ivr.settings.asr import AsrSettings, asr_keys
from ivr.settings.dialer import DialerSettings
from ivr.settings.process import event_loop, log_level
from ivr.settings.security import SECURITY_KEYS, SecuritySettings
from ivr.settings.security import BadValue as _Bad

DEFAULT_SETTINGS_PATH = Path("config/settings.yaml")
_SECRET_KEY = re.compile(r"password|passwd|secret|token|api_key", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"^[a-z][a-z0-9+.-]*://[^/@:]*:[^/@]+@", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class AriSettings:
    """Asterisk ARI. `url` None means: start the embedded sandbox switch."""

    url: str | None = None
    username: str = "ivr"
    password: str | None = field(default=None, repr=False)
    app: str = "futures-ivr"
    timeout_s: float = 5.0  # per-request deadline of ARI REST calls
    max_connections: int = 40  # REST connections at once (Asterisk's sessionlimit: 100 in all)
    keepalive_s: float = 10.0  # an idle REST connection is closed (below session_keep_alive)


@dataclass(frozen=True, slots=True)
class HttpSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    public_base_url: str | None = None  # base of prompt URLs Asterisk fetches; None: derived


@dataclass(frozen=True, slots=True)
class PathSettings:
    flows_dir: Path = Path("flows")
    config_dir: Path = Path("config")
    prompt_root: Path = Path("prompts")
    tts_cache: Path = Path("var/tts-cache")
    recordings: Path = Path("var/recordings")
    journal: Path = Path("var/journal")  # call records not yet in SQL (`ivr.call.records`)


def _default_voices() -> Mapping[str, str]:
    return {"zh-CN": "cmn-latn-pinyin", "en": "en"}


@dataclass(frozen=True, slots=True)
class TtsSettings:
    rate_wpm: int = 160  # espeak-ng speaking rate, words per minute
    voices: Mapping[str, str] = field(default_factory=_default_voices)  # language -> voice


@dataclass(frozen=True, slots=True)
class AgentEndpoint:
    """A simulated agent phone on the sandbox switch."""

    answer_after_s: float | None = 2.0
    never_answer: bool = False
    busy: bool = False


@dataclass(frozen=True, slots=True)
class SandboxSettings:
    speed: float = 1.0  # 1.0 real time; 50 plays a 2 s prompt in 40 ms
    endpoints: Mapping[str, AgentEndpoint] = field(default_factory=dict)


def _default_recorded_flows() -> dict[str, str]:
    return {"emergency": "emergency", "margin_notice": "margin_notice"}


@dataclass(frozen=True, slots=True)
class CallSettings:
    """Call policy: the flow of an unclaimed number, flows recorded from answer (-> purpose in
    `config/recordings.yaml`), the dial template of a client's number (`PJSIP/{number}@trunk`),
    whether agents see a supervisor monitor their call (docs/call-control.md), the survey flow
    (docs/surveys.md) and the dialplan context of `transfer` nodes (docs/flows.md)."""

    default_flow: str = "hotline"
    survey_flow: str = "survey"
    transfer_context: str = "ivr-transfer"
    recorded_flows: Mapping[str, str] = field(default_factory=_default_recorded_flows)
    outbound_dial: str = "PJSIP/{number}"
    desk_fallback_dial: str | None = None  # the trading desk's ring group, dialled if Redis is down
    record_buffer: int = 1000  # call-record reports held in memory before the journal
    monitor_visible: bool = True
    setup_concurrency: int = 4  # new calls set up at once; the others ring (ivr.call.admission)


@dataclass(frozen=True, slots=True)
class Settings:
    ari: AriSettings = field(default_factory=AriSettings)
    database_url: str = field(default="sqlite+aiosqlite:///var/ivr.db", repr=False)
    redis_url: str | None = None  # None: start a local redis-server
    http: HttpSettings = field(default_factory=HttpSettings)
    paths: PathSettings = field(default_factory=PathSettings)
    tts: TtsSettings = field(default_factory=TtsSettings)
    asr: AsrSettings = field(default_factory=AsrSettings)
    sandbox: SandboxSettings = field(default_factory=SandboxSettings)
    calls: CallSettings = field(default_factory=CallSettings)
    dialer: DialerSettings = field(default_factory=DialerSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    log_level: str = "INFO"
    event_loop: str = "auto"  # auto: uvloop where it is installed, else asyncio's own


# --- value parsers: text in, value out, or _Bad(problem, fix) --------------------------------


Parser = Callable[[str | None], Any]


def _text(value: str | None) -> str:
    if value is None or not value.strip():
        raise _Bad("is empty", "give a value or remove the key")
    return value.strip()


def _optional(parser: Parser) -> Parser:
    def parse(value: str | None) -> Any:
        return None if value is None or not value.strip() else parser(value)

    return parse


def _port(value: str | None) -> int:
    text = _text(value)
    if not (text.isascii() and text.isdigit()) or len(text) > 5 or int(text) > 65535:
        fix = "use a whole number from 1 to 65535, e.g. 8080 (0: any free port)"
        raise _Bad(f"{text!r} is not a TCP port", fix)
    return int(text)


def _positive_int(value: str | None) -> int:
    text = _text(value)
    if not (text.isascii() and text.isdigit()) or len(text) > 18 or int(text) == 0:
        raise _Bad(f"{text!r} is not a positive whole number", "use e.g. 160")
    return int(text)


def _positive_float(value: str | None) -> float:
    text = _text(value)
    number = float(text) if re.fullmatch(r"[0-9]*\.?[0-9]+(e[-+]?[0-9]+)?", text, re.I) else -1.0
    if not number > 0:
        raise _Bad(f"{text!r} is not a positive number", "use e.g. 1.0 (real time) or 50")
    return number


def _bool(value: str | None) -> bool:
    text = _text(value).lower()
    if text not in ("true", "false", "yes", "no", "1", "0"):
        raise _Bad(f"{text!r} is not a yes/no value", "use true or false")
    return text in ("true", "yes", "1")


def _dial_template(value: str | None) -> str:
    text = _text(value)
    if "{number}" not in text or text.replace("{number}", "").count("{"):
        fix = "use e.g. PJSIP/{number}@trunk"
        raise _Bad(f"{text!r} is not a dial-string template with one {{number}}", fix)
    return text


def _url(*schemes: str) -> Parser:
    def parse(value: str | None) -> str:
        text = _text(value)
        if not text.lower().startswith(tuple(f"{s}://" for s in schemes)):
            wanted = " or ".join(f"{s}://..." for s in schemes)
            raise _Bad(f"{text!r} is not a {wanted} URL", f"write it as {wanted}")
        return text

    return parse


def _db_url(value: str | None) -> str:
    text = _text(value)
    if not re.match(r"^[a-z][a-z0-9+]*://", text):
        fix = "use e.g. sqlite+aiosqlite:///var/ivr.db or postgresql+asyncpg://user@host/ivr"
        raise _Bad(f"{text!r} is not a database URL", fix)
    return text


# --- the schema: dotted key -> (parser, environment variable) --------------------------------


@dataclass(frozen=True, slots=True)
class _Key:
    parser: Parser
    env: str | None
    secret: bool = False


_KEYS: dict[str, _Key] = {
    "ari.url": _Key(_optional(_url("http", "https")), "IVR_ARI_URL"),
    "ari.username": _Key(_text, "IVR_ARI_USERNAME"),
    "ari.password": _Key(_optional(_text), "IVR_ARI_PASSWORD", secret=True),
    "ari.app": _Key(_text, "IVR_ARI_APP"),
    "ari.timeout_s": _Key(_positive_float, "IVR_ARI_TIMEOUT_S"),
    "ari.max_connections": _Key(_positive_int, "IVR_ARI_MAX_CONNECTIONS"),
    "ari.keepalive_s": _Key(_positive_float, "IVR_ARI_KEEPALIVE_S"),
    "database_url": _Key(_db_url, "IVR_DATABASE_URL"),
    "redis_url": _Key(
        _optional(_url("redis", "rediss", "unix", "redis+sentinel")), "IVR_REDIS_URL"
    ),
    "http.host": _Key(_text, "IVR_HTTP_HOST"),
    "http.port": _Key(_port, "IVR_HTTP_PORT"),
    "http.public_base_url": _Key(_optional(_url("http", "https")), "IVR_HTTP_PUBLIC_BASE_URL"),
    "paths.flows_dir": _Key(lambda v: Path(_text(v)), "IVR_FLOWS_DIR"),
    "paths.config_dir": _Key(lambda v: Path(_text(v)), "IVR_CONFIG_DIR"),
    "paths.prompt_root": _Key(lambda v: Path(_text(v)), "IVR_PROMPT_ROOT"),
    "paths.tts_cache": _Key(lambda v: Path(_text(v)), "IVR_TTS_CACHE"),
    "paths.recordings": _Key(lambda v: Path(_text(v)), "IVR_RECORDINGS_DIR"),
    "paths.journal": _Key(lambda v: Path(_text(v)), "IVR_JOURNAL_DIR"),
    "tts.rate_wpm": _Key(_positive_int, "IVR_TTS_RATE_WPM"),
    "sandbox.speed": _Key(_positive_float, "IVR_SANDBOX_SPEED"),
    "calls.default_flow": _Key(_text, "IVR_CALLS_DEFAULT_FLOW"),
    "calls.survey_flow": _Key(_text, "IVR_CALLS_SURVEY_FLOW"),
    "calls.transfer_context": _Key(_text, "IVR_CALLS_TRANSFER_CONTEXT"),
    "calls.outbound_dial": _Key(_dial_template, "IVR_CALLS_OUTBOUND_DIAL"),
    "calls.desk_fallback_dial": _Key(_optional(_text), "IVR_CALLS_DESK_FALLBACK_DIAL"),
    "calls.record_buffer": _Key(_positive_int, "IVR_CALLS_RECORD_BUFFER"),
    "calls.monitor_visible": _Key(_bool, "IVR_CALLS_MONITOR_VISIBLE"),
    "calls.setup_concurrency": _Key(_positive_int, "IVR_CALLS_SETUP_CONCURRENCY"),
    "dialer.trunk_dial": _Key(_dial_template, "IVR_DIALER_TRUNK_DIAL"),
    "dialer.max_concurrent": _Key(_positive_int, "IVR_DIALER_MAX_CONCURRENT"),
    "dialer.calls_per_s": _Key(_positive_float, "IVR_DIALER_CALLS_PER_S"),
    "dialer.enabled": _Key(_bool, "IVR_DIALER_ENABLED"),
    "log_level": _Key(log_level, "IVR_LOG_LEVEL"),
    "event_loop": _Key(event_loop, "IVR_EVENT_LOOP"),
}
# Free-form mappings: `tts.voices.<language>`, `asr.models.<language>`, `calls.recorded_flows.
# <flow>` (purpose), `sandbox.endpoints.<endpoint>.<answer_after_s|never_answer|busy>` (YAML).
_MAPS: dict[str, Parser] = {
    "tts.voices": _text,
    "asr.models": lambda v: Path(_text(v)),
    "calls.recorded_flows": _text,
}
_ENDPOINT_KEYS: dict[str, Parser] = {
    "answer_after_s": _optional(_positive_float),
    "never_answer": _bool,
    "busy": _bool,
}
_KEYS.update({k: _Key(parser, env, secret) for k, (parser, env, secret) in SECURITY_KEYS.items()})
_KEYS.update({k: _Key(parser, env) for k, (parser, env) in asr_keys(_positive_int).items()})


# --- YAML: flatten the composed tree into (dotted key, text, line) leaves --------------------


@dataclass(frozen=True, slots=True)
class _Leaf:
    key: str
    text: str | None  # None for YAML null
    line: int


def _flatten(node: yaml.Node, prefix: str, path: Path) -> Iterator[_Leaf | ConfigError]:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = f"{prefix}.{key_node.value}" if prefix else str(key_node.value)
            yield from _flatten(value_node, key, path)
    elif isinstance(node, yaml.ScalarNode):
        null = node.tag == "tag:yaml.org,2002:null"
        yield _Leaf(prefix, None if null else str(node.value), node.start_mark.line + 1)
    else:
        line = node.start_mark.line + 1
        yield ConfigError(f"{path}:{line}: {prefix}: a list is not allowed here; write a value")


def _compose(path: Path) -> yaml.Node | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: settings file not found; create it or pass another path"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read settings file ({exc})") from None
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}{line}: not valid YAML: {problem}") from None


def _yaml_leaves(path: Path) -> tuple[list[_Leaf], list[str]]:
    root = _compose(path)
    if root is None:
        return [], []
    if not isinstance(root, yaml.MappingNode):
        line = root.start_mark.line + 1
        return [], [
            f"{path}:{line}: settings must be a mapping of keys such as 'http: {{port: 8080}}'"
        ]
    items = list(_flatten(root, "", path))
    errors = [str(item) for item in items if isinstance(item, ConfigError)]
    return [item for item in items if isinstance(item, _Leaf)], errors


def _known_keys() -> list[str]:
    maps = [f"{m}.<{'flow' if m.startswith('calls.') else 'language'}>" for m in _MAPS]
    return [*_KEYS, *maps, "sandbox.endpoints.<endpoint>.busy"]


def _unknown_key(key: str) -> str:
    close = difflib.get_close_matches(key, list(_KEYS), n=1)
    hint = f"did you mean '{close[0]}'?" if close else "known keys: " + ", ".join(_known_keys())
    return f"unknown key '{key}' ({hint})"


def _secret_problem(key: str, text: str | None, spec: _Key | None) -> str | None:
    secret_name = (spec is not None and spec.secret) or _SECRET_KEY.search(key.rsplit(".", 1)[-1])
    env = spec.env if spec is not None and spec.env else "an IVR_* environment variable"
    if secret_name:
        return f"{key} is a secret and must not be in a file: remove it and set {env}"
    if text is not None and _URL_PASSWORD.match(text.strip()):
        return f"{key} contains a password: remove it from the URL and set the whole URL in {env}"
    return None


def _parse_leaf(leaf: _Leaf) -> Any:
    """Parse one YAML leaf; raises _Bad or KeyError (unknown key)."""
    if leaf.key in _KEYS:
        return _KEYS[leaf.key].parser(leaf.text)
    head, _, name = leaf.key.rpartition(".")
    if head in _MAPS and name:
        return _MAPS[head](leaf.text)
    parts = leaf.key.split(".")
    if len(parts) == 4 and parts[:2] == ["sandbox", "endpoints"] and parts[3] in _ENDPOINT_KEYS:
        return _ENDPOINT_KEYS[parts[3]](leaf.text)
    raise KeyError(leaf.key)


def _from_yaml(path: Path, values: dict[str, Any], errors: list[str]) -> None:
    leaves, structure_errors = _yaml_leaves(path)
    errors.extend(structure_errors)
    for leaf in leaves:
        where = f"{path}:{leaf.line}"
        secret = _secret_problem(leaf.key, leaf.text, _KEYS.get(leaf.key))
        if secret:
            errors.append(f"{where}: {secret}")
            continue
        try:
            values[leaf.key] = _parse_leaf(leaf)
        except KeyError:
            errors.append(f"{where}: {_unknown_key(leaf.key)}")
        except _Bad as bad:
            errors.append(f"{where}: {leaf.key}: {bad.problem}; {bad.fix}")


def _from_env(environ: Mapping[str, str], values: dict[str, Any], errors: list[str]) -> None:
    for key, spec in _KEYS.items():
        if spec.env is None or spec.env not in environ:
            continue
        try:
            values[key] = spec.parser(environ[spec.env])
        except _Bad as bad:
            problem = "is not valid" if spec.secret else bad.problem
            errors.append(f"environment variable {spec.env}: {problem}; {bad.fix}")


def _section(values: Mapping[str, Any], name: str) -> dict[str, Any]:
    prefix = f"{name}."
    tails = {k[len(prefix) :]: v for k, v in values.items() if k.startswith(prefix)}
    return {k: v for k, v in tails.items() if "." not in k}


def _endpoints(values: Mapping[str, Any]) -> dict[str, AgentEndpoint]:
    fields: dict[str, dict[str, Any]] = {}
    for key, value in values.items():
        parts = key.split(".")
        if len(parts) == 4 and parts[:2] == ["sandbox", "endpoints"]:
            fields.setdefault(parts[2], {})[parts[3]] = value
    return {name: AgentEndpoint(**kw) for name, kw in fields.items()}


def _build(values: Mapping[str, Any]) -> Settings:
    base = Settings()
    voices = {**base.tts.voices, **_section(values, "tts.voices")}
    return Settings(
        ari=replace(base.ari, **_section(values, "ari")),
        database_url=values.get("database_url", base.database_url),
        redis_url=values.get("redis_url", base.redis_url),
        http=replace(base.http, **_section(values, "http")),
        paths=replace(base.paths, **_section(values, "paths")),
        tts=TtsSettings(rate_wpm=values.get("tts.rate_wpm", base.tts.rate_wpm), voices=voices),
        asr=replace(base.asr, **_section(values, "asr"), models=_section(values, "asr.models")),
        sandbox=replace(base.sandbox, **_section(values, "sandbox"), endpoints=_endpoints(values)),
        calls=replace(
            base.calls,
            **_section(values, "calls"),
            recorded_flows=_section(values, "calls.recorded_flows") or base.calls.recorded_flows,
        ),
        dialer=replace(base.dialer, **_section(values, "dialer")),
        security=replace(base.security, **_section(values, "security")),
        log_level=values.get("log_level", base.log_level),
        event_loop=values.get("event_loop", base.event_loop),
    )


def load_settings(path: Path | None, environ: Mapping[str, str]) -> Settings:
    """Build the settings: defaults < YAML at `path` < `IVR_*` variables of `environ`.

    `path` None reads `config/settings.yaml` when it exists (defaults and env otherwise).
    Raises `ConfigError` listing every problem, each with its file:line or variable name.
    """
    if path is None and DEFAULT_SETTINGS_PATH.is_file():
        path = DEFAULT_SETTINGS_PATH
    values: dict[str, Any] = {}
    errors: list[str] = []
    if path is not None:
        _from_yaml(path, values, errors)
    _from_env(environ, values, errors)
    if errors:
        raise ConfigError("\n".join(errors))
    return _build(values)
