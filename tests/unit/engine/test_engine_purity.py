"""The engine is pure: importing it loads no I/O library (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ("asyncio", "aiohttp", "redis", "sqlalchemy", "vosk")
MODULES = (
    "build", "calendar", "commands", "conditions", "errors", "events", "fields", "graph", "input",
    "interpreter", "loader", "masking", "model", "providers", "run", "schema", "sim", "simfake",
    "state", "templates", "validate", "yamlread",
)  # fmt: skip


def test_engine_imports_no_io_library() -> None:
    code = (
        "import importlib, json, sys\n"
        f"for name in {MODULES!r}:\n"
        "    importlib.import_module('ivr.engine.' + name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
