"""Start the queue store for the app: the Redis named by the settings, or a supervised local
redis-server (`ivr.queue.local_redis`) when none is; and its health watch (`ivr.queue.health`),
which sets `ivr_dependency_up{dependency="redis"}`.

Rules: every part started here hands its stop to `add_closer` right after it started, so a
failure later in the app's start stops what already runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from ivr.metrics import Metrics
from ivr.queue.health import RedisHealth
from ivr.queue.local_redis import LocalRedis, start_local_redis
from ivr.settings import Settings
from queueing.config import load_queues
from queueing.store import RedisQueueStore

AddCloser = Callable[[Callable[[], Awaitable[object]]], None]


@dataclass(frozen=True, slots=True)
class QueueStoreParts:
    redis: LocalRedis | None  # None: `settings.redis_url` names the Redis in use
    store: RedisQueueStore
    health: RedisHealth


async def start_queue_store(
    settings: Settings, root: Path, timezone: str, metrics: Metrics, add_closer: AddCloser
) -> QueueStoreParts:
    """Start Redis (if local), the store and the health watch."""
    redis, url = None, settings.redis_url
    if url is None:
        redis = await start_local_redis(root / "var/redis")
        add_closer(redis.stop)
        url = redis.url
    config = load_queues(root / settings.paths.config_dir / "queues.yaml")  # absolute: kept
    store = RedisQueueStore.from_url(url, config, day_zone=ZoneInfo(timezone))
    add_closer(store.close)
    health = RedisHealth(store, changed=lambda up: metrics.dependency("redis", up))
    health.start()
    add_closer(health.aclose)
    return QueueStoreParts(redis, store, health)
