"""What happens to an automated call that stayed unconfirmed after its last attempt.

`Escalation` is the port the dialer calls (`await escalation.escalate(notice)`); the app wires
the implementation. `AlertEscalation`, the default, raises a wallboard alert
`outbound_unconfirmed` (kind, call id, masked account, attempts, last result): a supervisor
sees it at once. A survey nobody answered (`QUIET_KINDS`) raises no alert: its low-priority
follow-up item is enough. The follow-up work items (an agent call-back, `ivr followups`) plug
in here.

Rules: an escalation never raises into the dialer: a failure is logged at ERROR and the call
row keeps `escalated_at` (the dialer sets it before calling) so it can be found again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)

Alert = Callable[[str, Mapping[str, str]], Awaitable[None]]
QUIET_KINDS = frozenset({"survey"})  # unanswered, but nothing a supervisor must act on now


@dataclass(frozen=True, slots=True)
class Unconfirmed:
    """An automated call that ended `unconfirmed` (no secrets: the account is masked)."""

    outbound_id: int
    kind: str
    campaign_id: int
    account_masked: str
    phone: str
    attempts: int
    last_result: str
    status: str = "unconfirmed"  # or `expired`: its deadline passed before it got through


class Escalation(Protocol):
    async def escalate(self, notice: Unconfirmed) -> None: ...


class AlertEscalation:
    """The default escalation: a supervisor alert on the wallboard."""

    def __init__(self, alert: Alert | None) -> None:
        self._alert = alert

    async def escalate(self, notice: Unconfirmed) -> None:
        log.warning(
            "%s after the last attempt kind=%s outbound=%d attempts=%d",
            notice.status, notice.kind, notice.outbound_id, notice.attempts,
        )  # fmt: skip
        if self._alert is None or notice.kind in QUIET_KINDS:
            return
        await self._alert(
            "outbound_unconfirmed",
            {
                "outbound_kind": notice.kind,
                "outbound_id": str(notice.outbound_id),
                "campaign_id": str(notice.campaign_id),
                "account": notice.account_masked,
                "attempts": str(notice.attempts),
                "last_result": notice.last_result,
                "status": notice.status,
            },
        )
