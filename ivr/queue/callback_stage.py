"""How far an in-queue callback (`*` while waiting) has got, from one lifecycle step: pure.

`stage(before, after, event)` names the step that matters to the callback's follow-up item
(`ivr.followups.boot.Followups.callback_stage`): `calling` (the agent answered and waits while
the client is dialled), `bridged` (the client answered), `done` (the call the client answered
ended), `failed` (the client was not reached, or the agent left before they were); None for
every other step.
"""

from __future__ import annotations

from typing import Literal, TypeAlias

from ivr.queue.waiting import BridgeFailed, Event, Phase

Stage: TypeAlias = Literal["calling", "bridged", "done", "failed"]


def stage(before: Phase, after: Phase, event: Event) -> Stage | None:
    if before is Phase.CALLBACK_BRIDGING and after is Phase.CALLING_BACK:
        return "calling"
    if before is Phase.CALLING_BACK and after is Phase.CALLBACK_BRIDGED:
        return "bridged"
    if after is Phase.ENDED and before is Phase.CALLBACK_BRIDGED:
        return "failed" if isinstance(event, BridgeFailed) else "done"
    if after is Phase.ENDED and before is Phase.CALLING_BACK:
        return "failed"
    return None
