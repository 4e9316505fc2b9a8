"""Owner-only files: with the policy `ivr serve` applies at start, the database (and its WAL),
the call-record journal and the sealed recordings of a real call are readable by their owner
only (0600, sealed 0400, folders 0700); with `security.file_group` the group may read (0640,
sealed 0440, folders 2750), never write."""

from __future__ import annotations

import grp
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from ivr.store.modes import protect_files
from tests.helpers import until
from tests.integration.call.driver import CallDriver
from tests.security.conftest import ACCOUNT, EMERGENCY, PIN, AppFactory


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def restore_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    os.umask(previous)
    yield
    os.umask(previous)


@pytest.mark.usefixtures("restore_umask")
async def test_database_journal_and_recordings_are_owner_only(
    app_factory: AppFactory, tmp_path: Path
) -> None:
    database = tmp_path / "ivr.db"
    database.write_bytes(b"")  # a database made before the policy, world-readable
    database.chmod(0o644)
    journal, recordings = tmp_path / "var" / "journal", tmp_path / "recordings"
    protect_files(f"sqlite+aiosqlite:///{database}", [journal, recordings], None)
    database.unlink()  # let the app create it afresh under the policy
    async with app_factory() as app:
        driver = await CallDriver.dial(app, dialed=EMERGENCY, caller="13900000888")
        await driver.run(f"1,{ACCOUNT}#,{PIN}")  # 1: Mandarin (95556 asks the language first)
        call_id = driver.session.call_id
        driver.hang_up()
        await driver.call.finished(60)
        # the session closes after sealing its recordings: slow on a busy machine
        await until(lambda: driver.channel_id not in app.sessions, timeout_s=60, what="closed")

        async def sealed_rows() -> bool:
            rows = await app.recordings.search(call_id=call_id)
            return bool(rows) and all(r.status == "sealed" for r in rows)

        await until(sealed_rows, what="the call's recordings sealed")
    files = [database, *database.parent.glob("ivr.db-*")]
    files += [p for p in journal.rglob("*") if p.is_file()]
    assert database.is_file()
    assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
    sealed = [p for p in recordings.rglob("*.wav") if "sandbox" not in p.parts]
    assert sealed
    assert {mode(p) for p in sealed} == {0o400}
    folders = [journal, recordings, *[p for p in recordings.rglob("*") if p.is_dir()]]
    assert {mode(p) & 0o077 for p in folders} == {0}


@pytest.mark.usefixtures("restore_umask")
def test_a_file_group_may_read_never_write(tmp_path: Path) -> None:
    group = grp.getgrgid(os.getgid()).gr_name
    folder = tmp_path / "rec"
    folder.mkdir()
    old = folder / "old.wav"
    old.write_bytes(b"RIFF")
    old.chmod(0o666)
    database = tmp_path / "db" / "ivr.db"
    protect_files(f"sqlite+aiosqlite:///{database}", [folder], group)
    new = folder / "new.wav"
    new.write_bytes(b"RIFF")
    assert (mode(old), mode(new), mode(folder), mode(database.parent)) == (
        0o640,
        0o640,
        0o2750,
        0o2750,
    )
