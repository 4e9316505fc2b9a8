"""Files the app rewrites while it runs (e.g. `config/queues.yaml` from the admin API).

Rules: a rewrite is atomic: the new text goes to a temporary file in the same folder, is
fsynced, and replaces the file with one `os.replace`; the previous file is kept as
`<name>.bak` (itself replaced atomically). A reader sees the old file or the new one, never a
mix. Blocking: call it off the event loop (`asyncio.to_thread`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Final

BACKUP_SUFFIX: Final = ".bak"


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` by `text` (tmp + fsync + rename); the old file becomes `<path>.bak`."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    if path.exists():
        backup = path.with_name(path.name + BACKUP_SUFFIX)
        backup_tmp = backup.with_name(f".{backup.name}.{os.getpid()}.tmp")
        shutil.copy2(path, backup_tmp)
        os.replace(backup_tmp, backup)
    os.replace(tmp, path)
