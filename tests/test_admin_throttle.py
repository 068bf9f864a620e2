"""Issue #11: the admin secret could be guessed at about 6 tries a second with no slowdown.
Wrong secrets are now throttled per session and per client with a growing lockout, logged
without the secret tried, in bounded memory; the pages refuse tries made while locked out."""

from __future__ import annotations

import logging
import threading

import pytest

from atlas.store import access
from atlas.store.access import Throttle, client_key
from tests.apptest import open_page

SECRET = "correct horse"
KEYS = ["session:a", "client:10.0.0.1"]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_lockout_starts_after_the_threshold_and_doubles_up_to_the_cap(clock):
    throttle = Throttle(threshold=5, first_lock_s=2, max_lock_s=60, clock=clock)
    for _ in range(4):
        attempt = throttle.check("wrong", SECRET, KEYS)
        assert attempt.checked and not attempt.ok and attempt.wait_s == 0
    waits = []
    for _ in range(8):
        attempt = throttle.check("wrong", SECRET, KEYS)
        assert attempt.checked and not attempt.ok
        waits.append(attempt.wait_s)
        clock.now += attempt.wait_s  # wait exactly as told
    assert waits == [2, 4, 8, 16, 32, 60, 60, 60]


def test_while_locked_even_the_right_secret_is_not_checked(clock):
    throttle = Throttle(threshold=3, first_lock_s=10, clock=clock)
    for _ in range(3):
        throttle.check("wrong", SECRET, KEYS)
    refused = throttle.check(SECRET, SECRET, KEYS)
    assert not refused.ok and not refused.checked and refused.wait_s == 10
    clock.now += 10
    assert throttle.check(SECRET, SECRET, KEYS).ok
    assert throttle.failures(KEYS[0]) == 0 and throttle.check("wrong", SECRET, KEYS).wait_s == 0


def test_a_new_session_from_the_same_client_is_still_locked(clock):
    """Opening a new tab (a new session key) does not reset the count: the client's does."""
    throttle = Throttle(threshold=3, clock=clock)
    for n in range(3):
        throttle.check("wrong", SECRET, [f"session:{n}", "client:10.0.0.1"])
    assert not throttle.check(SECRET, SECRET, ["session:new", "client:10.0.0.1"]).checked
    assert throttle.check(SECRET, SECRET, ["session:other", "client:10.0.0.2"]).ok


def test_memory_is_bounded_and_old_failures_are_forgotten(clock):
    throttle = Throttle(threshold=3, max_entries=100, forget_s=60, clock=clock)
    for n in range(1000):
        throttle.check("wrong", SECRET, [f"client:{n}"])
    assert len(throttle) == 100
    assert throttle.failures("client:999") == 1 and throttle.failures("client:0") == 0
    clock.now += 61
    throttle.check("wrong", SECRET, ["client:new"])
    assert len(throttle) == 1


def test_parallel_tries_are_all_counted():
    throttle = Throttle(threshold=10_000)

    def guess() -> None:
        for _ in range(200):
            throttle.check("wrong", SECRET, ["client:x"])

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert throttle.failures("client:x") == 1600


def test_failures_are_logged_without_the_secret_tried(clock, caplog):
    throttle = Throttle(threshold=2, clock=clock)
    with caplog.at_level(logging.WARNING, logger="atlas.store.access"):
        for _ in range(3):
            throttle.check("hunter2-guess", SECRET, KEYS)
    records = [r for r in caplog.records if r.name == "atlas.store.access"]
    assert len(records) == 3 and "refused unchecked" in records[-1].getMessage()
    assert all("hunter2" not in r.getMessage() and SECRET not in r.getMessage()
               for r in records)
    assert "client:10.0.0.1" in records[0].getMessage()


def test_the_client_is_the_proxy_s_address_only_when_the_proxy_is_trusted():
    assert client_key("10.0.0.9", "1.2.3.4, 5.6.7.8", trust_proxy=False) == "client:10.0.0.9"
    assert client_key("10.0.0.9", "1.2.3.4, 5.6.7.8", trust_proxy=True) == "client:5.6.7.8"
    assert client_key(None, None, trust_proxy=True) == "client:local"
    assert len(client_key("x" * 500)) <= 71


# --- on the page -----------------------------------------------------------------------------


def test_thirty_wrong_secrets_on_the_page_lock_it_out(clock, monkeypatch, tmp_path):
    monkeypatch.setenv("ATLAS_ADMIN_SECRET", SECRET)
    monkeypatch.setenv("ATLAS_WORKSPACE", str(tmp_path))
    monkeypatch.setattr(access, "THROTTLE", Throttle(clock=clock))
    at = open_page("pages/data.py", allow_errors=True)
    errors = []
    for n in range(30):
        at.text_input(key="imp_secret_input").set_value(f"guess {n}")
        at.button(key="imp_unlock").click().run()
        assert not at.exception
        errors.append(at.error[0].value)
    assert errors[0] == "That is not the admin secret."
    assert "next try is checked in 2 s" in errors[4]
    assert all("this try was not checked" in e for e in errors[5:])
    assert access.THROTTLE.failures("client:local") == 5  # tries while locked are not counted
    assert "Unlock (locked: wait" in at.button(key="imp_unlock").label

    at.text_input(key="imp_secret_input").set_value(SECRET)  # right, but still locked
    at.button(key="imp_unlock").click().run()
    assert at.session_state["imp_admin"] is False
    assert "not checked" in at.error[0].value

    clock.now += 2
    at.text_input(key="imp_secret_input").set_value(SECRET)
    at.button(key="imp_unlock").click().run()
    assert at.session_state["imp_admin"] is True
    assert any("Unlocked" in s.value for s in at.success)
