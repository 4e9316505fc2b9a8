"""The pure decisions of call control: `control.plan` and `consult.step` (exact steps out)."""

from __future__ import annotations

import pytest

from ivr.queue import consult as c
from ivr.queue.control import (
    CallView,
    ControlRefused,
    DestroyBridge,
    Detach,
    EndInStore,
    HangUp,
    Hold,
    JoinBridge,
    LeaveBridge,
    Requeue,
    Resume,
    StartMoh,
    StopMoh,
    TransferToQueue,
    plan,
)
from ivr.queue.monitor import BadMonitorRequest, check_endpoint, mode_legs

VIEW = CallView("k1", "k1", "agent-k1-1", "desk-1", "br-k1", "trading_desk", "emergency", False)
HELD = CallView("k1", "k1", "agent-k1-1", "desk-1", "br-k1", "trading_desk", "emergency", True)


def test_hold_takes_the_caller_out_of_the_bridge_to_music() -> None:
    assert plan(VIEW, Hold("default")) == [LeaveBridge("k1", "br-k1"), StartMoh("k1", "default")]
    with pytest.raises(ControlRefused, match=r"^Call 'k1' is already on hold$"):
        plan(HELD, Hold())


def test_resume_brings_the_caller_back() -> None:
    assert plan(HELD, Resume()) == [StopMoh("k1"), JoinBridge("k1", "br-k1")]
    with pytest.raises(ControlRefused, match=r"^Call 'k1' is not on hold$"):
        plan(VIEW, Resume())


def test_transfer_to_a_queue_detaches_ends_the_agent_part_and_requeues() -> None:
    steps = [
        Detach(),
        HangUp("agent-k1-1"),
        DestroyBridge("br-k1"),
        EndInStore(),
        Requeue("general"),
    ]
    assert plan(VIEW, TransferToQueue("general")) == steps
    assert plan(HELD, TransferToQueue("general")) == [steps[0], StopMoh("k1"), *steps[1:]]


T = c.Transfer("k1", "k1", "agent-k1-1", "br-k1", "trading_desk", "agent:gen-1", "x1",
               "PJSIP/8002", held=False)  # fmt: skip


def test_consult_holds_the_caller_then_the_target_talks_with_the_agent() -> None:
    t, steps = c.start_consult(T)
    assert steps == [
        LeaveBridge("k1", "br-k1"),
        StartMoh("k1", "default"),
        c.DialTarget("x1", "PJSIP/8002"),
    ]
    t, steps = c.step(t, c.TargetAnswered())
    assert (t.phase, steps) == (c.Phase.CONSULTING, [JoinBridge("x1", "br-k1")])
    done, steps = c.step(t, c.Complete())
    assert done.phase is c.Phase.TRANSFERRED
    assert steps == [
        Detach(),
        HangUp("agent-k1-1"),
        StopMoh("k1"),
        JoinBridge("k1", "br-k1"),
        c.Own(),
    ]
    back, steps = c.step(t, c.Cancel())
    assert (back.phase, back.held) == (c.Phase.ENDED, False)
    assert steps == [HangUp("x1"), StopMoh("k1"), JoinBridge("k1", "br-k1")]
    three, steps = c.step(t, c.Conference())
    assert (three.phase, steps) == (c.Phase.CONFERENCE, [StopMoh("k1"), JoinBridge("k1", "br-k1")])


def test_a_blind_transfer_nobody_answers_goes_back_to_the_queue() -> None:
    t, steps = c.start_blind(T)
    assert steps[0] == Detach()
    assert steps[-1] == c.DialTarget("x1", "PJSIP/8002")
    t, steps = c.step(t, c.TargetFailed())
    assert (t.phase, steps) == (c.Phase.ENDED, [DestroyBridge("br-k1"), Requeue("trading_desk")])


def test_a_request_out_of_phase_is_refused_and_a_stale_event_ignored() -> None:
    t, _ = c.start_consult(T)
    with pytest.raises(
        ControlRefused, match="cannot conference now: its transfer is consult_ringing"
    ):
        c.step(t, c.Conference())
    assert c.step(t, c.CallerLeft()) == (t, [])


def test_monitoring_modes_and_endpoints() -> None:
    assert [mode_legs(m).whisper for m in ("listen", "whisper", "barge")] == ["none", "out", None]
    with pytest.raises(BadMonitorRequest, match="use one of listen, whisper, barge"):
        mode_legs("spy")
    assert check_endpoint("PJSIP/9001") == "PJSIP/9001"
    with pytest.raises(BadMonitorRequest, match="write it as PJSIP/9001"):
        check_endpoint("PJSIP/9001&Local/x")
