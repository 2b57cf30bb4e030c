"""Sign-in throttling: repeated wrong passwords for a name, or from an address, make the next try wait.

After ``free`` failures for a name (``free_per_address`` from one address: a
workshop shares one) within ``window_s``, the wait doubles with each further
failure, up to ``max_wait_s``; a successful sign-in clears the name's count. Kept
in memory: a restart forgives, which costs a guesser far more than it gives.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque


class LoginThrottle:
    def __init__(
        self,
        free: int = 5,
        free_per_address: int = 20,
        window_s: float = 900.0,
        max_wait_s: float = 900.0,
        clock=time.monotonic,
    ):
        self.free = free
        self.free_per_address = free_per_address
        self.window_s = window_s
        self.max_wait_s = max_wait_s
        self.clock = clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, key: str) -> deque[float]:
        failures = self._failures[key]
        while failures and failures[0] <= self.clock() - self.window_s:
            failures.popleft()
        if not failures:
            del self._failures[key]  # keep the table small under a spray of names
            return deque()
        return failures

    def _wait(self, key: str, free: int) -> float:
        failures = self._recent(key)
        if len(failures) < free:
            return 0.0
        wait = min(self.max_wait_s, 2.0 ** (len(failures) - free + 1))
        return max(0.0, failures[-1] + wait - self.clock())

    def wait_s(self, name: str, address: str) -> int:
        """Seconds before this name, from this address, may try again (0: now)."""
        by_name = self._wait("user:" + name.lower(), self.free)
        return math.ceil(max(by_name, self._wait("addr:" + address, self.free_per_address)))

    def failed(self, name: str, address: str) -> None:
        for key in ("user:" + name.lower(), "addr:" + address):
            self._failures[key].append(self.clock())

    def succeeded(self, name: str, address: str) -> None:
        self._failures.pop("user:" + name.lower(), None)
