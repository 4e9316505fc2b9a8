"""The context flows are validated and run with: queues and skills, calendar, prompt root.

`flow_context(settings, root)` is the one `Context` the app runs flows with and every publish
validates against (the app, `ivr flows publish|rollback`, the admin API). `read_queues` reads
queue names and skills from a `queues.yaml` (`queueing.config`); `ivr flows validate` uses it
too.

Rules: reads files only; no SQL, no network. A bad `queues.yaml` raises `IvrError` with the
file's own located message; a bad calendar raises `ErrorList` (`ivr.engine.tradingcal`).
"""

from __future__ import annotations

from pathlib import Path

from ivr.engine.tradingcal import load_trading_calendar
from ivr.engine.validate import Context
from ivr.settings import Settings
from queueing.config import load_queues

QUEUES_FILE = "queues.yaml"
CALENDAR_FILE = "trading_calendar.yaml"


def read_queues(path: Path) -> tuple[dict[str, dict[str, int]], frozenset[str]]:
    """Queue name -> {skill: min level}, and the known skills (from `queueing.config`; a bad
    file raises `QueueConfigErrors`)."""
    config = load_queues(path)
    queues = {name: dict(q.skills) for name, q in config.queues.items()}
    return queues, frozenset(config.skills)


def flow_context(settings: Settings, root: Path) -> Context:
    """The validation/run context of the app: queues, skills, calendar, prompt root (relative
    settings paths are relative to `root`)."""

    def resolve(p: Path) -> Path:
        return p if p.is_absolute() else root / p

    config_dir = resolve(settings.paths.config_dir)
    queues, skills = read_queues(config_dir / QUEUES_FILE)
    calendar_file = config_dir / CALENDAR_FILE
    calendar = load_trading_calendar(calendar_file) if calendar_file.is_file() else None
    prompt_root = resolve(settings.paths.prompt_root)
    return Context(queues=queues, skills=skills, prompt_root=prompt_root, calendar=calendar)
