"""Supervisor monitoring of a connected call: listen, whisper, barge; audited.

How each mode is built over ARI (docs/call-control.md):
- listen: a snoop on the agent's leg with `spy=both` (what the agent says and hears: the
  client) and no whisper, in a bridge of its own with the supervisor's leg: the supervisor
  hears both parties, neither hears the supervisor.
- whisper: the same with `whisper=out`: what the supervisor says is mixed into what the agent
  hears only (res_stasis_snoop's whisper audiohook on the frames written to the agent's
  channel); the client does not hear it.
- barge: the supervisor's leg joins the call's own bridge: all three talk.
The supervisor's leg is their phone (`endpoint`), originated into the app with appArgs
`monitor,<call key>`; the snoop too. Both ids and the monitoring bridge are bound to the call's
event lane before they exist (`bind`), so their events come here (`owns`/`handle`) and never open
a call. A session ends when the supervisor hangs up or does not answer, when it is stopped over
the API, or when the call's agent leg goes (the snoop's `StasisEnd`, or the supervisor's leg
leaving the call's bridge).

Rules: one `call_control_audit` row when a session starts (`monitor_start`, target = the mode)
and one when it ends (`monitor_stop`, detail = why); whether agents may see their monitoring is
`calls.monitor_visible` (`visible_to_agent`). `mode_legs` is the pure part.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from ivr import ari
from ivr.ari import AriError, AriRest, ChannelId
from ivr.errors import InputError, NotFound
from ivr.queue.control import Actor, CallControl, ControlFailed
from ivr.store.control_audit import ControlAudit, ControlAuditStore

log = logging.getLogger(__name__)

MonitorMode = Literal["listen", "whisper", "barge"]
MODES: tuple[MonitorMode, ...] = ("listen", "whisper", "barge")
ENDPOINT = re.compile(r"^(PJSIP|SIP|IAX2|Local)/[A-Za-z0-9_.@+-]{1,80}$")
RING_S = 30


class BadMonitorRequest(InputError):
    code = "invalid-monitor-request"


class MonitorNotFound(NotFound):
    code = "monitor-not-found"


@dataclass(frozen=True, slots=True)
class ModeLegs:
    """How a mode is wired: the snoop's whisper direction (None: no snoop, join the call)."""

    whisper: Literal["none", "out"] | None


def mode_legs(mode: str) -> ModeLegs:
    """The wiring of `mode`, or `BadMonitorRequest` naming the modes."""
    match mode:
        case "listen":
            return ModeLegs("none")
        case "whisper":
            return ModeLegs("out")
        case "barge":
            return ModeLegs(None)
    raise BadMonitorRequest(
        f"mode: {mode!r} is not a monitoring mode; use one of {', '.join(MODES)}",
        details={"field": "mode"},
    )


def check_endpoint(endpoint: str) -> str:
    if not ENDPOINT.fullmatch(endpoint):
        raise BadMonitorRequest(
            f"endpoint: {endpoint!r} is not a phone endpoint; write it as PJSIP/9001",
            details={"field": "endpoint"},
        )
    return endpoint


@dataclass
class MonitorSession:
    """One supervisor listening to (or talking into) one call."""

    id: str
    key: str
    mode: MonitorMode
    actor: Actor
    endpoint: str
    agent_id: str
    agent_leg: str
    leg: str  # the supervisor's phone
    bridge: str  # the monitoring bridge, or the call's own (barge)
    snoop: str | None
    started_at: datetime
    state: str = "ringing"  # ringing | live | ended
    ids: set[str] = field(default_factory=set)
    audited: bool = False  # its monitor_start row is written

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "call_id": self.key,
            "mode": self.mode,
            "supervisor": self.actor.name,
            "agent_id": self.agent_id,
            "endpoint": self.endpoint,
            "state": self.state,
            "started_at": self.started_at.isoformat(),
        }


