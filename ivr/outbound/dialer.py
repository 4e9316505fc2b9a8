"""The outbound dialer's shell: one asyncio task that asks the pure scheduler what to dial,
originates the legs, and closes each attempt with its result (docs/dialer.md).

Legs: `POST /channels` to the trunk template (`dialer.trunk_dial`, e.g. `PJSIP/{number}@carrier`)
filled by `ivr.engine.phones.dial_string` (a number that no longer validates is `refused`),
channel id `out-<id>-<n>`, appArgs `outbound,<id>,<attempt>`, the kind's caller ID, ring
`RING_S`. How each leg ends (docs/asterisk-behaviour.md, "Calls and events"):
- never answered: the router hands us its `ChannelDestroyed` (`on_unowned`): cause 17 busy,
  19 no answer, anything else failed (`schedule.result_of_cause`); an originate the switch
  refuses (`AriError`) is failed at once;
- answered: `StasisStart` reaches the router, which asks `answered(leg)` for the flow and facts
  and runs the call in a `CallSession`; the flow's `result` node reaches `report`
  (`confirmed`: digit, time and attempt stored) and the session's end reaches `ended` (after
  its recording is sealed); no result means `no_confirmation`.
Then `policy.after_attempt` decides: retry at a time (held further by the window when it comes
due) or final; `unconfirmed` and `expired` go to the `Escalation` port. A call whose own
deadline (a margin notice's) has passed when its turn comes is not dialled: `expired`.

Rules: state is in SQL (`OutboundStore`) at every step; at start, calls a previous run left
`dialing` are ended `failed` (cause `restart`) and retried per policy. SQL down or locked: one
warning (`ivr.outage`), passes back off, an attempt's close is retried until it is
written (a confirmation is kept on the leg and written with it), never a traceback flood.
Time: `wall()` gives the aware local time the windows use and its epoch seconds for `next_at`.
`aclose` is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError

from ivr import ari
from ivr.ari import AriError, AriRest
from ivr.engine.calendar import TradingCalendar
from ivr.engine.phones import InvalidPhone, dial_string
from ivr.errors import IvrError
from ivr.outage import Outage
from ivr.outbound.escalation import Escalation, Unconfirmed
from ivr.outbound.policy import ESCALATED, KindPolicy, NoMoreAttempts, after_attempt, deadline_of
from ivr.outbound.schedule import Due, Pacer, Pacing, choose, result_of_cause
from ivr.store.outbound import OutboundStore, ToDial

log = logging.getLogger(__name__)

RING_S = 30  # how long an outside number rings before no answer
IDLE_S = 5.0  # clock seconds between passes when nothing is due and nothing wakes the task
BATCH = 200  # due calls read per query
STOP_TIMEOUT_S = 2.0
STORE_ERRORS = (SQLAlchemyError, OSError)  # the SQL store failing (down, locked, timeout)
LEG_PREFIX = "out-"


@dataclass(frozen=True, slots=True)
class OutboundStart:
    """What an answered leg's session runs: the flow, its facts, the numbers for the call row."""

    flow: str
    variables: Mapping[str, str]
    caller_id: str
    number: str


@dataclass
class _Leg:
    call: ToDial
    answered: bool = False
    result: str | None = None
    confirmed: tuple[str, datetime] | None = None  # (digit, when): written again at the end
    done: bool = False


