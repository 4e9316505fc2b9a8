"""`ivr agents add|list|login|ready|pause|logout`: agents in the queue store, from a shell.

`add ID --name N --endpoint PJSIP/8001 --skill trading=3 --skill licensed=2` creates or updates
an agent (validated like the admin API: levels 1-5, known skills, dial string). State
commands act like the agent desk: `pause` is not-ready with a reason code.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ivr.commands.queues import add_common, now_s, run_store, table
from ivr.errors import InputError, NotFound
from ivr.queue.feed import describe_agent
from ivr.web.api_admin import profile_of
from ivr.web.api_body import REASONS, AgentBody, parse
from queueing.config import MAX_LEVEL, MIN_LEVEL, did_you_mean
from queueing.policy import AgentId
from queueing.store import RedisQueueStore


def register(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser("agents", help="queue agents: add, list, state")
    group = parser.add_subparsers(dest="agents_command", metavar="SUBCOMMAND")
    group.required = True
    add = group.add_parser("add", help="create or update an agent")
    add.add_argument("id")
    add.add_argument("--name", required=True)
    add.add_argument("--endpoint", required=True, help="dial string, e.g. PJSIP/8001")
    add.add_argument("--skill", action="append", default=[], metavar="SKILL=LEVEL")
    add.set_defaults(func=run_add)
    listing = group.add_parser("list", help="every agent with its state")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=run_list)
    commands = [add, listing]
    for name, func, text in (
        ("login", run_login, "log in (not ready, or --ready)"),
        ("ready", run_ready, "ready for calls"),
        ("pause", run_pause, "not ready with a reason"),
        ("logout", run_logout, "log out"),
    ):
        command = group.add_parser(name, help=text)
        command.add_argument("id")
        command.set_defaults(func=func)
        commands.append(command)
    commands[2].add_argument("--ready", action="store_true", help="ready at once")
    commands[4].add_argument("--reason", default="break", choices=REASONS)
    for command in commands:
        add_common(command)


def _skills(pairs: list[str]) -> dict[str, int]:
    """The `--skill SKILL=LEVEL` options; their errors name the option (the body's own checks,
    `AgentBody`, then hold nothing the options have not checked first)."""
    skills: dict[str, int] = {}
    for pair in pairs:
        name, sep, level = pair.partition("=")
        if not sep or not name:
            raise InputError(f"--skill {pair!r}: write SKILL=LEVEL, e.g. --skill trading=3")
        try:
            value = int(level)
        except ValueError:
            raise InputError(f"--skill {pair!r}: level must be a number from 1 to 5") from None
        skill = name.strip()
        if not MIN_LEVEL <= value <= MAX_LEVEL:
            raise InputError(f"--skill '{skill}': level {value} is outside {MIN_LEVEL}-{MAX_LEVEL}")
        skills[skill] = value
    return skills


def _known(skills: dict[str, int], known: frozenset[str]) -> None:
    for skill in skills:
        if skill not in known:
            hint = did_you_mean(skill, sorted(known))
            raise InputError(f"--skill '{skill}': unknown skill '{skill}'{hint}")


def run_add(args: argparse.Namespace) -> int:
    skills = _skills(args.skill)
    data = {"id": args.id, "name": args.name, "endpoint": args.endpoint, "skills": skills}

    async def work(store: RedisQueueStore) -> bool:
        _known(skills, store.config.skills)
        profile = profile_of(parse(AgentBody, data), store.config.skills)  # errors propagate
        existed = await store.get_agent(profile.agent_id) is not None
        await store.add_agent(profile, now_s())
        return existed

    existed = run_store(args, work)
    print(f"agent {args.id} {'updated' if existed else 'added'}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    async def work(store: RedisQueueStore) -> list[dict[str, Any]]:
        at = now_s()
        return [describe_agent(a, at) for a in await store.list_agents()]

    agents = run_store(args, work)
    if args.json:
        print(json.dumps({"agents": agents}, ensure_ascii=False, indent=2))
        return 0
    if not agents:
        print("no agents; add one with `ivr agents add ID --name N --endpoint PJSIP/8001`")
        return 0
    rows = [
        [
            a["agent_id"],
            a["name"],
            a["endpoint"],
            " ".join(f"{k}={v}" for k, v in a["skills"].items()),
            a["state"] + (f" ({a['reason']})" if a["reason"] else ""),
            f"{a['time_in_state_s']:.0f}s",
        ]
        for a in agents
    ]
    print(table(rows, ["ID", "NAME", "ENDPOINT", "SKILLS", "STATE", "IN STATE"]))
    return 0


def _state_command(args: argparse.Namespace, action: str) -> int:
    agent_id = AgentId(args.id)

    async def work(store: RedisQueueStore) -> str:
        if await store.get_agent(agent_id) is None:
            raise NotFound(f"no agent '{agent_id}'; `ivr agents list` shows them")
        at = now_s()
        if action == "login":
            await store.login(agent_id, at, ready=args.ready)
        elif action == "ready":
            await store.set_ready(agent_id, at)
        elif action == "pause":
            await store.set_not_ready(agent_id, args.reason, at)
        else:
            await store.logout(agent_id, at)
        agent = await store.get_agent(agent_id)
        assert agent is not None
        return agent.state.value + (f" ({agent.reason})" if agent.reason else "")

    print(f"agent {agent_id}: {run_store(args, work)}")
    return 0


def run_login(args: argparse.Namespace) -> int:
    return _state_command(args, "login")


def run_ready(args: argparse.Namespace) -> int:
    return _state_command(args, "ready")


def run_pause(args: argparse.Namespace) -> int:
    return _state_command(args, "pause")


def run_logout(args: argparse.Namespace) -> int:
    return _state_command(args, "logout")
