"""The OpenAPI 3.1 document of the API, built from the same `Route` table that registers
the routes (so it lists exactly what is served). Each operation carries its roles in
`x-roles` and in its description, its request body schema (from the pydantic model), and the
one error shape for 400/401/403/404/409.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ivr.web.api_common import Route

_PARAM = re.compile(r"{(\w+)(?::[^}]*)?}")

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error", "message", "details"],
    "properties": {
        "error": {"type": "string", "description": "stable id, e.g. agent-not-found"},
        "message": {"type": "string"},
        "details": {"type": "object"},
    },
}
_ERRORS = {
    "400": "Bad body, path or query (invalid-body, invalid-path, invalid-query, token-in-url)",
    "401": "No or invalid token/session (unauthorized)",
    "403": "Wrong role, or another agent (forbidden, not-your-agent)",
    "404": "Not found",
    "409": "Conflict with the current state",
}


def _parameters(route: Route) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PARAM.findall(route.path)
    ]
    for query in route.query:  # "name" (an integer) or "name:type"
        name, _, kind = query.partition(":")
        schema = {"type": kind or "integer"}
        params.append({"name": name, "in": "query", "required": False, "schema": schema})
    return params


def _operation_id(route: Route) -> str:
    words = re.split(r"[^A-Za-z0-9]+", _PARAM.sub(r"by_\1", route.path))
    return "_".join([route.method.lower(), *[w for w in words if w and w != "api"]])


def _operation(route: Route) -> dict[str, Any]:
    roles = sorted(route.roles) if route.roles is not None else []
    who = ", ".join(roles) if roles else "public"
    op: dict[str, Any] = {
        "summary": route.summary,
        "description": f"Roles: {who}."
        + (" WebSocket upgrade (JSON messages)." if route.websocket else ""),
        "operationId": _operation_id(route),
        "x-roles": roles,
        "parameters": _parameters(route),
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {}}},
            **{
                code: {
                    "description": text,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }
                for code, text in _ERRORS.items()
            },
        },
    }
    if route.roles is None:
        op["security"] = []
    if route.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": route.body.model_json_schema()}},
        }
    return op


def openapi_document(routes: Iterable[Route], *, version: str = "0.1.0") -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "futures-ivr staff API",
            "version": version,
            "description": "Agents, supervisors and admins. `me` in /api/agents/{agent_id} "
            "names the caller's own agent. Errors: {error, message, details}.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"session": []}],
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "ivr_session"},
            },
            "schemas": {"Error": ERROR_SCHEMA},
        },
        "paths": dict(sorted(paths.items())),
    }