class OutboundDialer:
    """Dials due automated calls through the trunk, paced, and closes their attempts."""

    def __init__(
        self,
        store: OutboundStore,
        rest: AriRest,
        *,
        app: str,
        trunk_dial: str,
        pacing: Pacing,
        policies: Mapping[str, KindPolicy],
        calendar: TradingCalendar,
        escalation: Escalation,
        wall: Callable[[], datetime],
        clock_sleep_s: Callable[[float], float],
    ) -> None:
        self._store, self._rest, self._app = store, rest, app
        self._trunk, self._pacing, self._policies = trunk_dial, pacing, policies
        self._calendar, self._escalation, self._wall = calendar, escalation, wall
        self._wall_s = clock_sleep_s  # clock seconds -> wall seconds to sleep
        self.legs: dict[str, _Leg] = {}  # legs out, by channel id
        self._starting = 0  # dials between the plan and their leg (SQL, originate)
        self._claiming: set[int] = set()  # ids of those dials
        self.peak = 0  # most legs out at once (for the bench)
        self.started_at: list[float] = []  # epoch s of each originate (for the bench)
        self._pacer = Pacer()
        self._due: list[Due] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._work: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._seq = itertools.count(1)
        self._outage = Outage("outbound dialer")

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        for call_id, kind, attempt in await self._store.interrupted():
            log.warning("outbound=%d was dialing when the app stopped: ended failed", call_id)
            await self._close(call_id, kind, attempt, "failed", "restart", None)
        self._task = asyncio.create_task(self._run(), name="outbound-dialer")

    def now(self) -> datetime:
        """The dialer's wall time (windows, `next_at`): what a campaign loaded here is due at."""
        return self._wall()

    def wake(self) -> None:
        """Something changed (a campaign queued, a leg ended): plan again now."""
        self._due.clear()
        self._wake.set()

    async def aclose(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            done, _ = await asyncio.wait({self._task}, timeout=STOP_TIMEOUT_S)
            if not done:
                self._task.cancel()
                await asyncio.wait({self._task}, timeout=STOP_TIMEOUT_S)
        if self._work:
            await asyncio.wait(set(self._work), timeout=STOP_TIMEOUT_S)

    # ------------------------------------------------------------------ the loop

    async def _run(self) -> None:
        while not self._stopping:
            try:
                pause_s = await self.pass_once()
                self._outage.ok()
            except STORE_ERRORS as exc:  # SQL down or locked: one warning, then backoff
                self._outage.failed(exc)
                pause_s = self._outage.pause_s(IDLE_S)
            except Exception:
                log.exception("dialer pass failed")
                pause_s = IDLE_S
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._wall_s(pause_s)):
                    await self._wake.wait()
            self._wake.clear()

    async def pass_once(self) -> float:
        """Dial what is due now; the clock seconds until the next pass is worth running."""
        now = self._wall()
        now_s = now.timestamp()
        if not self._due and self.in_flight < self._pacing.max_concurrent:
            due = await self._store.due(now_s, BATCH)
            self._due = [Due(i, k) for i, k in due if i not in self._claiming]
        plan = choose(
            self._due, now=now, in_flight=self.in_flight, pacer=self._pacer,
            pacing=self._pacing, policies=self._policies, calendar=self._calendar,
        )  # fmt: skip
        self._pacer = plan.pacer
        taken = set(plan.dial) | {i for i, _ in plan.hold}
        if taken:
            self._due = [d for d in self._due if d.id not in taken]
        if plan.hold:
            await self._store.hold(plan.hold, now)
        for call_id in plan.dial:  # the loop keeps its cadence while the dial's I/O runs
            self._starting += 1
            self._claiming.add(call_id)  # never planned twice while its claim is on its way
            self._spawn(self._dial(call_id))
        if self._due and self.in_flight < self._pacing.max_concurrent:
            return max(0.0, self._pacer.next_free_s - now_s)
        if self._due:
            return IDLE_S  # full: a leg ending wakes us
        next_due = await self._store.next_due_s()
        if next_due is None:
            return IDLE_S
        return min(IDLE_S, max(0.0, next_due - now_s, self._pacer.next_free_s - now_s))

    @property
    def in_flight(self) -> int:
        """Legs out plus dials on their way: what the concurrency limit counts."""
        return len(self.legs) + self._starting

    async def _dial(self, call_id: int) -> None:
        leg = f"{LEG_PREFIX}{call_id}-{next(self._seq)}"
        call: ToDial | None = None
        try:
            call = await self._store.start_attempt(call_id, leg, self._wall())
            if call is not None:
                self.legs[leg] = _Leg(call)
        finally:
            self._starting -= 1
            self._claiming.discard(call_id)
        self.peak = max(self.peak, len(self.legs))
        if call is None:
            self._wake.set()  # its slot is free again
            return
        policy = self._policies[call.kind]
        deadline = deadline_of(call.facts)
        if deadline is not None and self._wall() >= deadline:
            log.warning("outbound=%d not dialled: its deadline %s has passed", call_id, deadline)
            await self._leg_over(leg, "expired", "deadline_passed", None)
            return
        try:
            endpoint = dial_string(self._trunk, call.phone)
        except InvalidPhone as exc:
            log.error("outbound=%d refused: %s", call_id, exc)
            await self._leg_over(leg, "refused", "invalid_number", None)
            return
        self.started_at.append(self._wall().timestamp())
        try:
            await self._rest.originate(
                endpoint, app=self._app, app_args=f"outbound,{call_id},{call.attempt}",
                caller_id=policy.caller_id, timeout_s=RING_S, channel_id=leg,
            )  # fmt: skip
        except AriError as exc:
            log.warning("outbound=%d originate failed: %s", call_id, exc)
            await self._leg_over(leg, "failed", f"originate_{exc.status or 'error'}", None)
            return
        log.info("dialing outbound=%d kind=%s attempt=%d", call_id, call.kind, call.attempt)

    # ------------------------------------------------------------------ legs (from the router)

    def holds(self, leg: str) -> bool:
        return leg in self.legs

    def on_unowned(self, event: ari.AriEvent) -> None:
        """An event of a channel no call owns: our unanswered leg ending, or nothing of ours."""
        if not isinstance(event, ari.ChannelDestroyed):
            return
        leg = self.legs.get(event.channel.id)
        if leg is None or leg.answered or leg.done:
            return
        result = result_of_cause(event.cause)
        self._spawn(self._leg_over(event.channel.id, result, f"cause_{event.cause}", None))

    def answered(self, leg_id: str) -> OutboundStart | None:
        """The leg entered the app: what its call session runs (None: not a leg of ours)."""
        leg = self.legs.get(leg_id)
        if leg is None or leg.done:
            return None
        leg.answered = True
        policy = self._policies[leg.call.kind]
        variables = _variables(leg.call, self._calendar.timezone)
        return OutboundStart(policy.flow, variables, policy.caller_id, leg.call.phone)

    async def report(self, leg_id: str, result: str, digit: str) -> None:
        """The flow's `result` node: `confirmed` stores digit, time and attempt at once."""
        leg = self.legs.get(leg_id)
        if leg is None:
            return
        leg.result = result
        if result == "confirmed":
            leg.confirmed = (digit, self._wall())
            log.info("outbound=%d confirmed attempt=%d", leg.call.id, leg.call.attempt)
            try:
                await self._store.confirm(leg.call.id, leg.call.attempt, *leg.confirmed)
            except STORE_ERRORS as exc:  # kept on the leg: the attempt's close writes it
                self._outage.failed(exc)

    async def ended(self, leg_id: str, ivr_call_id: str) -> None:
        """The answered leg's session ended (its recording sealed)."""
        leg = self.legs.get(leg_id)
        if leg is not None:
            await self._leg_over(leg_id, leg.result or "no_confirmation", "answered", ivr_call_id)

    # ------------------------------------------------------------------ closing attempts

    async def _leg_over(
        self, leg_id: str, result: str, cause: str, ivr_call_id: str | None
    ) -> None:
        leg = self.legs.pop(leg_id, None)  # the trunk slot is free now; SQL follows
        if leg is None or leg.done:
            return
        leg.done = True
        self._wake.set()
        call = leg.call
        while True:  # the attempt is closed in SQL, or left `dialing` for the next start
            try:
                await self._close(
                    call.id, call.kind, call.attempt, result, cause, ivr_call_id, leg.confirmed,
                    deadline_of(call.facts),
                )  # fmt: skip
                return
            except STORE_ERRORS as exc:
                self._outage.failed(exc)
                if self._stopping:
                    return
                await asyncio.sleep(self._wall_s(self._outage.pause_s(1.0)))

    async def _close(
        self, call_id: int, kind: str, attempt: int, result: str, cause: str | None,
        ivr_call_id: str | None, confirmed: tuple[str, datetime] | None = None,
        deadline: datetime | None = None,
    ) -> None:  # fmt: skip
        now = self._wall()
        decision = after_attempt(self._policies[kind], attempt, result, now, deadline)
        final = isinstance(decision, NoMoreAttempts)
        status = decision.status if isinstance(decision, NoMoreAttempts) else "queued"
        next_at = None if isinstance(decision, NoMoreAttempts) else decision.at.timestamp()
        escalate = final and status in ESCALATED
        found = await self._store.end_attempt(
            call_id, attempt, result=result, cause=cause, ivr_call_id=ivr_call_id,
            status=status, next_at=next_at, now=now, escalated=escalate, confirmed=confirmed,
        )  # fmt: skip
        log.info("outbound=%d attempt=%d result=%s -> %s", call_id, attempt, result, status)
        if escalate and found is not None:
            campaign_id, account_masked, phone = found
            notice = Unconfirmed(
                call_id, kind, campaign_id, account_masked, phone, attempt, result, status
            )
            try:
                await self._escalation.escalate(notice)
            except IvrError as exc:  # e.g. the wallboard's Redis down: escalated_at is set
                log.error("escalation of outbound=%d failed: %s", call_id, exc)
            except Exception:
                log.exception("escalation of outbound=%d failed (escalated_at is set)", call_id)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._work.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._work.discard(task)
        if task.cancelled() or task.exception() is None:
            return
        self._wake.set()
        exc = task.exception()
        if isinstance(exc, STORE_ERRORS):  # a claim that did not reach SQL: stays queued
            self._outage.failed(exc)
        else:
            log.error("dialer task failed", exc_info=exc)


def _variables(call: ToDial, timezone: str) -> dict[str, str]:
    """The flow variables of a call: its stored facts, the deadline also as spoken local time."""
    facts = dict(call.facts)
    deadline = facts.get("deadline")
    if deadline:
        local = datetime.fromisoformat(deadline).astimezone(ZoneInfo(timezone))
        facts["deadline_text"] = local.strftime("%Y-%m-%d %H:%M")
    return facts
