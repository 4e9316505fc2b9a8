"""Every promise a flow makes becomes a follow-up item: a wrapper of the lookup providers.

`FollowupProviders(inner, ...)` answers every lookup through `inner`; when a promising lookup
answers `ok` it also creates the item the policy names:
- `create_ticket` with a ticket kind listed under `tickets` (an `emergency_order` ticket is a
  `phone_order` item with the structured order from the lookup's params; a complaint, a voice
  message...), linked to the call row and the call's recordings so far (the voice order, the
  message, the whole-call recording);
- `request_callback` with any reason (`callbacks` overrides, else `default_callback`); a
  callback booked for an order already captured in the same call joins that order's item
  (one promise, one item) instead of making a second one.

Rules:
- If the item cannot be stored the lookup answers `error`: the flow takes its failure path and
  tells the caller nothing was booked. Nothing is promised that has no item.
- Kinds whose policy says `alert: true` post a wallboard alert `followup` carrying the item
  (kind, id, reason, due time, caller, account masked to its last 4 digits, the order for a
  phone order). The alert is best effort: a failure is logged, the item stays.
- PINs never reach here (no promising lookup takes one); the account is kept as the back
  office's digest (`account_key`) and shown only as `****5678`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from ivr.engine.calendar import DEFAULT_CALENDAR, TradingCalendar
from ivr.engine.providers import ORDER_PARAMS
from ivr.errors import IvrError
from ivr.followups.policy import FollowupPolicy, Rule, due_at
from ivr.followups.store import SYSTEM, Followup, FollowupStore, NewFollowup, mask_last4
from ivr.providers import LookupData, LookupProvider, LookupProviders
from recordings import RecordingIndex

log = logging.getLogger(__name__)

Alert = Callable[[str, Mapping[str, str]], Awaitable[None]]
# create_ticket params that carry a captured phone order (flows/emergency.yaml `order_ticket`)
ORDER_FIELDS = ORDER_PARAMS


class Promises:
    """What the wrapper needs: the store, the policy, the calendar, the alert sink."""

    def __init__(
        self,
        store: FollowupStore,
        policy: FollowupPolicy,
        *,
        calendar: TradingCalendar | None = None,
        alert: Alert | None = None,
        account_digest: Callable[[str], str] | None = None,
        recordings: RecordingIndex | None = None,
    ) -> None:
        self.store, self.policy = store, policy
        self.calendar = calendar or DEFAULT_CALENDAR
        self.alert = alert
        self.digest = account_digest
        self.recordings = recordings  # the call's recordings so far are linked to its items

    def due(self, rule: Rule, at: datetime) -> datetime:
        return due_at(rule.policy.due, at, self.calendar)

    async def create(self, rule: Rule, new: NewFollowup, why: str) -> Followup:
        if self.recordings is not None and new.call_id is not None and not new.recordings:
            found = await self.recordings.search(call_id=new.call_id)
            new = replace(new, recordings=tuple(r.name for r in found))
        item = await self.store.create(new, why=why)
        log.info("follow-up created id=%d kind=%s reason=%s", item.id, item.kind, item.reason)
        if rule.policy.alert:
            await self.announce(item)
        return item

    async def announce(self, item: Followup, kind: str = "followup") -> None:
        """Post a wallboard alert carrying `item` (masked); best effort."""
        if self.alert is None:
            return
        try:
            await self.alert(kind, alert_fields(item))
        except IvrError as exc:
            log.error("follow-up alert not posted id=%d: %s", item.id, exc)


def alert_fields(item: Followup) -> dict[str, str]:
    fields = {
        "followup_id": str(item.id), "followup_kind": item.kind, "reason": item.reason,
        "priority": item.priority, "caller": item.caller, "account": item.account_masked or "",
        "due_at": item.due_at.isoformat(), "queue": item.queue or "",
    }  # fmt: skip
    if item.order:
        fields["order"] = json.dumps(item.order, ensure_ascii=False, sort_keys=True)
    return fields


class _PromisingProvider:
    def __init__(self, inner: LookupProvider, promises: Promises, call_id: str) -> None:
        self._inner, self._p, self._call_id = inner, promises, call_id
        self._order_item: int | None = None  # the phone order captured in this call

    async def lookup(self, name: str, params: Mapping[str, str]) -> tuple[str, LookupData]:
        result, data = await self._inner.lookup(name, params)
        if result != "ok" or name not in ("create_ticket", "request_callback"):
            return result, data
        try:
            if name == "create_ticket":
                await self._ticket(params, data)
            else:
                await self._callback(params, data)
        except (SQLAlchemyError, OSError, IvrError) as exc:
            log.error("follow-up not stored for %s: %s", name, type(exc).__name__)
            return "error", {}
        return result, data

    def _new(self, rule: Rule, reason: str, params: Mapping[str, str]) -> NewFollowup:
        account = params.get("account", "").strip()
        return NewFollowup(
            kind=rule.kind, priority=rule.policy.priority, reason=reason,
            caller=params.get("caller", ""), due_at=self._p.due(rule, self._p.store.now()),
            account_digest=self._p.digest(account) if account and self._p.digest else None,
            account_masked=mask_last4(account) if account else None, call_id=self._call_id,
            queue=params.get("queue") or None,
        )  # fmt: skip

    async def _ticket(self, params: Mapping[str, str], data: LookupData) -> None:
        ticket_kind = params.get("kind", "")
        rule = self._p.policy.for_ticket(ticket_kind)
        if rule is None:
            return  # e.g. a suggestion: thanked, nothing promised
        new = self._new(rule, ticket_kind, params)
        order = {f: params.get(f, "") for f in ORDER_FIELDS} if rule.kind == "phone_order" else None
        reference = str(data.get("ticket_id", "")) or None
        new = replace(new, order=order, reference=reference)
        item = await self._p.create(rule, new, f"{ticket_kind} ticket {reference}")
        if rule.kind == "phone_order":
            self._order_item = item.id

    async def _callback(self, params: Mapping[str, str], data: LookupData) -> None:
        reason = params.get("reason", "") or "callback"
        rule = self._p.policy.for_callback(reason)
        reference = str(data.get("callback_id", "")) or None
        if rule is None:
            return
        if rule.kind == "phone_order" and self._order_item is not None:
            why = f"callback {reference} booked in {params.get('queue', '')} for this order"
            await self._p.store.note(self._order_item, actor="system", action="callback_booked",
                                     why=why, reference=reference)  # fmt: skip
            return
        if rule.kind == "phone_order":  # no order captured in this call: an urgent callback
            rule = Rule("callback", rule.policy)
        new = replace(self._new(rule, reason, params), reference=reference)
        await self._p.create(rule, new, f"callback {reference} booked ({reason})")


class FollowupProviders:
    """Lookup providers that turn every promise into a follow-up item (see the module doc)."""

    def __init__(self, inner: LookupProviders, promises: Promises) -> None:
        self._inner, self.promises = inner, promises

    def for_call(self, call_id: str, caller: str = "") -> LookupProvider:
        inner = self._inner.for_call(call_id, caller)
        return _PromisingProvider(inner, self.promises, call_id)


async def book_queue_callback(
    promises: Promises, *, caller: str, call_id: str | None, queue: str | None
) -> Followup | None:
    """The in-queue callback (`*` while waiting, the place in line kept) as a `callback` item
    (reason `queue_callback`): the queue rings the caller back when an agent is free; the item
    keeps the promise visible and lets an agent take it over. Never raises (logged)."""
    rule = promises.policy.for_callback("queue_callback")
    if rule is None:
        return None
    new = NewFollowup(
        kind=rule.kind, priority=rule.policy.priority, reason="queue_callback", caller=caller,
        due_at=promises.due(rule, promises.store.now()), call_id=call_id, queue=queue,
    )  # fmt: skip
    try:
        return await promises.create(rule, new, "callback booked while waiting (place kept)")
    except (SQLAlchemyError, OSError, IvrError) as exc:
        log.error("in-queue callback follow-up not stored: %s", type(exc).__name__)
        return None


_CLOSE = {
    "done": ("done", "called_back", "the client answered the queue's callback; the call ended"),
    "failed": ("failed", "not_reached", "the queue's callback did not reach the client"),
}


async def queue_callback_stage(store: FollowupStore, item_id: int, stage: str, agent: str) -> None:
    """Move the `*` callback's item with its call (see `Followups.callback_stage`): an item an
    agent took over by hand meanwhile (not `open` / `in_progress` as expected) is only noted."""
    item = await store.get(item_id, with_history=False)
    if stage == "calling" and item.status == "open":
        why = f"queue agent {agent} answered; calling the client back"
        await store.move(item_id, "claimed", actor=SYSTEM, action="queue_agent", why=why)
        await store.move(item_id, "in_progress", actor=SYSTEM, action="calling", why=why)
    elif stage in _CLOSE and item.status == "in_progress":
        target, outcome, why = _CLOSE[stage]
        await store.move(item_id, target, actor=SYSTEM, action=target, why=why, outcome=outcome)
    else:
        why = f"queue callback {stage} (agent {agent})"
        await store.note(item_id, actor=SYSTEM, action=f"queue_{stage}", why=why)
