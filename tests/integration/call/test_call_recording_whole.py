"""One emergency call with everything compliance needs in its recording, on a faithful switch.

The call of issue 11's first proof, end to end: the language menu and the recording notices,
the account verification, the desk queue giving up, the order captured and read back, the
caller's "1 to confirm" and their spoken order, then (the back office refusing the ticket) the
trading desk after all, and 20 s of talking with the desk agent. The whole-call recording (a
snoop on the caller, `docs/recordings.md`) must cover the call from answer to hang-up within
1 s, and second by second hold sound exactly where the caller heard or said something,
compared with the switch's own media log of the caller's channel.

The same guarantees with a part stopped mid-call (the next part within 1 s, sealed and linked,
alerted, counted) are shown by `test_call_recording.py` (desk talk) and, for a callback, by
`tests/integration/followups/test_followups_recording.py`.
"""

from __future__ import annotations

from pathlib import Path

from ivr.app import App
from ivr.sandbox import EndpointBehavior
from tests.helpers import until
from tests.integration.call.conftest import AppFactory
from tests.integration.call.test_call_recording import (
    LOGIN,
    LOUD_RECORDED,
    ORDER,
    SPEED,
    agent_voice,
    agreement,
    covered_s,
    desk_agent,
    parts_of,
    place,
    rms_per_second,
    spoken_order,
)

NO_TICKETS = (  # the back office refuses the order ticket: the flow sends the caller to the desk
    "CREATE TRIGGER no_tickets BEFORE INSERT ON tickets BEGIN SELECT RAISE(ABORT, 'down'); END"
)


async def refuse_tickets(app: App) -> None:
    async with app.store.engine.begin() as db:
        await db.exec_driver_sql(NO_TICKETS)


async def test_notices_verification_read_back_and_desk_talk_are_all_recorded(
    app_factory: AppFactory, tmp_path: Path
) -> None:
    voice = agent_voice(tmp_path / "agent.wav")  # 20 s: 4 s talking, 1 s pause, four times
    async with app_factory(speed=SPEED) as app:
        assert app.switch is not None
        await refuse_tickets(app)
        driver = await place(app, {"PJSIP/8001": EndpointBehavior(answer_after_s=2, speak=voice)})
        session = driver.session
        await driver.run(LOGIN)  # no desk agent yet: the desk queue gives up after 60 s
        await driver.run(ORDER)  # ... read back, "1" to confirm
        await until(lambda: session.recordings.recording_channel, what="the voice order")
        await desk_agent(app)  # the desk is staffed again by the time the ticket fails
        await driver.call.say(spoken_order(tmp_path / "order.wav"))
        app.switch.press(app.switch.channel(driver.channel_id), "#")
        await until(lambda: session.outcome == "answered", timeout_s=60, what="desk answered")
        await app.switch.clock.sleep(22.0)  # the agent's 20 s, and a word of goodbye
        driver.hang_up()
        transcript = await driver.ended(timeout_s=60)

        detail = await app.store.get_call(session.call_id)
        assert detail is not None
        nodes = {t.node for t in detail.trace}
        assert {"recorded_notice", "verify", "desk", "order_readback", "order_confirm"} <= nodes
        assert {"capture_failed_notice", "last_resort_desk"} <= nodes
        parts = await parts_of(app, session.call_id)
        whole = [p for p in parts if p.purpose == "emergency"]
        assert [(p.status.value, p.source.value) for p in whole] == [("sealed", "snoop")]
        assert [p.purpose for p in parts if p not in whole] == ["voice_order"]
        assert transcript.ended_s is not None
        call_s = transcript.ended_s - (transcript.answered_s or transcript.started_s)
        assert abs(covered_s(whole) - call_s) <= 1.0  # from answer to hang-up, within 1 s

        heard = app.switch.media_log(driver.channel_id)
        recorded = rms_per_second(app.recordings.path_of(whole[0]))
        assert agreement(recorded, heard) >= 0.95
        assert sum(1 for r in recorded if r >= LOUD_RECORDED) >= 30 + 16  # prompts + the agent
        talk = [r for r in recorded[-24:] if r >= LOUD_RECORDED]
        assert len(talk) >= 16  # the agent's four 4 s stretches, in the last seconds
        assert await app.recordings.verify() == []
        [call] = await app.recordings.coverage()
        assert call.recording_ids == (whole[0].id,)
        assert call.ratio >= 0.95
        await app.call_records.flush()  # the call row is the recording's call (`coverage` joins)
        assert [c.id for c in await app.store.answered_calls(["emergency"])] == [call.call_id]
