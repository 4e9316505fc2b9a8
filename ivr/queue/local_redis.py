"""A local Redis for `ivr serve` on its embedded defaults (no `IVR_REDIS_URL` configured),
supervised: one per data directory, restarted if it dies while the app runs.

Starts Debian's `redis-server` on a unix socket under the data dir (AOF on, so queue state
survives a restart). Bound to no TCP port: only this machine's processes with access to the
dir can reach it.

Rules:
- One per data dir: the app holds an exclusive `flock` on `redis.lock` in the dir while it runs
  (the kernel drops it when the process dies, even by SIGKILL); a second app on the same dir is
  refused with a `ConfigError`.
- A stale server (left running by an app that crashed: its pid in `redis.pid`, its working
  directory our data dir, its executable a redis-server) is ended (SIGTERM, then SIGKILL) before
  a new one starts on the same AOF. A pid that is anything else is left alone.
- A server that exits while the app runs is restarted after a backoff (doubling from
  `RESTART_MIN_S` up to `RESTART_MAX_S`, reset once a server stayed up `RESTART_MAX_S`); the
  socket path stays the same, so the store's client reconnects by itself. One warning per death.
- `stop()` ends the supervision first, then the server (SIGTERM, SIGKILL after 5 s), then
  releases the lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import shutil
import signal
import time
from pathlib import Path
from typing import IO

from ivr.errors import ConfigError

log = logging.getLogger(__name__)

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0
RESTART_MIN_S = 0.5
RESTART_MAX_S = 10.0


class LocalRedis:
    """A supervised redis-server child process; `url` is a `unix://` URL."""

    def __init__(self, exe: str, data_dir: Path, lock: IO[str]) -> None:
        self._exe = exe
        self.data_dir = data_dir
        self.socket_path = data_dir / "redis.sock"
        self.pid_path = data_dir / "redis.pid"
        self._lock = lock
        self.process: asyncio.subprocess.Process | None = None
        self.restarts = 0
        self._stopping = False
        self._supervisor: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    async def stop(self) -> None:
        self._stopping = True
        if self._supervisor is not None:
            self._supervisor.cancel()
            await asyncio.wait({self._supervisor}, timeout=STOP_TIMEOUT_S)
        proc = self.process
        if proc is not None and proc.returncode is None:
            proc.terminate()
            try:
                async with asyncio.timeout(STOP_TIMEOUT_S):
                    await proc.wait()
            except TimeoutError:
                proc.kill()
                await proc.wait()
        self.pid_path.unlink(missing_ok=True)
        self._lock.close()  # releases the flock

    async def _spawn(self) -> None:
        self.socket_path.unlink(missing_ok=True)
        proc = self.process = await asyncio.create_subprocess_exec(
            self._exe, "--port", "0", "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700", "--dir", str(self.data_dir), "--appendonly", "yes",
            "--save", "", "--pidfile", str(self.pid_path),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        self.pid_path.write_text(f"{proc.pid}\n")  # at once: a crash right now leaves it named
        try:
            async with asyncio.timeout(START_TIMEOUT_S):
                while not self.socket_path.exists():
                    if proc.returncode is not None:
                        raise ConfigError(f"redis-server exited with status {proc.returncode}")
                    await asyncio.sleep(0.02)
        except TimeoutError:
            proc.kill()
            raise ConfigError(f"redis-server did not start in {START_TIMEOUT_S:.0f} s") from None
        log.info("started local redis-server pid=%d socket=%s", proc.pid, self.socket_path)

    def supervise(self) -> None:
        self._supervisor = asyncio.create_task(self._supervise(), name="local-redis")

    async def _supervise(self) -> None:
        backoff = RESTART_MIN_S
        while not self._stopping:
            proc = self.process
            assert proc is not None
            started = time.monotonic()
            status = await proc.wait()
            if self._stopping:
                return
            if time.monotonic() - started >= RESTART_MAX_S:
                backoff = RESTART_MIN_S
            log.warning("local redis-server exited (%s); restarting in %.1f s", status, backoff)
            await asyncio.sleep(backoff)
            backoff = min(RESTART_MAX_S, backoff * 2)
            try:
                await self._spawn()
                self.restarts += 1
            except (ConfigError, OSError) as exc:
                log.warning("local redis-server restart failed: %s", exc)
                self.process = proc  # wait() answers at once: the next round tries again


def _prepare(data_dir: Path) -> tuple[Path, IO[str]]:
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    return data_dir, _lock(data_dir)


def _lock(data_dir: Path) -> IO[str]:
    lock = (data_dir / "redis.lock").open("a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise ConfigError(
            f"another `ivr serve` runs its local Redis in {data_dir}: stop it, or give this "
            "one another data directory or IVR_REDIS_URL"
        ) from None
    return lock


def stale_pid(data_dir: Path) -> int | None:
    """The pid in `redis.pid` if it is a redis-server still running in `data_dir`, else None."""
    try:
        pid = int((data_dir / "redis.pid").read_text().strip())
        proc = Path(f"/proc/{pid}")
        cwd = Path(os.readlink(proc / "cwd"))
        exe = Path(os.readlink(proc / "exe")).name
    except (OSError, ValueError):
        return None
    return pid if cwd == data_dir and exe.startswith("redis") else None


async def _end_stale(data_dir: Path) -> None:
    pid = stale_pid(data_dir)
    if pid is None:
        return
    log.warning("ending a stale local redis-server pid=%d left in %s", pid, data_dir)
    for sig, wait_s in ((signal.SIGTERM, STOP_TIMEOUT_S), (signal.SIGKILL, STOP_TIMEOUT_S)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if _gone(pid):
                return
            await asyncio.sleep(0.05)
    raise ConfigError(f"a stale redis-server pid={pid} in {data_dir} does not stop")


def _gone(pid: int) -> bool:
    """The process has exited (no such pid, or a zombie not yet reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except (OSError, IndexError):
        return True


async def start_local_redis(data_dir: Path) -> LocalRedis:
    """Start (and supervise) redis-server in `data_dir`; raise ConfigError with the fix when it
    cannot start."""
    exe = shutil.which("redis-server")
    if exe is None:
        raise ConfigError(
            "no Redis configured and `redis-server` is not installed: install Debian's "
            "redis-server (scripts/bootstrap does) or set IVR_REDIS_URL"
        )
    data_dir, lock = _prepare(data_dir)
    try:
        await _end_stale(data_dir)
        redis = LocalRedis(exe, data_dir, lock)
        await redis._spawn()
    except BaseException:
        lock.close()
        raise
    redis.supervise()
    return redis
