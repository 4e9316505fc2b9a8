"""Prompt/param templates: `{name}` inserts a variable, `{{` and `}}` are literal braces. Pure.

No format-spec, no attribute access, no expressions: a template can only read variables.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_TOKEN = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")


def render(template: str, value_of: Callable[[str], str]) -> str:
    def sub(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        return value_of(match.group(1))

    return _TOKEN.sub(sub, template)


def variables_in(template: str) -> list[str]:
    """Names referenced by `template`, in order (duplicates kept)."""
    return [m.group(1) for m in _TOKEN.finditer(template) if m.group(1)]
