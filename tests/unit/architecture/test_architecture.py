"""The layout holds: few modules directly in `ivr/`, short files, no import cycles, rooms that
say what they own. The layers themselves are import-linter contracts (`scripts/check`)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = [p for p in ("ivr", "asr", "queueing", "recordings", "errorbase") if (ROOT / p).is_dir()]
MAX_LINES = 450
MAX_TOP_MODULES = 8


def test_at_most_eight_modules_directly_in_ivr() -> None:
    top = sorted(p.name for p in (ROOT / "ivr").glob("*.py"))
    assert len(top) <= MAX_TOP_MODULES, top


def test_no_file_over_450_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for package in ("ivr", "queueing", "recordings", "asr")
        for path in (ROOT / package).rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles_anywhere() -> None:
    """Type-only imports (`if TYPE_CHECKING:`) count too: a cycle of names is still a cycle."""
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=False, cache_dir=None)
    assert _cycles(graph) == []


def test_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for a, b in (("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d")):
        graph.add_import(importer=a, imported=b)
    assert _cycles(graph) == [["p.a", "p.b", "p.c"]]


@pytest.mark.parametrize(
    "package",
    sorted(
        str(p.parent.relative_to(ROOT)).replace("/", ".")
        for package in PACKAGES
        for p in (ROOT / package).rglob("__init__.py")
    ),
)
def test_every_room_says_what_it_owns_and_must_not_import(package: str) -> None:
    """Every package folder, nested ones and new ones included (`ivr.engine.speakable`,
    `ivr.store.migrations`, `queueing`, ...)."""
    spec = importlib.util.find_spec(package)
    assert spec is not None
    assert spec.origin is not None
    doc = Path(spec.origin).read_text(encoding="utf-8").split('"""')[1]
    assert "import" in doc, f"{package}/__init__.py: say what the room must not import"
    assert len(doc.split()) >= 15, f"{package}/__init__.py: say what the room owns"


def test_readme_layout_and_call_map_name_only_what_exists() -> None:
    """README's "Layout: where a change goes" and its "how a call flows" map stay true: every
    path they name exists, and every bare `module.py` of a folder's row is in that folder."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Layout: where a change goes") :]
    section = section[: section.find("\n## ", 5) if "\n## " in section[5:] else len(section)]
    roots = "ivr|asr|queueing|recordings|errorbase|docs|flows|config|tests|bench|scripts"
    missing = [
        path
        for path in re.findall(rf"`((?:{roots})/[\w./-]*)`", section)
        if "*" not in path and not (ROOT / path).exists()
    ]
    for row in re.findall(r"^\| `(ivr/\w+/)` \|(.*)$", section, flags=re.MULTILINE):
        folder, text = row
        missing += [
            folder + name
            for name in re.findall(r"`(\w+\.py)`", text)
            if not (ROOT / folder / name).exists()
        ]
    assert missing == []
