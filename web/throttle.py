"""Sign-in throttling: wrong passwords make the next tries wait, counted before the password is checked.

Each try is reserved before its password is verified, so tries sent at once are
counted at once: a burst cannot multiply guesses. Three counts, each over
``window_s``: a name from one address (``free_per_pair`` tries, then the wait
doubles with each, up to ``max_wait_s``), a name from anywhere (``free_per_name``,
against guessing from many addresses), and an address for any name
(``free_per_address``, a short wait only: a workshop shares one address, and one
guesser there must not lock everyone out). So a name locked from one address
still signs in from another. A successful sign-in gives its try back and clears
the name's counts. Kept in memory: a restart forgives, which costs a guesser far
more than it gives.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Attempt:
    """A reserved try (``wait_s`` 0), or the seconds before one may be made."""

    wait_s: int
    keys: tuple[str, ...] = ()
    at: float = 0.0


class LoginThrottle:
    def __init__(
        self,
        free_per_pair: int = 5,
        free_per_name: int = 20,
        free_per_address: int = 50,
        window_s: float = 900.0,
        max_wait_s: float = 900.0,
        max_address_wait_s: float = 60.0,
        clock=time.monotonic,
    ):
        self.limits = {"pair": (free_per_pair, max_wait_s), "name": (free_per_name, max_wait_s)}
        self.limits["addr"] = (free_per_address, max_address_wait_s)
        self.window_s = window_s
        self.clock = clock
        self._tries: dict[str, deque[float]] = defaultdict(deque)

    @staticmethod
    def _keys(name: str, address: str) -> dict[str, str]:
        name = name.lower()
        return {"pair": f"pair:{name}|{address}", "name": f"name:{name}", "addr": f"addr:{address}"}

    def _recent(self, key: str) -> deque[float]:
        tries = self._tries.get(key)
        while tries and tries[0] <= self.clock() - self.window_s:
            tries.popleft()
        if not tries:
            self._tries.pop(key, None)  # keep the table small under a spray of names
            return deque()
        return tries

    def _wait(self, key: str, free: int, max_wait: float) -> float:
        tries = self._recent(key)
        if len(tries) < free:
            return 0.0
        wait = min(max_wait, 2.0 ** (len(tries) - free + 1))
        return max(1.0, tries[-1] + wait - self.clock())

    def reserve(self, name: str, address: str) -> Attempt:
        """A try for ``name`` from ``address``, counted as failed until ``succeeded``; or how long to wait."""
        keys = self._keys(name, address)
        wait = max(self._wait(keys[kind], *self.limits[kind]) for kind in keys)
        if wait:
            return Attempt(math.ceil(wait))
        now = self.clock()
        for key in keys.values():
            self._tries[key].append(now)
        return Attempt(0, tuple(keys.values()), now)

    def succeeded(self, attempt: Attempt, name: str, address: str) -> None:
        """The password was right: the try is given back and the name's counts cleared."""
        for key in attempt.keys:
            tries = self._tries.get(key)
            if tries and attempt.at in tries:
                tries.remove(attempt.at)
        keys = self._keys(name, address)
        for kind in ("pair", "name"):
            self._tries.pop(keys[kind], None)
