"""A call adopted after an app crash: what the new process knows of it before it runs.

`Resumed` is handed to a `CallSession` (`ivr.call.session`) by `ivr.call.adoption`: the call
row that already exists (its id, flow, language, last trace seq: the trace goes on from
there, no second row) and how the call stood when the old process died:
- `menu`: the caller was in the flow; they hear `APOLOGY`, then the flow starts again (at its
  `recovery` node if it names one);
- `queued`: the caller waited in `queue`; the store entry kept its place, the caller is held
  again (hold music, announcements) at the flow's queue node for that queue;
- `bridged`: the caller talks to an agent; the queue hand-off holds the legs and the bridge,
  the session waits for the end.

Rules: plain data; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ResumePoint = Literal["menu", "queued", "bridged"]

APOLOGY = {
    "zh-CN": "抱歉，系统刚才出现故障，我们重新为您服务。",
    "en": "Sorry, we had a technical problem. Let us start again.",
}


@dataclass(frozen=True, slots=True)
class Resumed:
    call_id: str  # the existing call row
    flow: str
    language: str
    mode: ResumePoint
    dialed: str = ""  # the number the caller dialled (the row's: the channel left the dialplan)
    queue: str | None = None  # queued and bridged: the queue the call is in
