"""The follow-up status table: every legal move, and the exact refusal of illegal ones."""

from __future__ import annotations

import pytest

from ivr.errors import Conflict
from ivr.followups.status import STATUSES, TERMINAL, TRANSITIONS, IllegalTransition, advance


def test_the_life_of_an_item() -> None:
    status = "open"
    for target in ("claimed", "in_progress", "claimed", "in_progress", "done"):
        status = advance(status, target)
    assert status == "done"


@pytest.mark.parametrize("current", STATUSES)
@pytest.mark.parametrize("target", STATUSES)
def test_every_pair_follows_the_table(current: str, target: str) -> None:
    if target in TRANSITIONS[current]:
        assert advance(current, target) == target
    else:
        with pytest.raises(IllegalTransition):
            advance(current, target)


def test_terminal_states_never_move() -> None:
    assert all(TRANSITIONS[s] == frozenset() for s in TERMINAL)


def test_closing_an_open_item_is_a_conflict_naming_what_is_allowed() -> None:
    with pytest.raises(Conflict) as caught:
        advance("open", "done")
    assert str(caught.value) == (
        "cannot move a follow-up from 'open' to 'done' "
        "(allowed from 'open': cancelled, claimed, expired)"
    )
    assert caught.value.code == "illegal-transition"


def test_a_final_item_says_so() -> None:
    with pytest.raises(IllegalTransition) as caught:
        advance("done", "claimed")
    assert str(caught.value) == "cannot move a follow-up from 'done' to 'claimed' (it is final)"
