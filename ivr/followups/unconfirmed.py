"""Automated calls that stayed unconfirmed become follow-up items: the outbound dialer's
escalation port (`ivr.outbound.escalation.Escalation`) implemented with the work items.

An unconfirmed margin-call notice (or any other automated kind the policy knows) becomes an
item of that kind (`margin_notice`: urgent, alerted, due within the policy's minutes) carrying
the masked account, the number that was called and why it ended (`unconfirmed after N
attempts, last: busy`); an agent claims it and calls the client back (`ivr followups`). A kind
the policy does not list is an urgent `callback` item. The dialer's own wallboard alert is
still posted (`fallback`), so a supervisor sees the escalation even if the item cannot be
stored.

Rules: never raises into the dialer (a failure is logged at ERROR); no account digits beyond
the masked form are stored here.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from ivr.errors import IvrError
from ivr.followups.promises import Promises
from ivr.followups.store import NewFollowup

log = logging.getLogger(__name__)


class UnconfirmedCall(Protocol):
    """What the dialer reports (`ivr.outbound.escalation.Unconfirmed`)."""

    @property
    def outbound_id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def account_masked(self) -> str: ...
    @property
    def phone(self) -> str: ...
    @property
    def attempts(self) -> int: ...
    @property
    def last_result(self) -> str: ...
    @property
    def status(self) -> str: ...  # unconfirmed | expired


Fallback = Callable[[Any], Awaitable[None]]  # e.g. the dialer's `AlertEscalation.escalate`


class FollowupEscalation:
    """`escalate(notice)`: a follow-up item for the notice, then the dialer's alert."""

    def __init__(self, promises: Promises, fallback: Fallback | None = None) -> None:
        self._p, self._fallback = promises, fallback

    async def escalate(self, notice: UnconfirmedCall) -> None:
        try:
            await self._item(notice)
        except (IvrError, OSError) as exc:
            log.error("unconfirmed outbound=%d: no follow-up item (%s)", notice.outbound_id, exc)
        except Exception:
            log.exception("unconfirmed outbound=%d: no follow-up item", notice.outbound_id)
        if self._fallback is not None:
            await self._fallback(notice)

    async def _item(self, notice: UnconfirmedCall) -> None:
        policy = self._p.policy
        rule = policy.for_kind(notice.kind) if notice.kind in policy.kinds else None
        rule = rule or policy.for_kind("callback")
        reason = f"{notice.kind}_{notice.status}"
        why = (
            f"outbound {notice.outbound_id}: {notice.status} after {notice.attempts} attempt(s),"
            f" last: {notice.last_result}"
        )
        new = NewFollowup(
            kind=rule.kind, priority=rule.policy.priority, reason=reason, caller=notice.phone,
            due_at=self._p.due(rule, self._p.store.now()),
            account_masked=notice.account_masked or None,
            reference=f"outbound-{notice.outbound_id}",
        )  # fmt: skip
        item = await self._p.create(rule, new, why)
        log.warning("%s outbound=%d -> follow-up %d", notice.status, notice.outbound_id, item.id)
