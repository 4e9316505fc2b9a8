"""A flow's picture as SVG, laid out by Graphviz `dot` (Debian's `graphviz` package).

`flow_svg(flow)` pipes `ivr.engine.graph.dot(flow)` through `dot -Tsvg` and returns the SVG;
`flow_layout(flow)` returns Graphviz's own layout (`dot -Tjson`: every box and label with its
position), which the tests use to prove that no label sits on another label or on a box.

Rules: one `dot` process per picture, bounded by `DOT_TIMEOUT_S`; a missing or failing `dot`
is a `PictureUnavailable` that says how to fix it (never a traceback). Call from async code
through `asyncio.to_thread` (it blocks for the layout, a few ms).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

from ivr.engine import model as m
from ivr.engine.graph import dot
from ivr.errors import Unavailable

DOT_TIMEOUT_S = 10.0


class PictureUnavailable(Unavailable):
    """Graphviz could not draw the flow; the message says why and what to do."""

    code = "graph-unavailable"


def _run_dot(text: str, fmt: str) -> str:
    exe = shutil.which("dot")
    if exe is None:
        raise PictureUnavailable(
            "drawing a flow needs Graphviz: install it (apt install graphviz, or scripts/bootstrap)"
        )
    try:
        done = subprocess.run(
            [exe, f"-T{fmt}"], input=text, capture_output=True, text=True,
            timeout=DOT_TIMEOUT_S, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise PictureUnavailable(f"Graphviz took over {DOT_TIMEOUT_S:.0f} s; try again") from None
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["no message"])[0][:200]
        raise PictureUnavailable(f"Graphviz failed to draw the flow: {first}")
    return done.stdout


def flow_svg(flow: m.Flow) -> str:
    """The flow laid out by `dot`, as a standalone SVG document."""
    return _run_dot(dot(flow), "svg")


def flow_layout(flow: m.Flow) -> dict[str, Any]:
    """Graphviz's layout of the flow (`dot -Tjson`)."""
    layout: dict[str, Any] = json.loads(_run_dot(dot(flow), "json"))
    return layout
