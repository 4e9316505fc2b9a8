"""The `ivr` console script: one dispatcher, one module per command group in `ivr/commands/`.

Each command module exposes `register(subparsers)`; a registered sub-command sets
`func(args) -> int` (the exit status). Errors raised on purpose anywhere (`IvrError`, the one
base that `queueing`, `recordings` and `asr` errors descend from too) propagate untouched to
here, print their message on stderr and exit 1 -- never a traceback to a user. Commands do not
re-wrap them.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ivr.errors import IvrError

COMMAND_MODULES = (
    "flows",
    "serve",
    "calls",
    "prompts",
    "agents",
    "queues",
    "users",
    "recordings",
    "calendar",
    "campaigns",
    "followups",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ivr", description="futures-ivr hotline backend")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"ivr.commands.{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.func(args)
    except IvrError as exc:
        print(f"ivr: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return status


if __name__ == "__main__":
    sys.exit(main())
