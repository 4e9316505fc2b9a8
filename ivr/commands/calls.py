"""`ivr calls ...` commands (placeholder until its owner fills it in)."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: argparse._SubParsersAction[Any]) -> None:
    sub.add_parser("calls", help="(not yet implemented)")
