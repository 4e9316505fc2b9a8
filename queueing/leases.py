"""Instance leases: which app instance owns which calls in Redis, and taking over a dead one's.

Each app instance has an id (`Leases.instance`) and a lease: its expiry time (clock seconds,
injected, so tests move time) in the sorted set `P leases`. The instance renews it every few
seconds (`renew`); an instance that stops renewing (killed, frozen, cut off) lets it expire.
What an instance owns is the set `P owned:<instance>` of call keys (the caller's channel id,
the same key as the queue store's `call:<id>`): a call is owned from its first event to the
end of its lane, queue entry and callback included.

Rules:
- `take(instance, now_s)` is atomic (one Lua script): it returns the call keys an instance
  owned and forgets them, only when that instance's lease has expired, or when it is the
  caller's own instance (leftovers of a previous life under the same id: the process just
  started, so nothing of it is running). Two instances reclaiming the same dead one: one wins,
  the other gets nothing.
- `expired(now_s)`: instances whose lease is over (never the caller's own).
- A clean stop `release`s the lease (nothing left to reclaim).
- Redis failing is `StoreUnavailable` (`queueing.connection.redis_errors`).
"""

from __future__ import annotations

import redis.asyncio as aioredis

from queueing.connection import redis_errors

LEASE_S = 10.0  # how long a lease lasts unrenewed
RENEW_EVERY_S = 3.0  # how often an instance renews it

_TAKE = """
local leases, owned = KEYS[1], KEYS[2]
local who, me, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
if who ~= me then
  local until_s = redis.call('ZSCORE', leases, who)
  if until_s and tonumber(until_s) > now then return false end
  redis.call('ZREM', leases, who)
end
local keys = redis.call('SMEMBERS', owned)
redis.call('DEL', owned)
return keys
"""


class Leases:
    """One instance's lease and owned calls in Redis (see the module docstring)."""

    def __init__(
        self,
        client: aioredis.Redis,
        instance: str,
        *,
        prefix: str = "ivr:",
        lease_s: float = LEASE_S,
    ) -> None:
        self.client = client
        self.instance = instance
        self.prefix = prefix
        self.lease_s = lease_s
        self._take = client.register_script(_TAKE)

    def _owned(self, instance: str) -> str:
        return f"{self.prefix}owned:{instance}"

    @property
    def _leases(self) -> str:
        return f"{self.prefix}leases"

    async def renew(self, now_s: float) -> None:
        """Hold (or extend) this instance's lease until `now_s + lease_s`."""
        async with redis_errors("lease renew"):
            await self.client.zadd(self._leases, {self.instance: now_s + self.lease_s})

    async def release(self) -> None:
        """A clean stop: the lease ends now (what is still owned is left to reclaim)."""
        async with redis_errors("lease release"):
            await self.client.zrem(self._leases, self.instance)

    async def own(self, key: str) -> None:
        async with redis_errors("own"):
            await self.client.sadd(self._owned(self.instance), key)

    async def disown(self, key: str) -> None:
        async with redis_errors("disown"):
            await self.client.srem(self._owned(self.instance), key)

    async def owned(self, instance: str | None = None) -> set[str]:
        async with redis_errors("owned"):
            members = await self.client.smembers(self._owned(instance or self.instance))
        return {str(m) for m in members}

    async def expired(self, now_s: float) -> list[str]:
        """Instances whose lease is over (not this one)."""
        async with redis_errors("expired leases"):
            found = await self.client.zrangebyscore(self._leases, "-inf", now_s)
        return [str(i) for i in found if str(i) != self.instance]

    async def take(self, instance: str, now_s: float) -> list[str]:
        """The call keys `instance` owned, now forgotten; [] while its lease runs."""
        keys = [self._leases, self._owned(instance)]
        async with redis_errors("take over"):
            found = await self._take(keys=keys, args=[instance, self.instance, repr(now_s)])
        return sorted(str(k) for k in found or [])
