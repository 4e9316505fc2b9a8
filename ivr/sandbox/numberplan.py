"""The sandbox's outside world: how a number dialled through a trunk behaves (docs/dialer.md).

A trunk endpoint is a non-`Local` one with `@` in its resource (`PJSIP/13900000010@carrier`;
`Local/100@ctx` is a dialplan context, not a trunk); the number is the part before `@`.
Unless `SandboxConfig.endpoints` names the endpoint exactly, its behaviour is chosen by the
number's LAST DIGIT, the way Asterisk reports each case:

| last digit | the far end | what the app sees |
|---|---|---|
| 0, 7, 8, 9 | answers after 2 s, presses 1 every 4 s | StasisStart (Up), ChannelDtmfReceived `1` |
| 1 | answers after 2 s, presses nothing | StasisStart; silence |
| 2 | busy | Dial BUSY, ChannelDestroyed cause 17 |
| 3 | rings until the originate timeout | Dial NOANSWER, ChannelDestroyed cause 19 |
| 4 | network congestion | Dial CONGESTION, ChannelDestroyed cause 34 |
| 5 | number not in service | Dial CHANUNAVAIL, ChannelDestroyed cause 1 |
| 6 | answers after 2 s, presses 0 every 4 s (asks for an agent) | ChannelDtmfReceived `0` |

Rules: pure data; the channel code (`ivr.sandbox.channels`) acts it out.
"""

from __future__ import annotations

from ivr.sandbox.config import EndpointBehavior

ANSWER_AFTER_S = 2.0
PRESS_EVERY_S = 4.0

_PLAN: dict[str, EndpointBehavior] = {
    "1": EndpointBehavior(answer_after_s=ANSWER_AFTER_S),
    "2": EndpointBehavior(busy=True),
    "3": EndpointBehavior(never_answer=True),
    "4": EndpointBehavior(fail_cause=34),
    "5": EndpointBehavior(fail_cause=1),
    "6": EndpointBehavior(answer_after_s=ANSWER_AFTER_S, press="0", press_every_s=PRESS_EVERY_S),
}
_CONFIRMS = EndpointBehavior(answer_after_s=ANSWER_AFTER_S, press="1", press_every_s=PRESS_EVERY_S)
DIAL_STATUS = {34: "CONGESTION", 1: "CHANUNAVAIL"}


def trunk_number(endpoint: str) -> str | None:
    """The number of a trunk endpoint (`PJSIP/139...@carrier` -> `139...`), None otherwise."""
    tech, _, resource = endpoint.partition("/")
    number, at, _trunk = resource.partition("@")
    return number if at and number and tech != "Local" else None


def outside_behavior(number: str) -> EndpointBehavior:
    """How the outside number `number` answers (see the table above)."""
    return _PLAN.get(number[-1:], _CONFIRMS)
