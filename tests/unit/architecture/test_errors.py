"""One error tree, matched by type: no code reads a caught exception's text to decide what it
was, and no code re-raises a caught error as another one built from its text
(`IvrError(str(exc))` loses the type; the CLI and the web map every `IvrError` as it is)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("ivr", "asr", "queueing", "recordings", "errorbase")


def _text_of_caught(node: ast.AST, caught: set[str]) -> bool:
    """`str(exc)`, `exc.message`, `exc.args[...]` of a name bound by `except ... as exc`."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str":
        return any(isinstance(a, ast.Name) and a.id in caught for a in node.args)
    if isinstance(node, ast.Attribute) and node.attr in ("message", "args"):
        return isinstance(node.value, ast.Name) and node.value.id in caught
    if isinstance(node, ast.Subscript):
        return _text_of_caught(node.value, caught)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return _text_of_caught(node.func.value, caught)  # str(exc).lower(), exc.message.replace
    return False


_MATCHERS = ("startswith", "endswith", "find", "search", "match")


def _matches_text(node: ast.AST, caught: set[str]) -> bool:
    """`... in str(exc)`, `str(exc).startswith(...)`, `re.search(..., str(exc))`."""
    if isinstance(node, ast.Compare) and any(isinstance(o, (ast.In, ast.NotIn)) for o in node.ops):
        return any(_text_of_caught(c, caught) for c in node.comparators)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in _MATCHERS and (
            _text_of_caught(node.func.value, caught)
            or any(_text_of_caught(a, caught) for a in node.args)
        )
    return False


def _rewraps(node: ast.AST, caught: set[str]) -> str | None:
    """The error class of `raise SomeError(str(exc))` (or of the caught error's message)."""
    if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args):
        return None
    name = ast.unparse(node.exc.func)
    if name.endswith("Error") and _text_of_caught(node.exc.args[0], caught):
        return name
    return None


def _findings(source: str, where: str) -> list[str]:
    found: list[str] = []
    for handler in ast.walk(ast.parse(source)):
        if not isinstance(handler, ast.ExceptHandler) or handler.name is None:
            continue
        caught = {handler.name}
        for node in (n for stmt in handler.body for n in ast.walk(stmt)):
            if _matches_text(node, caught):
                found.append(f"{where}:{getattr(node, 'lineno', 0)}: matches error text")
            if (name := _rewraps(node, caught)) is not None:
                found.append(f"{where}:{getattr(node, 'lineno', 0)}: re-wraps {name}")
    return found


def test_no_error_is_told_by_its_text_or_rewrapped_from_it() -> None:
    found = [
        finding
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for finding in _findings(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert found == []


def test_the_finder_finds_both() -> None:
    sample = (
        "def f():\n"
        "    try:\n"
        "        g()\n"
        "    except ValueError as exc:\n"
        "        if 'busy' in str(exc):\n"
        "            raise IvrError(str(exc))\n"
        "        if 'asyncpg' in str(exc).lower():\n"
        "            pass\n"
        "        raise IvrError(exc.message.replace('a', 'b'))\n"
    )
    assert _findings(sample, "s.py") == [
        "s.py:5: matches error text",
        "s.py:6: re-wraps IvrError",
        "s.py:7: matches error text",
        "s.py:9: re-wraps IvrError",
    ]
