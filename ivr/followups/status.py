"""The status of a follow-up work item: a pure transition table.

`open -> claimed -> in_progress -> done | failed | expired | cancelled`, with the moves staff
need besides: a claimed item may be released back to `open` or re-assigned (`claimed ->
claimed`), a call that did not reach the client returns `in_progress -> claimed` for another
try, and an item not yet worked may be cancelled or expire. Terminal states never move.

`advance(current, target)` answers the target or raises `IllegalTransition` (a `Conflict`)
naming both states and what is allowed. No I/O.
"""

from __future__ import annotations

from typing import Final, Literal, TypeAlias, get_args

from ivr.errors import Conflict

Status: TypeAlias = Literal[
    "open", "claimed", "in_progress", "done", "failed", "expired", "cancelled"
]
Kind: TypeAlias = Literal[
    "callback", "phone_order", "complaint", "voice_message", "pin_unlock", "margin_notice", "survey"
]
STATUSES: Final[tuple[Status, ...]] = get_args(Status)
KINDS: Final[tuple[Kind, ...]] = get_args(Kind)
TERMINAL: Final[frozenset[Status]] = frozenset({"done", "failed", "expired", "cancelled"})
ACTIVE: Final[frozenset[Status]] = frozenset({"open", "claimed", "in_progress"})

TRANSITIONS: Final[dict[str, frozenset[Status]]] = {
    "open": frozenset({"claimed", "expired", "cancelled"}),
    "claimed": frozenset({"claimed", "open", "in_progress", "done", "failed", "cancelled"}),
    "in_progress": frozenset({"claimed", "done", "failed", "cancelled"}),
    "done": frozenset(),
    "failed": frozenset(),
    "expired": frozenset(),
    "cancelled": frozenset(),
}


class IllegalTransition(Conflict):
    """A status move the table does not allow (e.g. closing an item nobody claimed)."""

    code = "illegal-transition"

    def __init__(self, current: str, target: str) -> None:
        allowed = sorted(TRANSITIONS.get(current, frozenset()))
        hint = f"allowed from '{current}': {', '.join(allowed)}" if allowed else "it is final"
        super().__init__(f"cannot move a follow-up from '{current}' to '{target}' ({hint})")
        self.current, self.target = current, target


def advance(current: str, target: str) -> Status:
    """`target` if the table allows `current -> target`, else `IllegalTransition`."""
    for allowed in TRANSITIONS.get(current, frozenset()):
        if allowed == target:
            return allowed
    raise IllegalTransition(current, target)
