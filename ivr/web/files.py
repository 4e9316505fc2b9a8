"""Files served from a folder by a relative path taken from a URL (prompt audio, page assets).

Rules: the path is resolved strictly inside its root (`..` or a symlink out is refused);
anything the file system refuses for the name itself (a NUL byte, a name too long, a loop of
symlinks) is refused the same way. Refused: None, which the routes answer with 404, never 500.
"""

from __future__ import annotations

from pathlib import Path


def file_inside(root: Path, relative: str) -> Path | None:
    """The regular file `relative` names under `root`, or None (see the module doc)."""
    try:
        candidate = (root / relative).resolve()
        candidate.relative_to(root.resolve())
        return candidate if candidate.is_file() else None
    except (ValueError, OSError, RuntimeError):
        return None
