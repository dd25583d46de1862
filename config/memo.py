"""Work remembered by an object's identity, for objects that many rows share."""

from collections.abc import Callable
from typing import Any


def by_identity(cache: dict, value, make: Callable[[Any], Any]):
    """`make(value)`, worked out once per object while `cache` lives: a sweep's checks share their judged points,
    minimums and provider reports, a bulk write's audit events their before and after, and each such object is
    encoded once for all of them. The object is kept beside its result, so its id cannot be reused by another
    object while the cache lives; an equal object that is another one gets its own result."""
    hit = cache.get(id(value))
    if hit is None or hit[0] is not value:
        hit = cache[id(value)] = (value, make(value))
    return hit[1]
