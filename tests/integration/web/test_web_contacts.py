"""`GET /api/agents/{agent_id}/calls/{call_id}/contacts`: the caller's last 5 contacts for the
agent who holds the call (and supervisors), with dispositions, follow-ups and the account
masked; anyone else is refused. SQLite and PostgreSQL, a real redis-server."""

from __future__ import annotations

from datetime import timedelta

from ivr.followups.store import FollowupStore, NewFollowup
from ivr.store.dispositions import DispositionStore
from queueing.config import PriorityClass
from queueing.model import AgentProfile
from queueing.policy import AgentId, CallKey
from tests.integration.web.test_web_reports import NOW, Reports, at, reports, seed

__all__ = ["reports"]  # the fixture

CALLER = "13800138000"


async def offer_c1_to_a1(r: Reports) -> None:
    now_s = NOW.timestamp()
    for agent in ("a1", "a2"):
        profile = AgentProfile(AgentId(agent), agent.upper(), f"PJSIP/80{agent}", {"general": 3})
        await r.queues.add_agent(profile, now_s)
        await r.queues.login(AgentId(agent), now_s, ready=agent == "a1")
    info = {"caller": CALLER, "account": "8801234567", "language": "zh-CN"}
    await r.queues.enqueue(CallKey("c-1"), "general", PriorityClass.NORMAL, now_s, info)
    offers = await r.queues.route(now_s + 1)
    assert [(o.call_id, o.agent_id) for o in offers] == [("c-1", "a1")]


async def test_the_agent_holding_the_call_reads_the_last_five_contacts(reports: Reports) -> None:
    r = reports
    ids = []
    for day in range(1, 7):  # six earlier calls, Dec 1 .. Dec 4 and two on the 4th
        entered = at(f"0{day + 2}:00:00", min(day, 4))
        ids.append(await seed(r.calls, "general", entered, "answered", entered + timedelta(
            seconds=9), entered + timedelta(minutes=3), caller=CALLER))  # fmt: skip
    await r.calls.create_call(
        channel_id="c-1", caller=CALLER, dialed="95555", language="zh-CN", flow="hotline",
        call_id="row-now", started_at=NOW,
    )  # fmt: skip
    newest = await r.calls.get_call(ids[-1])
    assert newest is not None
    await DispositionStore(r.calls.engine).record(
        call_id=newest.call.channel_id, agent_id="a2", user_name="bob", disposition="follow_up",
        notes="asked about margin", queue="general", caller=CALLER, at=at("09:05:00", 4),
    )  # fmt: skip
    await FollowupStore(r.calls.engine).create(
        NewFollowup(kind="callback", priority="normal", reason="margin", caller=CALLER,
                    due_at=at("12:00:00", 4), account_masked="****4567", call_id=ids[-1],
                    reference="C000012", queue="general"),
        why="promised",
    )  # fmt: skip
    await offer_c1_to_a1(r)

    status, body, _ = await r.get("/api/agents/me/calls/c-1/contacts", "alice")
    assert status == 200
    assert (body["call_id"], body["caller"], body["zone"]) == ("c-1", CALLER, "Asia/Shanghai")
    contacts = body["contacts"]
    assert [c["call_id"] for c in contacts] == [str(i) for i in reversed(ids[1:])]
    first = contacts[0]
    assert (first["started_at"], first["outcome"], first["queue"], first["account"]) == (
        "2026-12-04T00:00:00+00:00", "answered", "general", "****4567",
    )  # fmt: skip
    assert first["dispositions"] == [
        {"agent_id": "a2", "disposition": "follow_up", "notes": "asked about margin",
         "at": "2026-12-04T01:05:00+00:00"},
    ]  # fmt: skip
    [item] = first["followups"]
    assert (item["kind"], item["status"], item["reference"]) == ("callback", "open", "C000012")
    assert [c["dispositions"] for c in contacts[1:]] == [[]] * 4
    assert "8801234567" not in str(body)

    status, same, _ = await r.get("/api/agents/a1/calls/c-1/contacts", "sue")
    assert (status, same) == (200, body)


async def test_no_one_else_reads_them(reports: Reports) -> None:
    await offer_c1_to_a1(reports)
    cases = [
        ("/api/agents/me/calls/c-1/contacts", "bob", 403, "not-your-call"),
        ("/api/agents/a1/calls/c-1/contacts", "bob", 403, "not-your-agent"),
        ("/api/agents/me/calls/c-other/contacts", "alice", 403, "not-your-call"),
        ("/api/agents/a1/calls/c-1/contacts", "carl", 403, "forbidden"),
        ("/api/agents/a1/calls/c-none/contacts", "sue", 404, "call-not-found"),
    ]
    for path, user, code, error in cases:
        status, body, _ = await reports.get(path, user)
        assert (status, body["error"]) == (code, error), (path, user)
    # the queue's screen pop names the caller when the SQL row is not written yet
    status, body, _ = await reports.get("/api/agents/me/calls/c-1/contacts", "alice")
    assert (status, body["caller"], body["contacts"]) == (200, CALLER, [])
