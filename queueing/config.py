"""Queue definitions (`config/queues.yaml`): the public entry, `load_queues` / `parse_queues`.

Rules: pure (reads one file, no clock, no I/O library besides PyYAML). A bad file never raises
a traceback: every problem is collected as `path:line:col: message` with a did-you-mean hint
(`queueing.loader`), and all of them are raised together in one `QueueConfigErrors`. The
model (`queueing.definitions`: a tree of frozen dataclasses with read-only mappings, built once
and passed down) is re-exported here, so callers import queue names from one place.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from queueing.definitions import (
    KNOWN_SKILLS,
    MAX_LEVEL,
    MIN_LEVEL,
    AddQueue,
    AddSkills,
    Announcements,
    ExitOption,
    OfferExit,
    OverflowAction,
    OverflowStep,
    PriorityClass,
    QueueConfig,
    QueueDef,
    RelaxSkills,
    RoutingRules,
    ServiceLevel,
    Strategy,
)
from queueing.errors import QueueConfigError, QueueConfigErrors
from queueing.loader import QueueFileReader, did_you_mean

__all__ = [
    "KNOWN_SKILLS",
    "MAX_LEVEL",
    "MIN_LEVEL",
    "AddQueue",
    "AddSkills",
    "Announcements",
    "ExitOption",
    "OfferExit",
    "OverflowAction",
    "OverflowStep",
    "PriorityClass",
    "QueueConfig",
    "QueueDef",
    "RelaxSkills",
    "RoutingRules",
    "ServiceLevel",
    "Strategy",
    "did_you_mean",
    "load_queues",
    "parse_queues",
]


def load_queues(path: Path) -> QueueConfig:
    """Read and check a queue definitions file; raise `QueueConfigErrors` listing every error."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        err = QueueConfigError(f"cannot read file: {exc.strerror}", path=path, line=1, column=1)
        raise QueueConfigErrors([err]) from None
    return parse_queues(text, path)


def parse_queues(text: str, path: Path | str = "<queues>") -> QueueConfig:
    """Check queue definitions given as YAML text; `path` only names the file in errors."""
    reader = QueueFileReader(Path(path))
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reader.errors.append(reader.at(line, col, f"invalid YAML: {exc.problem}"))
        raise QueueConfigErrors(reader.errors) from None
    config = reader.config(root)
    if reader.errors:
        unique = {str(e): e for e in reader.errors}  # a bad default is reported once
        raise QueueConfigErrors(sorted(unique.values(), key=lambda e: (e.line, e.column)))
    return config
