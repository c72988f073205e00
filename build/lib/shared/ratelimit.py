"""A sliding-window rate limit per client address, in memory, for the public forms that need no token.

Per process: replicas each count on their own, which is enough to slow a script down without a shared store.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from datetime import datetime, timedelta


class RateLimiter:
    """At most `limit` hits per client within a sliding `window`. Time comes from the injected clock; the oldest
    clients are forgotten beyond `max_clients`, so a flood of addresses cannot exhaust memory."""

    def __init__(self, limit: int, window: timedelta, clock: Callable[[], datetime], *, max_clients: int = 10_000):
        self.limit = limit
        self.window = window
        self.clock = clock
        self.max_clients = max_clients
        self._hits: OrderedDict[str, deque[datetime]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, client: str) -> timedelta | None:
        """Count a hit; None when allowed, otherwise how long until the client may try again."""
        now = self.clock()
        with self._lock:
            hits = self._hits.pop(client, None) or deque()
            while hits and now - hits[0] >= self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                self._hits[client] = hits
                return hits[0] + self.window - now
            hits.append(now)
            self._hits[client] = hits
            while len(self._hits) > self.max_clients:
                self._hits.popitem(last=False)
            return None
