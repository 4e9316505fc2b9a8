"""Dial strings only from validated numbers: a caller ID holding `/`, `@` or letters never
reaches `originate`. Such a caller is not offered a callback while waiting, cannot book one
with the exit key, and a flow's callback booking answers `invalid_number`: the caller hears
why (on the emergency line: call again from your own phone), and no callback row is stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from ivr.clock import Clock
from ivr.queue import announce, lifecycle
from ivr.queue.dialer import Dialer
from ivr.queue.waiting import ClientDialFailed, DialClient, ExitChosen, Phase, Waiting
from ivr.store.models import Callback
from queueing.config import ExitOption
from queueing.model import CallerView
from tests.integration.call.driver import CallDriver
from tests.security.conftest import EMERGENCY, AppFactory, heard_texts

HOSTILE_CALLER = "13800/evil@attacker"
MONDAY_6PM = datetime(2026, 1, 5, 18, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # market closed
NO_NUMBER_PROMPT = "抱歉，无法识别您的来电号码，无法为您预约回电。请使用本人手机重新拨打本专线。"


class RecordingRest:
    """Only what the dialer calls: `originate`, remembered."""

    def __init__(self) -> None:
        self.originated: list[str] = []

    async def originate(self, endpoint: str, **_kw: Any) -> None:
        self.originated.append(endpoint)


async def test_the_dialer_dials_only_validated_numbers() -> None:
    rest = RecordingRest()
    dialer = Dialer(rest, Clock(), app="ivr", outbound_dial="PJSIP/{number}@trunk")  # type: ignore[arg-type]
    refused = await dialer.dial_client("k1", DialClient("callback-k1", HOSTILE_CALLER))
    assert refused == ClientDialFailed("callback-k1", "invalid_number")
    assert await dialer.dial_client("k2", DialClient("callback-k2", "+86 139-1234-5678")) is None
    assert rest.originated == ["PJSIP/13912345678@trunk"]


def test_no_callback_exit_for_a_number_that_cannot_be_called_back() -> None:
    view = CallerView(position=3, waited_s=60.0, estimated_wait_s=120.0,
                      exit_options=(ExitOption.CALLBACK,))  # fmt: skip
    assert announce.open_exits(view, offer_callback=True, dialable=False).callback is False
    assert announce.open_exits(view, offer_callback=True, dialable=True).callback is True
    waiting = Waiting("k", "ch", "general", caller=HOSTILE_CALLER, phase=Phase.WAITING)
    assert lifecycle.take_exit(waiting, ExitChosen(ExitOption.CALLBACK)) == (waiting, [])


async def test_emergency_caller_with_a_bad_caller_id_hears_why_and_nothing_is_booked(
    app_factory: AppFactory,
) -> None:
    async with app_factory(now=MONDAY_6PM) as app:
        driver = await CallDriver.dial(app, dialed=EMERGENCY, caller=HOSTILE_CALLER)
        await driver.run("1,1")  # Mandarin first; market closed: "press 1 for a callback"
        heard = heard_texts(app, await driver.ended())
        assert NO_NUMBER_PROMPT in heard
        async with app.providers.session() as session:
            assert await session.scalar(select(func.count()).select_from(Callback)) == 0
        assert app.switch is not None
        originated = [r for r in app.switch.requests if r.path.endswith("/channels")]
        assert originated == []
