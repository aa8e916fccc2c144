"""Rate limits per caller, by the company's plan (the spec's table), as token buckets.

A bucket holds up to `burst` requests and refills at `per_minute / 60` a second. With `REDIS_URL`
the buckets live in Redis, shared by every worker (one atomic Lua script per request); without
it, in this process. Callers are keyed by who they are (user, API key, candidate) once
authenticated, by client address before (login, refresh).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Protocol

import redis

log = logging.getLogger(__name__)

# Staff without a company, and candidates, get the largest plan's allowance.
UNLIMITED_PLAN = "enterprise"


@dataclass(frozen=True)
class Limit:
    per_minute: int
    burst: int


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_at: int  # epoch seconds when the bucket is full again
    retry_after: int  # seconds until one more request is allowed (0 when allowed)


class RateLimiter(Protocol):
    def hit(self, key: str, limit: Limit, *, now: float | None = None) -> Decision:
        """Count one request; `now` (epoch seconds) defaults to the clock."""
        ...


def _decide(tokens: float, limit: Limit, now: float, allowed: bool) -> Decision:
    rate = limit.per_minute / 60.0
    return Decision(
        allowed=allowed,
        limit=limit.per_minute,
        remaining=max(0, math.floor(tokens)),
        reset_at=math.ceil(now + (limit.burst - tokens) / rate),
        retry_after=0 if allowed else max(1, math.ceil((1 - tokens) / rate)),
    )


class MemoryRateLimiter:
    """Buckets in this process: right for one worker, and for tests."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, limit: Limit, *, now: float | None = None) -> Decision:
        now = time.time() if now is None else now
        rate = limit.per_minute / 60.0
        with self._lock:
            tokens, updated = self._buckets.get(key, (float(limit.burst), now))
            tokens = min(float(limit.burst), tokens + (now - updated) * rate)
            allowed = tokens >= 1
            if allowed:
                tokens -= 1
            self._buckets[key] = (tokens, now)
        return _decide(tokens, limit, now, allowed)


# KEYS[1] bucket; ARGV: burst, rate per second, now. Returns {allowed, tokens * 1000}.
_TOKEN_BUCKET = """
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(state[1]) or burst
local updated = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'updated', now)
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return {allowed, math.floor(tokens * 1000)}
"""


class RedisRateLimiter:
    """Buckets in Redis, shared by every API worker."""

    def __init__(self, url: str, *, prefix: str = "ellaai:ratelimit:") -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._script = self._redis.register_script(_TOKEN_BUCKET)
        self._prefix = prefix

    def hit(self, key: str, limit: Limit, *, now: float | None = None) -> Decision:
        now = time.time() if now is None else now
        try:
            allowed, milli_tokens = self._script(
                keys=[self._prefix + key], args=[limit.burst, limit.per_minute / 60.0, now]
            )
        except redis.RedisError:
            # A limiter that fails closed takes the whole API down with Redis: let it through.
            log.warning("rate limiter unavailable; request not counted", exc_info=True)
            return _decide(float(limit.burst), limit, now, True)
        return _decide(int(milli_tokens) / 1000, limit, now, bool(allowed))


def make_rate_limiter(redis_url: str | None) -> RateLimiter:
    return RedisRateLimiter(redis_url) if redis_url else MemoryRateLimiter()
