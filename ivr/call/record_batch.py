"""A batch of call records (`ivr.call.records`) as a few grouped statements.

The writer's records come in report order: a call's row, its answer, trace entries, its queue,
its end. Written one statement each, a batch of 100 cost the event loop about as much as the
rest of those calls' work in a burst (each statement is compiled, bound and handed to the
driver's thread on its own). Grouped, a batch is at most: one INSERT of new call rows, one INSERT
of every trace entry, one UPDATE per set of columns changed, in that order (a call's row exists
before its traces and changes; changes keep their order, so a later value of a column wins).
`lost` closes (after an app crash) keep their place: the groups before one are written first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from ivr.store import CallRowId
from ivr.store.calls import CallWrites

_Record = Mapping[str, Any]  # one journal line (`ivr.call.records.JournalLine`)


class TraceLine(NamedTuple):
    """One trace entry as the store takes it (`TraceLike`)."""

    node: str
    kind: str
    detail: Mapping[str, Any]
    at: datetime


@dataclass
class Grouped:
    creates: list[dict[str, Any]] = field(default_factory=list)
    traces: list[tuple[CallRowId, Sequence[TraceLine], int]] = field(default_factory=list)
    changes: list[tuple[CallRowId, dict[str, Any]]] = field(default_factory=list)

    async def write(self, w: CallWrites) -> None:
        if self.creates:
            await w.create_calls(self.creates)
        if self.traces:
            await w.append_traces(self.traces)
        if self.changes:
            await w.update_calls(self.changes)
        self.creates, self.traces, self.changes = [], [], []


async def write_grouped(w: CallWrites, batch: Sequence[_Record]) -> list[str]:
    """Write `batch` as grouped statements; the kinds it did not know (skipped)."""
    grouped, unknown = Grouped(), []
    for r in batch:
        cid, kind = CallRowId(r["call_id"]), r["kind"]
        at = datetime.fromisoformat(r["at"])
        if kind == "start":
            grouped.creates.append(
                {
                    "id": cid,
                    "channel_id": r["channel_id"],
                    "caller": r["caller"],
                    "dialed": r["dialed"],
                    "language": r["language"],
                    "flow": r["flow"],
                    "flow_version": None,
                    "started_at": at,
                }
            )
        elif kind == "answered":
            grouped.changes.append((cid, {"answered_at": at}))
        elif kind == "queued":
            grouped.changes.append((cid, {"queue": r["queue"], "priority": r["priority"]}))
        elif kind == "trace":
            entries = [
                TraceLine(e["node"], e["kind"], e["detail"], datetime.fromisoformat(e["at"]))
                for e in r["entries"]
            ]
            grouped.traces.append((cid, entries, int(r["first_seq"])))
        elif kind == "ended":
            change = {"ended_at": at, "outcome": r["outcome"], "hangup_cause": r["cause"]}
            grouped.changes.append((cid, change))
        elif kind == "lost":
            await grouped.write(w)  # what came before it first
            await w.close_lost(r["channel_id"], r["cause"], at)
        else:
            unknown.append(str(kind))
    await grouped.write(w)
    return unknown