class Monitor:
    """Monitoring sessions over ARI (see the module docstring)."""

    def __init__(
        self,
        control: CallControl,
        rest: AriRest,
        audit: ControlAuditStore,
        *,
        app: str,
        bind: Callable[[str, str], None],
        unbind: Callable[[str], None],
        visible_to_agent: bool,
    ) -> None:
        self._control = control
        self._rest = rest
        self._audit = audit
        self._app = app
        self._bind = bind
        self._unbind = unbind
        self.visible_to_agent = visible_to_agent
        self._sessions: dict[str, MonitorSession] = {}
        self._by_id: dict[str, MonitorSession] = {}  # leg, snoop, bridge id -> session
        self._seq = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def sessions(self) -> list[MonitorSession]:
        return list(self._sessions.values())

    def session(self, session_id: str) -> MonitorSession:
        found = self._sessions.get(session_id)
        if found is None:
            raise MonitorNotFound(f"No monitoring session '{session_id}'", details={})
        return found

    def of_agent(self, agent_id: str) -> list[MonitorSession]:
        return [s for s in self._sessions.values() if s.agent_id == agent_id]

    # ------------------------------------------------------------------ start and stop

    async def start(self, key: str, mode: str, endpoint: str, actor: Actor) -> MonitorSession:
        legs = mode_legs(mode)
        check_endpoint(endpoint)
        view = self._control.view(key)
        sid = f"mon-{key}-{next(self._seq)}"
        session = MonitorSession(
            id=sid, key=key, mode=mode, actor=actor, endpoint=endpoint,  # type: ignore[arg-type]
            agent_id=view.agent_id, agent_leg=view.agent_leg, leg=f"{sid}-sup",
            bridge=view.bridge if legs.whisper is None else sid,
            snoop=None if legs.whisper is None else f"{sid}-snoop", started_at=self._audit.now(),
        )  # fmt: skip
        session.ids = {session.leg} | ({sid, session.snoop} if session.snoop else set())
        for channel in session.ids:
            self._bind(channel, key)
            self._by_id[channel] = session
        self._sessions[sid] = session
        await self._note(session, "monitor_start", "")
        session.audited = True
        try:
            if session.snoop is not None and legs.whisper is not None:
                await self._rest.snoop(
                    ChannelId(view.agent_leg), app=self._app, spy="both",
                    whisper=legs.whisper, app_args=f"monitor,{key}", snoop_id=session.snoop,
                )  # fmt: skip
                await self._rest.create_bridge("mixing", bridge_id=session.bridge)
                await self._rest.add_channel(session.bridge, ChannelId(session.snoop))
            await self._rest.originate(
                endpoint, app=self._app, app_args=f"monitor,{key}", caller_id="Supervisor",
                timeout_s=RING_S, channel_id=session.leg,
            )  # fmt: skip
        except AriError as exc:
            await self._end(session, "switch_refused")
            raise ControlFailed(f"monitoring could not start: {exc}") from exc
        log.info("monitoring %s call=%s by=%s", mode, key, actor.name)
        return session

    def lane_closed(self, key: str) -> None:
        """The call's lane ended: its sessions end (their legs hung up)."""
        for session in [s for s in self._sessions.values() if s.key == key]:
            task = asyncio.create_task(self._end(session, "call_ended"), name=f"mon-end-{key}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def stop(self, session_id: str, reason: str = "stopped") -> MonitorSession:
        session = self.session(session_id)
        await self._end(session, reason)
        return session

    async def _end(self, session: MonitorSession, reason: str) -> None:
        if session.state == "ended":
            return
        session.state = "ended"
        self._sessions.pop(session.id, None)
        for channel in (session.leg, session.snoop):
            if channel is not None:
                with contextlib.suppress(AriError):
                    await self._rest.hangup(ChannelId(channel))
        if session.snoop is not None:
            with contextlib.suppress(AriError):
                await self._rest.destroy_bridge(session.bridge)
        for channel in session.ids:
            self._by_id.pop(channel, None)
            self._unbind(channel)
        if session.audited:
            await self._note(session, "monitor_stop", reason)
        log.info("monitoring ended call=%s reason=%s", session.key, reason)

    async def _note(self, session: MonitorSession, action: str, detail: str) -> None:
        entry = ControlAudit(
            self._audit.now(), session.actor.name, session.actor.role, action, session.key,
            session.agent_id, session.mode, f"{session.id} {detail}".strip(),
        )  # fmt: skip
        await self._audit.add(entry)

    # ------------------------------------------------------------------ events

    def owns(self, event: ari.AriEvent) -> bool:
        return any(i in self._by_id for i in ari.routing_ids(event))

    async def handle(self, event: ari.AriEvent) -> None:
        found = next((i for i in ari.routing_ids(event) if i in self._by_id), None)
        session = self._by_id.get(found or "")
        if session is None:
            return
        channel = getattr(event, "channel", None)
        cid = channel.id if isinstance(channel, ari.Channel) else None
        match event:
            case ari.StasisStart() if cid == session.leg and session.state == "ringing":
                await self._answered(session)
            case ari.Dial(dialstatus=status) if status in ("NOANSWER", "BUSY", "CONGESTION"):
                await self._end(session, status.lower())
            case ari.StasisEnd() | ari.ChannelHangupRequest() | ari.ChannelDestroyed():
                why = "supervisor_hung_up" if cid == session.leg else "call_ended"
                await self._end(session, why)
            case ari.ChannelLeftBridge() if cid == session.leg and session.snoop is None:
                await self._end(session, "call_ended")  # barge: the call's bridge went

    async def _answered(self, session: MonitorSession) -> None:
        try:
            await self._rest.add_channel(session.bridge, ChannelId(session.leg))
        except AriError as exc:
            log.warning("monitoring leg could not join: %s", exc)
            await self._end(session, "call_ended")
            return
        session.state = "live"


class EventOwner(Protocol):
    def owns(self, event: ari.AriEvent) -> bool: ...

    async def handle(self, event: ari.AriEvent) -> None: ...


class QueueEvents(EventOwner, Protocol):
    """The queue's share of a call's events, as the call router sees it: `CallEvents` below
    (the app's), or a bare `ivr.queue.runtime.RedisQueueHandoff`."""

    def holds(self, key: str) -> bool: ...


class CallEvents:
    """The queue's share of a call's events for the router: monitoring legs first, then the
    waiting-call hand-off (a `QueueEvents` itself)."""

    def __init__(self, queue: QueueEvents, *owners: EventOwner) -> None:
        self._queue = queue
        self._owners = owners  # monitoring, transfers: they claim only the ids they bound

    def owns(self, event: ari.AriEvent) -> bool:
        return any(o.owns(event) for o in self._owners) or self._queue.owns(event)

    async def handle(self, event: ari.AriEvent) -> None:
        owner = next((o for o in self._owners if o.owns(event)), self._queue)
        await owner.handle(event)

    def holds(self, key: str) -> bool:
        return self._queue.holds(key)
