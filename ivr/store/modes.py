"""Owner-only files: the database, the call-record journal and the recordings.

`protect_files(database_url, folders, group)` is called once by `ivr serve` before the app
starts (docs/security.md, "Files on disk"):
- the process umask becomes 077 (no group: files 0600, folders 0700) or 027 with a
  `security.file_group` (files 0640, folders 2750: the group may read, never write; the setgid
  bit makes new files inherit the group);
- each folder (journal, recordings, the SQLite file's folder) is created if missing and given
  that mode (and group); an existing SQLite database and its `-wal`/`-shm` files, and files
  already in the folders, lose every permission of others (and of the group without one);
  sealed recordings stay read-only.
Blocking (a start-up step): call it before the event loop is busy.
"""

from __future__ import annotations

import grp
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.engine import make_url


def sqlite_file(database_url: str) -> Path | None:
    """The database file of a SQLite URL; None for another backend or an in-memory one."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def _restrict(path: Path, keep_group_read: bool, gid: int | None) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    mode &= ~stat.S_IRWXO
    mode &= ~(stat.S_IWGRP | stat.S_IXGRP) if keep_group_read else ~stat.S_IRWXG
    if gid is not None:
        os.chown(path, -1, gid)
    path.chmod(mode)


def protect_files(database_url: str, folders: Iterable[Path], group: str | None) -> int:
    """Apply the file policy (see the module doc); returns the previous umask."""
    folders = list(folders)
    gid = grp.getgrnam(group).gr_gid if group else None
    previous = os.umask(0o027 if gid is not None else 0o077)
    database = sqlite_file(database_url)
    dirs = [*folders, *([database.parent] if database is not None else [])]
    for folder in dirs:
        folder.mkdir(parents=True, exist_ok=True)
        if gid is not None:
            os.chown(folder, -1, gid)
            folder.chmod(0o2750)
        else:
            folder.chmod(0o700)
    existing = [p for folder in folders if folder.is_dir() for p in folder.rglob("*")]
    if database is not None:
        existing += [database.with_name(database.name + tail) for tail in ("", "-wal", "-shm")]
    for path in existing:
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o2750 if gid is not None else 0o700)
        elif path.is_file() and not path.is_symlink():
            _restrict(path, gid is not None, gid)
    return previous
