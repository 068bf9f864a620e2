"""Who may write to the shared workspace: the admin secret, checked in constant time, and a
throttle on wrong guesses.

No Streamlit here: the pages ask `THROTTLE.check` (through `ui.admin`); the secret comes from
ATLAS_ADMIN_SECRET (or `admin_secret` in `.streamlit/secrets.toml`, read by the page).

The throttle counts wrong secrets per key, a session's and its client's (its IP address): after
`threshold` failures in a row a key is locked out, for 2 s, then twice as long after each further
failure, up to 15 minutes. While any of its keys is locked an attempt is refused without being
checked. Keys with no failure for an hour are forgotten, and at most `max_entries` are kept (the
least recently failed go first), so memory stays bounded. Every failure is logged on the
"atlas.store.access" logger, never with the secret that was tried.
"""

from __future__ import annotations

import hmac
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

ENV_ADMIN_SECRET = "ATLAS_ADMIN_SECRET"  # noqa: S105 (the variable name, not a secret)
#: Set to 1 when the app runs behind a reverse proxy that sets X-Forwarded-For: the client is
#: then the address the proxy saw, not the proxy itself. Off by default (the header can be
#: forged by anyone who reaches the app directly).
ENV_TRUST_PROXY = "ATLAS_TRUST_PROXY"
LOCAL_CLIENT = "local"  # the client key when no address is known (localhost, tests)

log = logging.getLogger("atlas.store.access")


def check_secret(given: str | None, configured: str | None) -> bool:
    """True only when a secret is configured and `given` equals it (constant-time compare)."""
    if not configured or not given:
        return False
    return hmac.compare_digest(given.encode("utf-8"), configured.encode("utf-8"))


def secret_from_env() -> str | None:
    return os.environ.get(ENV_ADMIN_SECRET) or None


def client_key(peer: str | None, forwarded_for: str | None = None,
               trust_proxy: bool | None = None) -> str:
    """Who is asking, for the throttle: the connection's address, or with a trusted proxy
    (ATLAS_TRUST_PROXY=1) the last address of X-Forwarded-For (the one the proxy added).
    Without either, one constant key for everyone."""
    if trust_proxy is None:
        trust_proxy = os.environ.get(ENV_TRUST_PROXY, "").strip().lower() in {"1", "true", "yes"}
    if trust_proxy and forwarded_for:
        last = forwarded_for.split(",")[-1].strip()
        if last:
            return "client:" + last[:64]
    return "client:" + (peer or LOCAL_CLIENT)[:64]


@dataclass(frozen=True)
class Attempt:
    """The outcome of one try: `ok` when the secret was right; `checked` False when it was
    refused unchecked (locked out); `wait_s` seconds until the next try is checked."""

    ok: bool
    checked: bool = True
    wait_s: float = 0.0


@dataclass
class _Entry:
    failures: int = 0
    locked_until: float = 0.0
    last: float = 0.0


class Throttle:
    """Failed attempts per key with a growing lockout; thread-safe, bounded in memory.
    `clock` (seconds, monotonic) is injectable for tests."""

    def __init__(self, threshold: int = 5, first_lock_s: float = 2.0, max_lock_s: float = 900.0,
                 forget_s: float = 3600.0, max_entries: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold = threshold
        self.first_lock_s = first_lock_s
        self.max_lock_s = max_lock_s
        self.forget_s = forget_s
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()  # least recently failed first
        self._lock = threading.Lock()

    def lock_for(self, failures: int) -> float:
        """Lockout after the `failures`-th failure in a row (0 below the threshold)."""
        if failures < self.threshold:
            return 0.0
        exponent = min(failures - self.threshold, 64)
        return min(self.max_lock_s, self.first_lock_s * 2.0 ** exponent)

    def wait(self, keys: Sequence[str]) -> float:
        """Seconds until an attempt from these keys is checked again (0: now)."""
        with self._lock:
            return self._wait(keys, self.clock())

    def failures(self, key: str) -> int:
        with self._lock:
            entry = self._entries.get(key)
            return entry.failures if entry else 0

    def check(self, given: str | None, configured: str | None, keys: Sequence[str]) -> Attempt:
        """Check `given` against `configured` unless a key is locked out; count a failure
        against every key, forget them all on success. Atomic: parallel tries wait in turn."""
        with self._lock:
            now = self.clock()
            self._prune(now)
            wait = self._wait(keys, now)
            if wait > 0:
                log.warning("admin unlock refused unchecked (locked out for %.0f s more): %s",
                            wait, ", ".join(keys))
                return Attempt(ok=False, checked=False, wait_s=wait)
            if check_secret(given, configured):
                for key in keys:
                    self._entries.pop(key, None)
                return Attempt(ok=True)
            worst = 0
            for key in keys:
                entry = self._entries.pop(key, None) or _Entry()
                entry.failures += 1
                entry.last = now
                entry.locked_until = now + self.lock_for(entry.failures)
                self._entries[key] = entry  # most recent last
                worst = max(worst, entry.failures)
            self._prune(now)
            wait = self._wait(keys, now)
            log.warning("wrong admin secret (%d failures in a row; next try checked in %.0f s): "
                        "%s", worst, wait, ", ".join(keys))
            return Attempt(ok=False, checked=True, wait_s=wait)

    def reset(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def _wait(self, keys: Sequence[str], now: float) -> float:
        waits = [e.locked_until - now for k in keys if (e := self._entries.get(k))]
        return max([0.0, *waits])

    def _prune(self, now: float) -> None:
        """Forget keys whose last failure is old and whose lockout is over; keep at most
        `max_entries` (the least recently failed are dropped first)."""
        while self._entries:
            key, entry = next(iter(self._entries.items()))
            stale = now - entry.last > self.forget_s and entry.locked_until <= now
            if not stale and len(self._entries) <= self.max_entries:
                break
            del self._entries[key]


#: The app's one throttle (tests replace it with one on a fake clock).
THROTTLE = Throttle()
