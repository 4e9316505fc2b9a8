"""Admin routes: agents and their skills (queue store), staff users and tokens (SQL).

Rules: bodies are validated with field-named errors (`ivr.web.api_body`); a skill must be one
the queue definitions know. A user's token is returned once, in the creation response, and
never again. Deleting an agent is refused unless it is logged out (so it holds no call).
"""

from __future__ import annotations

import logging
from types import MappingProxyType

from aiohttp import web

from ivr.queue.feed import Message, describe_agent
from ivr.store.users import UserError, UserInfo
from ivr.web.api_body import AgentBody, UserBody, invalid_body, read_body
from ivr.web.api_common import HandlerContext, Route, iso, ok
from ivr.web.auth import ROLE_ADMIN
from ivr.web.errors import ApiError
from queueing.config import did_you_mean
from queueing.errors import AgentNotFound
from queueing.model import AgentProfile
from queueing.policy import AgentId

log = logging.getLogger(__name__)

ADMIN_ROLES = frozenset({ROLE_ADMIN})


def user_json(user: UserInfo) -> Message:
    return {
        "name": user.name,
        "roles": sorted(user.roles),
        "agent_id": user.agent_id,
        "created_at": iso(user.created_at),
        "revoked_at": iso(user.revoked_at),
    }


def profile_of(body: AgentBody, known_skills: frozenset[str]) -> AgentProfile:
    """The agent profile of a valid body; unknown skills are `invalid-body` errors."""
    for skill in body.skills:
        if skill not in known_skills:
            hint = did_you_mean(skill, sorted(known_skills))
            raise invalid_body(f"skills.{skill}", f"unknown skill '{skill}'{hint}")
    skills = MappingProxyType(dict(sorted(body.skills.items())))
    return AgentProfile(AgentId(body.id), body.name, body.endpoint, skills)


class AdminRoutes:
    def __init__(self, ctx: HandlerContext) -> None:
        self.ctx = ctx
        self.queues = ctx.deps.queues
        self.users = ctx.deps.users

    def routes(self) -> list[Route]:
        a = ADMIN_ROLES
        return [
            Route("GET", "/api/admin/agents", self.list_agents, a, "Agents with skills"),
            Route(
                "POST", "/api/admin/agents", self.save_agent, a, "Create/update agent", AgentBody
            ),
            Route("DELETE", "/api/admin/agents/{agent_id}", self.delete_agent, a, "Remove agent"),
            Route(
                "GET",
                "/api/admin/users",
                self.list_users,
                a,
                "Staff users (no tokens)",
                query=("all:string",),
            ),
            Route(
                "POST", "/api/admin/users", self.add_user, a, "Add user; token shown once", UserBody
            ),
            Route("DELETE", "/api/admin/users/{name}", self.revoke_user, a, "Revoke a user"),
        ]

    async def list_agents(self, request: web.Request) -> web.Response:
        agents = await self.queues.list_agents()
        now_s = self.ctx.now_s()
        return ok({"agents": [describe_agent(a, now_s) for a in agents]})

    async def save_agent(self, request: web.Request) -> web.Response:
        body = await read_body(request, AgentBody)
        profile = profile_of(body, self.queues.config.skills)
        existed = await self.queues.get_agent(profile.agent_id) is not None
        await self.queues.add_agent(profile, self.ctx.now_s())
        agent = await self.queues.get_agent(profile.agent_id)
        assert agent is not None
        log.info("agent saved agent=%s", profile.agent_id)
        return ok(describe_agent(agent, self.ctx.now_s()), status=200 if existed else 201)

    async def delete_agent(self, request: web.Request) -> web.Response:
        """Remove a logged-out agent (409 `agent-logged-in` otherwise)."""
        agent_id = AgentId(request.match_info["agent_id"])
        try:
            await self.queues.remove_agent(agent_id, self.ctx.now_s())
        except AgentNotFound:
            raise ApiError(
                404, "agent-not-found", f"No agent '{agent_id}'", agent_id=agent_id
            ) from None
        return ok({"agent_id": agent_id, "removed": True})

    async def list_users(self, request: web.Request) -> web.Response:
        everyone = request.query.get("all") in ("1", "true")
        users = await self.users.list_users(include_revoked=everyone)
        return ok({"users": [user_json(u) for u in users]})

    async def add_user(self, request: web.Request) -> web.Response:
        body = await read_body(request, UserBody)
        try:
            token = await self.users.add_user(body.name, body.roles, body.agent_id)
        except UserError as exc:
            raise ApiError(409, "user-exists", str(exc), name=body.name) from None
        info = await self.users.get_user(body.name)
        assert info is not None
        return ok({**user_json(info), "token": token}, status=201)

    async def revoke_user(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if not await self.users.revoke(name):
            raise ApiError(404, "user-not-found", f"No active user '{name}'", name=name)
        return ok({"name": name, "revoked": True})
