"""Owner-only files: with the policy `ivr serve` applies at start, the database (and its WAL),
the call-record journal and the sealed recordings of a real call are readable by their owner
only (0600, sealed 0400, folders 0700); with `security.file_group` the group may read (0640,
sealed 0440, folders 2750), never write."""

from __future__ import annotations

import grp
import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ivr.store import create_engine, migrate_engine
from ivr.store.modes import protect_files
from recordings import RecordingIndex, load_recordings_config
from tests.helpers import until
from tests.integration.call.driver import CallDriver
from tests.integration.recordings.conftest import write_wav
from tests.security.conftest import ACCOUNT, EMERGENCY, PIN, AppFactory

CONFIG = Path(__file__).resolve().parents[2] / "config"


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


@pytest.mark.usefixtures("restore_umask")
@pytest.mark.parametrize(("group", "sealed"), [(False, 0o400), (True, 0o440)])
async def test_a_recording_picked_up_from_the_spool_follows_the_file_policy(
    tmp_path: Path, group: bool, sealed: int
) -> None:
    """`ivr recordings pick-up` moves Asterisk's own files (made under Asterisk's umask, e.g.
    0664) into the store: sealed, they follow the store's policy, not the spool's mode."""
    name = grp.getgrgid(os.getgid()).gr_name if group else None
    root, spool = tmp_path / "recordings", tmp_path / "spool"
    protect_files(f"sqlite+aiosqlite:///{tmp_path / 'ivr.db'}", [root], name)
    spool.mkdir()
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'ivr.db'}")
    await migrate_engine(engine)
    try:
        index = RecordingIndex(engine, root, load_recordings_config(CONFIG / "recordings.yaml"))
        opened = await index.open_recording("c1", "emergency")
        wav = spool / f"{opened.name}.wav"
        write_wav(wav, 1.0, mtime=datetime.now(UTC) - timedelta(minutes=1))
        wav.chmod(0o664)
        [done] = (await index.pick_up(spool)).sealed
        assert mode(index.path_of(done)) == sealed
    finally:
        await engine.dispose()
