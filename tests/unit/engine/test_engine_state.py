"""`CallState.evolve`: the engine's copy-with-changes, equal to `dataclasses.replace`."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ivr.engine.events import PlaybackId
from ivr.engine.state import CallState

STATE = CallState(flow="hotline", node="menu", language="zh-CN", variables={"a": "1"}, seq=4)


def test_evolve_makes_the_copy_replace_would_and_leaves_the_original() -> None:
    changes = {"seq": 5, "phase": "prompt", "playing": (PlaybackId("pb-5"),)}
    copy = STATE.evolve(changes)
    assert copy == replace(STATE, **changes)  # type: ignore[arg-type]
    assert (STATE.seq, STATE.phase, STATE.playing) == (4, "idle", ())
    assert copy is not STATE
    assert copy.variables is STATE.variables
    with pytest.raises(AttributeError):
        copy.seq = 6  # type: ignore[misc]  # still frozen


def test_evolve_refuses_a_field_the_state_does_not_have() -> None:
    with pytest.raises(TypeError) as caught:
        STATE.evolve({"sequence": 5, "phase": "prompt"})
    assert str(caught.value) == "CallState has no field sequence"
    assert "sequence" not in vars(STATE)
