"""Scenario files: a scripted caller for the sandbox switch, as data.

Role: `load_scenario(path)` / `scenario_from_dict(data)` read the YAML documented in
`docs/scenarios.md` into a frozen `Scenario` (the number dialled, the caller, what its phone
sends while it is silent (`idle_audio`: nothing, or steady silent frames), its steps
`Wait | Press | Speak | WaitFor | Hangup`, and how simulated endpoints answer and hang up);
errors name file:line:col. Running a scenario is `ivr.sandbox.caller`.

Rules: pure data and parsing; the only I/O is reading the file (and checking `speak:` WAV
files exist). All times are switch seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ivr.sandbox.config import EndpointBehavior, SandboxError, ScenarioError

DTMF_DIGITS = frozenset("0123456789*#ABCD")
WAIT_FOR = ("prompt_end", "prompt_start", "answer")


@dataclass(frozen=True, slots=True)
class Wait:
    seconds: float


@dataclass(frozen=True, slots=True)
class Press:
    digits: str


@dataclass(frozen=True, slots=True)
class Speak:
    path: Path


@dataclass(frozen=True, slots=True)
class WaitFor:
    what: str
    timeout_s: float = 60.0


@dataclass(frozen=True, slots=True)
class Hangup:
    pass


Step = Wait | Press | Speak | WaitFor | Hangup


@dataclass(frozen=True, slots=True)
class Scenario:
    dialed: str
    caller: str = ""
    caller_name: str = ""
    language: str = ""
    steps: tuple[Step, ...] = ()
    endpoints: dict[str, EndpointBehavior] = field(default_factory=dict)
    max_duration_s: float = 600.0
    idle_audio: str = "none"  # what the phone sends while the caller is not speaking


# ---- loading -----------------------------------------------------------------------------

_TOP_KEYS = {
    "dialed",
    "caller",
    "caller_name",
    "language",
    "steps",
    "endpoints",
    "max_duration_s",
    "idle_audio",
}
IDLE_AUDIO = ("none", "silence")


def load_scenario(path: Path | str) -> Scenario:
    """Read a scenario YAML file; `speak:` paths are relative to the file's folder."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SandboxError(f"cannot read scenario {path}: {exc.strerror}") from exc
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise ScenarioError(f"invalid YAML: {exc}", path=path, line=line, column=col) from exc
    return scenario_from_dict(data, source=path, base_dir=path.parent, root=root)


def scenario_from_dict(
    data: Any,
    *,
    source: Path | str = "<scenario>",
    base_dir: Path | None = None,
    root: yaml.Node | None = None,
) -> Scenario:
    """Build a Scenario from parsed YAML/JSON; `root` (yaml.compose) gives line numbers."""
    where = _Locator(Path(source), root)
    if not isinstance(data, dict):
        raise where.error("a scenario is a mapping with at least 'dialed'", ())
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise where.error(
            f"unknown key '{unknown[0]}' (known: {', '.join(sorted(_TOP_KEYS))})", (unknown[0],)
        )
    if "dialed" not in data:
        raise where.error("missing 'dialed' (the number the caller dials)", ())
    steps = data.get("steps") or []
    if not isinstance(steps, list):
        raise where.error("'steps' must be a list", ("steps",))
    idle_audio = str(data.get("idle_audio", "none"))
    if idle_audio not in IDLE_AUDIO:
        raise where.error(
            f"idle_audio: expected {' | '.join(IDLE_AUDIO)}, got {idle_audio!r}", ("idle_audio",)
        )
    return Scenario(
        dialed=str(data["dialed"]),
        caller=str(data.get("caller", "")),
        caller_name=str(data.get("caller_name", "")),
        language=str(data.get("language", "")),
        steps=tuple(_step(s, i, where, base_dir or Path.cwd()) for i, s in enumerate(steps)),
        endpoints=_endpoints(data.get("endpoints") or {}, where, base_dir or Path.cwd()),
        max_duration_s=float(data.get("max_duration_s", 600.0)),
        idle_audio=idle_audio,
    )


class _Locator:
    """Turns a key path into `file:line:col` using the composed YAML node tree."""

    def __init__(self, path: Path, root: yaml.Node | None) -> None:
        self.path, self.root = path, root

    def error(self, message: str, keys: tuple[str | int, ...]) -> ScenarioError:
        node = self.root
        for key in keys:
            node = _child(node, key)
        mark = node.start_mark if node is not None else None
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return ScenarioError(message, path=self.path, line=line, column=col)


def _child(node: yaml.Node | None, key: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        return next((v for k, v in node.value if k.value == key), node)
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        child: yaml.Node = node.value[key]
        return child
    return node


def _step(raw: Any, index: int, where: _Locator, base_dir: Path) -> Step:
    at = ("steps", index)
    if not isinstance(raw, dict) or not raw:
        raise where.error("a step is a mapping such as {press: '1'} or {wait: 2.5}", at)
    kind = next(iter(raw))
    value = raw[kind]
    if kind == "wait" and isinstance(value, int | float) and value >= 0:
        return Wait(float(value))
    if kind == "press" and str(value) and set(str(value)) <= DTMF_DIGITS:
        return Press(str(value))
    if kind == "speak" and isinstance(value, str):
        path = (base_dir / value).resolve()
        if not path.is_file():
            raise where.error(f"speak: no such WAV file '{value}'", at)
        return Speak(path)
    if kind == "wait_for" and value in WAIT_FOR:
        return WaitFor(str(value), float(raw.get("timeout", 60.0)))
    if kind == "hangup" and value is True:
        return Hangup()
    expected = {
        "wait": "a number of seconds >= 0",
        "press": "DTMF digits 0-9 * # A-D",
        "speak": "a WAV file path",
        "wait_for": " | ".join(WAIT_FOR),
        "hangup": "true",
    }
    if kind in expected:
        raise where.error(f"{kind}: expected {expected[kind]}, got {value!r}", at)
    raise where.error(f"unknown step '{kind}' (known: {', '.join(expected)})", at)


def _endpoints(raw: Any, where: _Locator, base_dir: Path) -> dict[str, EndpointBehavior]:
    if not isinstance(raw, dict):
        raise where.error(
            "'endpoints' maps an endpoint like PJSIP/8001 to its behaviour", ("endpoints",)
        )
    return {str(name): endpoint_behavior(spec or {}, base_dir) for name, spec in raw.items()}


def endpoint_behavior(spec: dict[str, Any], base_dir: Path | None = None) -> EndpointBehavior:
    """`{answer_after: 2}` | `{never_answer: true}` | `{busy: true}` (+ `speak: file.wav`,
    `hangup_after: 5`)."""
    speak = spec.get("speak")
    hangup_after = spec.get("hangup_after")
    return EndpointBehavior(
        answer_after_s=float(spec.get("answer_after", 0.0)),
        never_answer=bool(spec.get("never_answer", False)),
        busy=bool(spec.get("busy", False)),
        speak=((base_dir or Path.cwd()) / speak) if speak else None,
        hangup_after_s=float(hangup_after) if hangup_after is not None else None,
    )
