"""Request bodies of the API (pydantic models) and their mapping to the one error shape.

Rules: a bad body is 400 `invalid-body` naming the first bad field with a dotted path:
`{"error": "invalid-body", "message": "field 'skills.trading': level 7 is outside 1-5",
"details": {"field": "skills.trading"}}`. Unknown fields are refused (a typo must not pass
silently). A body that is not a JSON object is `invalid-body` with field `(body)`.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal, TypeVar

from aiohttp import web
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from ivr.web.auth import ROLE_AGENT, ROLES
from ivr.web.errors import ApiError

M = TypeVar("M", bound=BaseModel)

MIN_LEVEL, MAX_LEVEL = 1, 5
REASONS = ("break", "training", "meeting", "after_call_work")
AGENT_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
USER_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$"
ENDPOINT = r"^(PJSIP|SIP|IAX2|Local|DAHDI)/[^\s/][^\s]{0,127}$"
Reason = Literal["break", "training", "meeting", "after_call_work"]

_FRIENDLY = {
    "missing": "is required",
    "extra_forbidden": "is not a known field",
    "dict_type": "must be an object",
    "list_type": "must be a list",
    "string_type": "must be a string",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
}
_PATTERN_HINTS = {
    AGENT_ID: "must be 1-64 letters, digits, '_', '.' or '-'",
    USER_NAME: "must be 1-64 letters, digits, '_', '.', '@' or '-'",
    ENDPOINT: "must be a dial string such as 'PJSIP/8001'",
}


def _level(value: int) -> int:
    if not MIN_LEVEL <= value <= MAX_LEVEL:
        raise ValueError(f"level {value} is outside {MIN_LEVEL}-{MAX_LEVEL}")
    return value


Level = Annotated[int, AfterValidator(_level)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)


class LoginBody(Body):
    ready: bool = False


class StateBody(Body):
    state: Literal["ready", "not_ready"]
    reason: Reason | None = None

    @model_validator(mode="after")
    def _reason_for_not_ready(self) -> StateBody:
        if self.state == "not_ready" and self.reason is None:
            raise ValueError("reason: is required when state is not_ready")
        return self


class ForceNotReadyBody(Body):
    reason: Reason


class DispositionBody(Body):
    disposition: Annotated[str, Field(min_length=1, max_length=64)]
    notes: Annotated[str, Field(max_length=4000)] = ""


class AgentBody(Body):
    id: Annotated[str, Field(pattern=AGENT_ID)]
    name: Annotated[str, Field(min_length=1, max_length=128)]
    endpoint: Annotated[str, Field(pattern=ENDPOINT)]
    skills: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")], Level] = Field(
        default_factory=dict
    )


class UserBody(Body):
    name: Annotated[str, Field(pattern=USER_NAME)]
    roles: Annotated[
        list[Literal["agent", "supervisor", "admin", "compliance"]], Field(min_length=1)
    ]
    agent_id: Annotated[str | None, Field(pattern=AGENT_ID)] = None

    @model_validator(mode="after")
    def _agent_needs_id(self) -> UserBody:
        if ROLE_AGENT in self.roles and self.agent_id is None:
            raise ValueError("agent_id: is required for role 'agent'")
        return self


class SessionBody(Body):
    token: Annotated[str, Field(min_length=1, max_length=512)]


assert {"agent", "supervisor", "admin", "compliance"} == ROLES


_MODEL_LEVEL = re.compile(r"^([a-z_]+): (.+)$")


def _model_level(error: ErrorDetails) -> tuple[str, str] | None:
    """(field, problem) of a model validator's `"<field>: <problem>"` error."""
    if error["loc"] or error["type"] != "value_error":
        return None
    named = _MODEL_LEVEL.match(str((error.get("ctx") or {}).get("error", "")))
    return (named.group(1), named.group(2)) if named else None


def _field_of(error: ErrorDetails) -> str:
    parts = [str(p) for p in error["loc"]]
    return ".".join(parts) if parts else "(body)"


def _message_of(error: ErrorDetails) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind == "string_pattern_mismatch":
        return _PATTERN_HINTS.get(str(ctx.get("pattern")), "has the wrong format")
    if kind in _FRIENDLY:
        return _FRIENDLY[kind]
    text = error["msg"]
    return text[:1].lower() + text[1:]


def invalid_body(field: str, problem: str) -> ApiError:
    return ApiError(400, "invalid-body", f"field '{field}': {problem}", field=field)


def validation_error(exc: ValidationError) -> ApiError:
    """The first problem of a pydantic ValidationError as an `invalid-body` ApiError."""
    first = exc.errors(include_url=False)[0]
    named = _model_level(first)
    if named is not None:
        return invalid_body(*named)
    return invalid_body(_field_of(first), _message_of(first))


def parse(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc) from None


async def read_body(request: web.Request, model: type[M], *, optional: bool = False) -> M:
    """The request's JSON body as `model`; an empty body is `{}` when `optional`."""
    raw = await request.read()
    if not raw.strip() and optional:
        return parse(model, {})
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise invalid_body("(body)", "is not valid JSON") from None
    if not isinstance(data, dict):
        raise invalid_body("(body)", "must be a JSON object")
    return parse(model, data)


class PinUnlockBody(Body):
    reason: Annotated[str, Field(min_length=3, max_length=500)]
