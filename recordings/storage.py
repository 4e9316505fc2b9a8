"""Files of the recording store: placing, hashing, listing, deleting (blocking I/O).

Rules:
- Everything lives under one root: `YYYY/MM/DD/<name>.wav` (see `naming`), plus `.incoming/`
  where the app may download a file from ARI (`GET /recordings/stored/{name}/file`) before
  sealing it.
- Placing a file is a rename when possible, else copy + fsync + unlink (another filesystem,
  e.g. Asterisk's spool on its own volume); the destination never exists half-written under its
  final name. Sealed files are made read-only and lose every permission of others (0400, or
  0440 when the folder's group may read): tampering needs an explicit chmod.
- These functions block: the async index runs them with `asyncio.to_thread`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from recordings.errors import BadWav
from recordings.naming import is_layout_path
from recordings.wav import HEADER_READ_BYTES, WavHeaderError, WavInfo, parse_wav_header

CHUNK_BYTES = 1 << 20
INCOMING = ".incoming"


def sha256_file(path: Path) -> tuple[str, int]:
    """(hex sha256, size in bytes) of a file, read in 1 MiB chunks."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def wav_info(path: Path) -> WavInfo:
    with path.open("rb") as handle:
        head = handle.read(HEADER_READ_BYTES)
    try:
        return parse_wav_header(head, path.stat().st_size)
    except WavHeaderError as exc:
        raise BadWav(path, str(exc)) from None


class RecordingStorage:
    """The storage root and the file operations the index needs."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def incoming(self) -> Path:
        return self.root / INCOMING

    def path_of(self, relpath: PurePosixPath | str) -> Path:
        return self.root / str(relpath)

    def place(self, source: Path, relpath: PurePosixPath | str) -> Path:
        """Move `source` to `relpath` under the root (no-op if it is already there)."""
        target = self.path_of(relpath)
        if source.resolve() == target.resolve():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(source, target)
        except OSError:
            partial = target.with_name(f".{target.name}.part")
            shutil.copyfile(source, partial)
            with partial.open("rb") as handle:
                os.fsync(handle.fileno())
            os.replace(partial, target)
            source.unlink()
        return target

    def make_read_only(self, relpath: PurePosixPath | str) -> None:
        """No one may write; others may not read; the group may read only when the root
        folder's group may (the file policy of `ivr serve`), and then it is the root's group.
        A file moved in from Asterisk's spool keeps no mode or group of the spool's."""
        path = self.path_of(relpath)
        folder = self.root.stat()
        mode = stat.S_IMODE(path.stat().st_mode) & ~(stat.S_IWUSR | stat.S_IRWXO)
        if folder.st_mode & stat.S_IRGRP:
            mode &= ~(stat.S_IWGRP | stat.S_IXGRP)
            if path.stat().st_gid != folder.st_gid:
                os.chown(path, -1, folder.st_gid)
        else:
            mode &= ~stat.S_IRWXG
        path.chmod(mode)

    def exists(self, relpath: PurePosixPath | str) -> bool:
        return self.path_of(relpath).is_file()

    def remove(self, relpath: PurePosixPath | str) -> bool:
        """Delete a stored file; False if it was already gone."""
        try:
            self.path_of(relpath).unlink()
        except FileNotFoundError:
            return False
        return True

    def stored_files(self) -> Iterator[PurePosixPath]:
        """Relative paths of every `YYYY/MM/DD/*.wav` under the root, sorted."""
        if not self.root.is_dir():
            return
        for path in sorted(self.root.glob("[0-9]*/[0-9]*/[0-9]*/*.wav")):
            relpath = PurePosixPath(path.relative_to(self.root).as_posix())
            if is_layout_path(relpath):
                yield relpath
