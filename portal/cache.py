"""The shared cache: Redis, and the database while Redis does not answer.

The cache holds the failed-login limits (allauth's rate limits), the second factor's used codes,
the data version and the dashboards' rendered sections. A Redis that is down must not turn a
login or a dashboard into a 500, so ``RedisWithDatabaseFallback`` sends each operation to Redis
and, when Redis fails to connect or to answer within its socket timeouts, to a table in the
portal's database (Django's ``DatabaseCache``, table ``FALLBACK_TABLE``) instead. The limits keep
working through an outage: every web process counts in the same table. They are not carried
over when Redis returns (Redis's own counts resume), so an outage can at worst restart a count
once on each side.

After a failure the process stops trying Redis for ``CACHE_RETRY_SECONDS`` (default 5): an
outage costs one socket timeout per process every few seconds, not one per cache call. The
switch to the database and back are logged (an error, then an info line). Code that keeps
something in the cache which the database copy does not know of registers a function with
``on_recovery``; it runs in each process that saw the outage, before its first operation on
Redis again (the data version moves on: portal/data_version.py).
"""

import logging
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# The database table of the fallback (created by accounts' migration 0003, whatever CACHE_URL is).
FALLBACK_TABLE = "portal_cache_fallback"
FALLBACK_ALIAS = "fallback"
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)

_recovery_hooks: list[Callable[[], None]] = []
# Per Redis location: the time.monotonic() until which this process skips it. Kept for the
# process, not the backend object: Django makes a cache object per thread.
_unreachable_until: dict[str, float] = {}


def on_recovery(hook: Callable[[], None]) -> None:
    """Run ``hook()`` when this process uses Redis again after it fell back to the database."""
    if hook not in _recovery_hooks:
        _recovery_hooks.append(hook)


class RedisWithDatabaseFallback(RedisCache):
    """Django's ``RedisCache``; while Redis is unreachable, the cache named ``fallback``."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        params = dict(params)
        options = params.pop("OPTIONS", {}) or {}
        self.retry_seconds = float(options.pop("retry_seconds", 5))
        params["OPTIONS"] = options
        super().__init__(server, params)
        self._location = server

    @property
    def degraded(self) -> bool:
        """Whether this process is using the database for now."""
        return self._location in _unreachable_until

    @property
    def fallback(self) -> BaseCache:
        return caches[FALLBACK_ALIAS]

    def _call(self, operation: str, *args: Any, **kwargs: Any) -> Any:
        until = _unreachable_until.get(self._location)
        if until is not None:
            if time.monotonic() < until or not self._reachable_again():
                return getattr(self.fallback, operation)(*args, **kwargs)
        try:
            return getattr(super(), operation)(*args, **kwargs)
        except UNREACHABLE as error:
            self._unreachable(error)
            return getattr(self.fallback, operation)(*args, **kwargs)

    def _unreachable(self, error: Exception) -> None:
        first = self._location not in _unreachable_until
        _unreachable_until[self._location] = time.monotonic() + self.retry_seconds
        if first:
            logger.error(
                "the cache (Redis) is unreachable; using the database's table %s until it answers: %s",
                FALLBACK_TABLE,
                error,
            )

    def _reachable_again(self) -> bool:
        try:
            self._cache.get_client(write=True).ping()
        except UNREACHABLE:
            _unreachable_until[self._location] = time.monotonic() + self.retry_seconds
            return False
        if _unreachable_until.pop(self._location, None) is None:
            return True  # another thread of this process saw it first and ran the hooks
        logger.info("the cache (Redis) answers again; leaving the database's table %s", FALLBACK_TABLE)
        for hook in list(_recovery_hooks):
            try:
                hook()
            except Exception:
                logger.exception("a cache recovery step failed")
        return True

    # Every operation of the cache API goes through ``_call``; the async ones are the base
    # class's, which run these in a thread.

    def add(self, *args: Any, **kwargs: Any) -> bool:
        return bool(self._call("add", *args, **kwargs))

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("get", *args, **kwargs)

    def set(self, *args: Any, **kwargs: Any) -> None:
        self._call("set", *args, **kwargs)

    def touch(self, *args: Any, **kwargs: Any) -> bool:
        return bool(self._call("touch", *args, **kwargs))

    def delete(self, *args: Any, **kwargs: Any) -> bool:
        return bool(self._call("delete", *args, **kwargs))

    def get_many(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return dict(self._call("get_many", *args, **kwargs))

    def has_key(self, *args: Any, **kwargs: Any) -> bool:
        return bool(self._call("has_key", *args, **kwargs))

    def incr(self, *args: Any, **kwargs: Any) -> int:
        return int(self._call("incr", *args, **kwargs))

    def decr(self, *args: Any, **kwargs: Any) -> int:
        return int(self._call("decr", *args, **kwargs))

    def set_many(self, *args: Any, **kwargs: Any) -> list[Any]:
        return list(self._call("set_many", *args, **kwargs) or [])

    def delete_many(self, *args: Any, **kwargs: Any) -> None:
        self._call("delete_many", *args, **kwargs)

    def clear(self) -> None:
        self._call("clear")


def cache_status() -> str:
    """For /readyz: "ok", "degraded (...)" while the database stands in, or "unavailable (...)"."""
    cache = caches["default"]
    if isinstance(cache, RedisWithDatabaseFallback):
        try:
            cache._cache.get_client(write=True).ping()
        except UNREACHABLE as error:
            return f"degraded ({type(error).__name__}; the database stands in)"
        return "ok"
    try:
        cache.get("portal:readyz")
    except Exception as error:
        return f"unavailable ({type(error).__name__})"
    return "ok"
