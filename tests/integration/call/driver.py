"""Drive a sandbox call like a caller who listens before pressing.

A scenario call is placed with no steps; the test then feeds inputs when the app's engine is
waiting for the caller (phase `input`), presses digits through the switch (real
ChannelDtmfReceived events over the websocket), and waits until the app has handled them.
Simulator tokens are understood: digits (`12345678#`), `wait` (let the input timer run out).
"""

from __future__ import annotations

from dataclasses import dataclass

from ivr.app import App
from ivr.call.session import CallSession
from ivr.sandbox.caller import ScenarioCall, Transcript
from ivr.sandbox.scenario import Scenario, Step
from tests.helpers import until

STEP_TIMEOUT_S = 20.0


@dataclass
class CallDriver:
    app: App
    call: ScenarioCall

    @classmethod
    async def dial(
        cls,
        app: App,
        dialed: str = "95555",
        caller: str = "13900000000",
        steps: tuple[Step, ...] = (),
    ) -> CallDriver:
        """Place the call; `steps` (e.g. a `Speak` of line noise) run beside the driver."""
        assert app.switch is not None
        scenario = Scenario(dialed=dialed, caller=caller, steps=steps, max_duration_s=100_000)
        call = await app.switch.place_call(scenario)
        driver = cls(app, call)
        await until(lambda: driver.channel_id in app.sessions, what="the call's session")
        return driver

    @property
    def channel_id(self) -> str:
        return self.call.channel_id

    @property
    def session(self) -> CallSession:
        return self.app.sessions[self.channel_id]

    def _phase(self) -> str | None:
        session = self.app.sessions.get(self.channel_id)
        return None if session is None or session.state is None else session.state.phase

    async def waiting_for_input(self) -> None:
        await until(
            lambda: self._phase() == "input", timeout_s=STEP_TIMEOUT_S, what="waiting for input"
        )

    async def press(self, digits: str) -> None:
        await self.waiting_for_input()
        session = self.session
        handled = session.events_handled
        assert self.app.switch is not None
        for digit in digits:
            self.app.switch.press(self.app.switch.channel(self.channel_id), digit)
        await until(
            lambda: session.events_handled >= handled + len(digits) or session.state is None,
            timeout_s=STEP_TIMEOUT_S,
            what=f"digits {digits!r} handled",
        )

    async def let_time_pass(self) -> None:
        """`wait`: say nothing until the input timer fires and the engine moves on."""
        await self.waiting_for_input()
        session = self.session
        handled = session.events_handled
        await until(
            lambda: session.events_handled > handled,
            timeout_s=STEP_TIMEOUT_S,
            what="the input timer",
        )

    async def run(self, inputs: str) -> None:
        for token in [t for t in inputs.split(",") if t]:
            if token == "wait":
                await self.let_time_pass()
            else:
                await self.press(token)

    def hang_up(self) -> None:
        assert self.app.switch is not None
        self.app.switch.hangup(self.channel_id)

    async def ended(self, timeout_s: float = STEP_TIMEOUT_S) -> Transcript:
        transcript = await self.call.finished(timeout_s)
        await until(lambda: self.channel_id not in self.app.sessions, what="session closed")
        await self.app.call_records.flush()
        return transcript
