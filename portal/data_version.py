"""The version of the data that the operator's dashboard and the public statistics summarise.

Their figures are cached under this version, so a cached page is never older than the last
committed change to what it shows. Every service that changes such data (a decision, a
provisioning step, a release, a capacity or policy edit, an organisation's details, a survey
answer) calls ``changed()`` inside its transaction; the version moves after the commit, so a page
computed while the change was in flight is cached under the old version and never served again.
A version is a number in the shared cache (the one the web processes share); the cache being
unreachable costs only the cache's benefit (``current()`` then answers a fresh value). While Redis
is down the cache is a database table (portal/cache.py) with a version of its own; changes made
then move only that one, so a process moves Redis's version on when it finds Redis back, before
it reads anything there. (A process that saw no outage may serve a section cached before it
until one that did uses the cache again, at most ``DASHBOARD_CACHE_SECONDS``; a Redis that was
restarted empty has no such sections.)
"""

import logging
import time

from django.core.cache import cache
from django.db import transaction

from portal.cache import on_recovery

logger = logging.getLogger(__name__)

KEY = "portal:data-version"


def changed() -> None:
    """Move the version once the current transaction commits (at once outside one)."""
    transaction.on_commit(_bump)


def _bump() -> None:
    try:
        cache.incr(KEY)
    except ValueError:  # not there yet (or evicted): start from a value no earlier version had
        cache.add(KEY, time.time_ns(), timeout=None)
    except Exception as error:  # the cache is unreachable; pages are computed afresh meanwhile
        logger.warning("could not move the data version: %s", error)


# Changes made while the database stood in for Redis moved the database's version only.
on_recovery(_bump)


def current() -> str:
    """The version now; a value never seen before when the cache cannot tell."""
    try:
        version = cache.get(KEY)
        if version is None:
            cache.add(KEY, time.time_ns(), timeout=None)
            version = cache.get(KEY)
    except Exception as error:
        logger.warning("could not read the data version: %s", error)
        version = None
    return str(version) if version is not None else f"uncached-{time.time_ns()}"
