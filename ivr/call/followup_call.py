"""Agent-first callbacks of claimed follow-up items: ring the agent, then the client, bridge,
record when the kind requires it; every step goes into the item's history.

`FollowupCalls.call(item, user)` (the API's `POST /api/followups/{id}/call`) checks, then
returns at once with the item `in_progress`; the call runs in a task of its own:
1. `dialing_agent`: the agent's endpoint (their queue profile) rings, tagged `followup,<key>`.
2. `agent_answered`: the agent waits in a new mixing bridge (music on hold).
3. `dialing_client`: the client's number, validated by `ivr.engine.phones.parse_phone`, through
   the `calls.outbound_dial` trunk template (`dial_string`).
4. `bridged`: the client joins the agent; for the kinds in `recorded_kinds` (`recorded: true`
   in `config/followups.yaml`: phone orders, margin-call notices) the whole call is
   recorded through a snoop on the client, in watched parts (`ivr.call.evidence`, purpose
   `callback`, sealed with sha256) and the parts are linked to the item (`recording`).
5. `call_ended`: either side hangs up; the other leg is hung up, the bridge destroyed, the
   recording sealed. The item stays `in_progress` until the agent closes it with an outcome.
A leg that is not answered (no answer, busy, refused) ends the attempt: `agent_unreachable`
or `client_unreachable`, and the item goes back to `claimed` for another try.

The agent is taken out of routing for the whole attempt: an agent `ready` (or in wrap-up) is put
`not_ready` with reason `followup_call` before their phone rings, and back to `ready` when the
attempt is over (unless they changed their state meanwhile); an agent reserved for or on a queue
call cannot start one (`AgentBusy`, 409).

Rules: only the agent holding the claim may call (`NotClaimant`); a number `parse_phone`
refuses is `InvalidPhone` (400) and the history says why (the number is never echoed); an agent
with no queue profile is `NoAgentPhone` (409). Legs and the snoop are bound to the attempt's
lane before they are created (the router hands the lane's events to `handle`). Nothing here
raises into the API after the checks: failures are logged and written to the history.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from ivr import ari
from ivr.ari import AriError, AriRest, ChannelId
from ivr.call.evidence import Counter, EvidenceKeeper, WholeCallRecording
from ivr.clock import Clock
from ivr.engine.phones import InvalidPhone, dial_string
from ivr.errors import Conflict, IvrError
from ivr.followups.store import SYSTEM, Followup, FollowupStore, NotClaimant
from ivr.store.users import ApiUser
from queueing.errors import AgentBusy, QueueStoreError
from queueing.model import AgentState
from queueing.policy import AgentId
from queueing.store import RedisQueueStore

log = logging.getLogger(__name__)

BUSY_REASON = "followup_call"  # the agent's not_ready reason while an attempt runs
_ROUTABLE = (AgentState.READY, AgentState.WRAP_UP)  # states the router may offer a call from
PURPOSE = "callback"  # config/recordings.yaml: recorded return calls, kept 20 years
RING_S = 30  # clock seconds each leg rings
MAX_CALL_S = 4 * 3600.0  # clock seconds a bridged call may last before it is ended
FAILED_DIAL = frozenset({"NOANSWER", "BUSY", "CONGESTION", "CHANUNAVAIL", "CANCEL"})

Alert = Callable[[str, Mapping[str, str]], Awaitable[None]]


class NoAgentPhone(Conflict):
    """The calling user has no agent profile (no phone to ring first)."""

    code = "no-agent-phone"


@dataclass
class _Attempt:
    key: str  # the lane: `followup-<id>-<n>`
    item: Followup
    user: str
    agent_leg: str
    client_leg: str
    bridge: str
    events: asyncio.Queue[tuple[str, str]] = field(default_factory=asyncio.Queue)  # (leg, what)
    whole: WholeCallRecording | None = None


class FollowupCalls:
    """Places agent-first callbacks; the router gives it the events of its lanes."""

    def __init__(
        self,
        store: FollowupStore,
        rest: AriRest,
        clock: Clock,
        agents: RedisQueueStore,
        *,
        app: str,
        outbound_dial: str,
        bind: Callable[[str, str], None],
        open_lane: Callable[[str], None],
        close_lane: Callable[[str], None],
        keeper: EvidenceKeeper | None = None,
        alert: Alert | None = None,
        recorded_kinds: frozenset[str] = frozenset(),
        incident: Counter | None = None,
    ) -> None:
        self._store, self._rest, self._clock, self._agents = store, rest, clock, agents
        self._app, self._dial = app, outbound_dial
        self._bind, self._open_lane, self._close_lane = bind, open_lane, close_lane
        self._keeper, self._alert = keeper, alert
        self._recorded, self._incident = recorded_kinds, incident
        self._attempts: dict[str, _Attempt] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ API

    async def call(self, item: Followup, user: ApiUser) -> Followup:
        """Check, then start the call in the background; the item, now `in_progress`."""
        if item.claimed_by != user.name:
            raise NotClaimant(item.id, item.claimed_by)
        profile = await self._agents.get_agent(AgentId(user.agent_id)) if user.agent_id else None
        if profile is None:
            raise NoAgentPhone(f"user '{user.name}' has no agent phone to ring first")
        try:
            client_dial = dial_string(self._dial, item.caller)
        except InvalidPhone as exc:
            await self._store.note(item.id, actor=user.name, action="number_refused", why=str(exc))
            raise
        agent_id = AgentId(profile.agent_id)
        if profile.state in (AgentState.RESERVED, AgentState.ON_CALL):
            raise AgentBusy(agent_id)
        held = profile.state in _ROUTABLE
        if held:  # out of routing before the agent's phone rings
            await self._agents.set_not_ready(agent_id, BUSY_REASON, self._clock.now_s())
        try:
            tries = sum(
                1 for h in (await self._store.get(item.id)).history if h.action == "calling"
            )
            item = await self._store.move(
                item.id, "in_progress", actor=user.name, action="calling",
                why=f"agent-first callback, attempt {tries + 1}", expect_claimed_by=user.name,
            )  # fmt: skip
        except BaseException:
            if held:
                await self._release_agent(agent_id)
            raise
        key = f"followup-{item.id}-{tries + 1}"  # the attempt number survives restarts
        attempt = _Attempt(key, item, user.name, f"{key}-agent", f"{key}-client", f"{key}-bridge")
        self._attempts[key] = attempt
        self._open_lane(key)
        for leg in (attempt.agent_leg, attempt.client_leg, attempt.bridge):
            self._bind(leg, key)
        release = agent_id if held else None
        task = asyncio.create_task(
            self._run(attempt, profile.profile.endpoint, client_dial, release), name=key
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return item

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5.0)

    @property
    def running(self) -> int:
        return len(self._attempts)

    # ------------------------------------------------------------------ events in

    def holds(self, key: str) -> bool:
        return key in self._attempts

    async def handle(self, key: str, event: ari.AriEvent) -> None:
        attempt = self._attempts.get(key)
        if attempt is None:
            return
        for leg in (attempt.agent_leg, attempt.client_leg):
            what = _leg_event(event, leg)
            if what is None:
                continue
            if what == "gone" and attempt.whole is not None:
                attempt.whole.caller_gone()  # the call is ending: not a recording incident
            attempt.events.put_nowait((leg, what))
            return
        if attempt.whole is not None:
            attempt.whole.on_event(event)

    # ------------------------------------------------------------------ the call

    async def _note(self, attempt: _Attempt, action: str, why: str) -> None:
        try:
            await self._store.note(attempt.item.id, actor=attempt.user, action=action, why=why)
        except IvrError as exc:  # the call goes on; the log keeps the step
            log.error("follow-up %d: history not written (%s): %s", attempt.item.id, action, exc)

    async def _run(
        self, attempt: _Attempt, agent_endpoint: str, client_dial: str, release: AgentId | None
    ) -> None:
        try:
            await self._attempt(attempt, agent_endpoint, client_dial)
        except (AriError, IvrError, TimeoutError) as exc:
            log.error("follow-up %d call failed: %s", attempt.item.id, exc)
            await self._note(attempt, "call_failed", type(exc).__name__)
            await self._back_to_claimed(attempt, "the call failed")
        finally:
            await self._clean_up(attempt)
            if release is not None:
                await self._release_agent(release)

    async def _release_agent(self, agent_id: AgentId) -> None:
        """Back to `ready`, unless the agent changed their state during the attempt."""
        try:
            record = await self._agents.get_agent(agent_id)
            ours = record is not None and record.state is AgentState.NOT_READY
            if ours and record is not None and record.reason == BUSY_REASON:
                await self._agents.set_ready(agent_id, self._clock.now_s())
        except QueueStoreError as exc:  # Redis down: the agent sets ready by hand
            log.error("agent=%s not set ready after the callback: %s", agent_id, exc)

    async def _attempt(self, attempt: _Attempt, agent_endpoint: str, client_dial: str) -> None:
        number = attempt.item.caller
        await self._note(attempt, "dialing_agent", f"ringing the agent at {agent_endpoint}")
        if not await self._ring(attempt, attempt.agent_leg, agent_endpoint, number):
            await self._note(attempt, "agent_unreachable", "the agent's phone was not answered")
            await self._back_to_claimed(attempt, "agent not reached")
            return
        await self._note(attempt, "agent_answered", "the agent is on the line")
        await self._rest.create_bridge("mixing", bridge_id=attempt.bridge)
        await self._rest.add_channel(attempt.bridge, ChannelId(attempt.agent_leg))
        with contextlib.suppress(AriError):
            await self._rest.start_moh(ChannelId(attempt.agent_leg))
        await self._note(attempt, "dialing_client", "calling the client through the trunk")
        if not await self._ring(attempt, attempt.client_leg, client_dial, None):
            await self._note(attempt, "client_unreachable", "the client did not answer")
            await self._back_to_claimed(attempt, "client not reached")
            return
        with contextlib.suppress(AriError):
            await self._rest.stop_moh(ChannelId(attempt.agent_leg))
        await self._rest.add_channel(attempt.bridge, ChannelId(attempt.client_leg))
        await self._note(attempt, "bridged", "the agent and the client are talking")
        if attempt.item.kind in self._recorded:
            await self._record(attempt)
        started = self._clock.now_s()
        async with asyncio.timeout(self._clock.wall_seconds(MAX_CALL_S)):
            leg, _what = await attempt.events.get()
        who = "agent" if leg == attempt.agent_leg else "client"
        talked_s = round(self._clock.now_s() - started)
        sealed = await self._finish_recording(attempt)  # at once: the span ends with the call
        await self._note(attempt, "call_ended", f"the {who} hung up after {talked_s} s")
        for name in sealed:
            with contextlib.suppress(IvrError):
                await self._store.note(
                    attempt.item.id, actor=SYSTEM, action="recording_sealed",
                    why=f"{name} sealed", recording=name,
                )  # fmt: skip

    async def _ring(self, attempt: _Attempt, leg: str, endpoint: str, caller: str | None) -> bool:
        """Originate `leg`; True once it is answered (in Stasis), False if it never is."""
        try:
            await self._rest.originate(
                endpoint, app=self._app, app_args=f"followup,{attempt.key}",
                caller_id=caller, timeout_s=RING_S, channel_id=leg,
            )  # fmt: skip
        except AriError as exc:
            log.warning("follow-up %d: dialing %s refused: %s", attempt.item.id, leg, exc)
            return False
        while True:
            async with asyncio.timeout(self._clock.wall_seconds(RING_S + 10)):
                got, what = await attempt.events.get()
            if got == leg:
                return what == "answered"
            # the agent hung up while the client rang: the attempt is over
            if got == attempt.agent_leg:
                return False

    async def _record(self, attempt: _Attempt) -> None:
        if self._keeper is None:
            return
        whole = WholeCallRecording(
            self._keeper, self._rest, self._bind, key=attempt.key,
            call_id=attempt.key.replace("-", "_"),  # recordings' call ids have no '-'
            channel_id=ChannelId(attempt.client_leg), app_name=self._app, purpose=PURPOSE,
            now=self._clock.now_s, alert=self._alert, incident=self._incident,
        )  # fmt: skip
        attempt.whole = whole
        await whole.start()
        names = ", ".join(whole.parts) or "(not started)"
        await self._note(attempt, "recording", f"recording the call: {names}")

    async def _finish_recording(self, attempt: _Attempt) -> list[str]:
        """Stop and seal the call's recording; the names of its parts."""
        whole = attempt.whole
        if whole is None:
            return []
        whole.caller_gone()
        await whole.finish()
        return list(whole.parts)

    async def _back_to_claimed(self, attempt: _Attempt, why: str) -> None:
        with contextlib.suppress(IvrError):
            await self._store.move(
                attempt.item.id, "claimed", actor=attempt.user, action="not_reached", why=why
            )

    async def _clean_up(self, attempt: _Attempt) -> None:
        for leg in (attempt.agent_leg, attempt.client_leg):
            with contextlib.suppress(AriError):
                await self._rest.hangup(ChannelId(leg))
        with contextlib.suppress(AriError):
            await self._rest.destroy_bridge(attempt.bridge)
        if attempt.whole is not None and attempt.whole.current is not None:
            with contextlib.suppress(IvrError, AriError):
                await attempt.whole.finish()
        self._attempts.pop(attempt.key, None)
        self._close_lane(attempt.key)


def _leg_event(event: ari.AriEvent, leg: str) -> str | None:
    """`answered`, `failed` or `gone` for an event of `leg`; None otherwise."""
    match event:
        case ari.StasisStart(channel=ch) if ch.id == leg:
            return "answered"
        case ari.Dial(peer=peer, dialstatus=status) if peer.id == leg and status in FAILED_DIAL:
            return "failed"
        case ari.ChannelDestroyed(channel=ch) | ari.StasisEnd(channel=ch) if ch.id == leg:
            return "gone"
        case ari.ChannelHangupRequest(channel=ch) if ch.id == leg:
            return "gone"
    return None
