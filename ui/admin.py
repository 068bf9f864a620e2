"""The one admin unlock of the app, used by the Your data and Stories pages: who may save to
and delete from the shared workspace. Unlocking once unlocks both pages for the session.

Wrong secrets are throttled per session and per client (`atlas.store.access.THROTTLE`): after a few
failures the Unlock button says how long to wait, and tries made meanwhile are not checked.
"""

from __future__ import annotations

import secrets as _tokens

import streamlit as st

from atlas.store import access

ADMIN = "imp_admin"  # True once this session gave the right secret (never a widget key)
INPUT = "imp_secret_input"  # the password field
FAILED = "imp_unlock_failed"  # the last refusal, shown once
SESSION = "_admin_session"  # this session's throttle key
DISABLED = ("Saving is disabled: no admin secret is configured (set ATLAS_ADMIN_SECRET or "
             "`admin_secret` in `.streamlit/secrets.toml`).")


def configured_secret() -> str | None:
    """The admin secret: ATLAS_ADMIN_SECRET, else st.secrets["admin_secret"]; None if unset."""
    from_env = access.secret_from_env()
    if from_env:
        return from_env
    try:
        value = st.secrets.get("admin_secret")
    except Exception:  # no secrets.toml: Streamlit raises on access
        return None
    return str(value) if value else None


def is_admin() -> bool:
    """The right to write to the shared workspace, checked where it is used (in callbacks too,
    never only by a disabled button): a secret is configured and this session gave it."""
    return bool(configured_secret()) and st.session_state.get(ADMIN) is True


def _client() -> str:
    try:
        headers = st.context.headers
        forwarded = headers.get("X-Forwarded-For") if headers else None
        peer = st.context.ip_address
    except Exception:  # no request context (bare mode)
        forwarded = peer = None
    # AppTest's context holds stand-ins, not text: only text is an address
    return access.client_key(peer if isinstance(peer, str) else None,
                             forwarded if isinstance(forwarded, str) else None)


def throttle_keys() -> list[str]:
    """This session's and this client's keys in the throttle."""
    token = st.session_state.setdefault(SESSION, _tokens.token_hex(8))
    return [f"session:{token}", _client()]


def _wait_text(seconds: float) -> str:
    seconds = max(1, round(seconds))
    return f"{seconds} s" if seconds < 120 else f"{round(seconds / 60)} min"


def _unlock() -> None:
    """Unlock button callback (runs before the widgets, so the secret field can be emptied)."""
    given = st.session_state.get(INPUT, "")
    st.session_state[INPUT] = ""
    secret = configured_secret()
    if not secret:
        st.session_state[ADMIN] = False
        return
    attempt = access.THROTTLE.check(given, secret, throttle_keys())
    st.session_state[ADMIN] = attempt.ok
    if not attempt.checked:
        st.session_state[FAILED] = ("Too many wrong secrets: wait "
                                    f"{_wait_text(attempt.wait_s)}, then try again (this try "
                                    "was not checked).")
    elif not attempt.ok:
        later = (f" Too many wrong secrets: the next try is checked in "
                 f"{_wait_text(attempt.wait_s)}.") if attempt.wait_s > 0 else ""
        st.session_state[FAILED] = "That is not the admin secret." + later


def _lock() -> None:
    st.session_state[ADMIN] = False


def admin_box(visitors: str = "Visitors can still import and explore their data in their own "
                              "session.") -> bool:
    """The admin unlock; True when this session holds the configured secret. `visitors` says
    what works without it."""
    secret = configured_secret()
    with st.expander("Shared workspace (admin)", expanded=False):
        if not secret:
            st.info(f"{DISABLED} {visitors}")
            return False
        if is_admin():
            st.success("Unlocked: you can save to and delete from the shared workspace.")
            st.button("Lock", key="imp_lock", on_click=_lock)
            return True
        wait = access.THROTTLE.wait(throttle_keys())
        st.text_input("Admin secret", type="password", key=INPUT)
        label = f"Unlock (locked: wait {_wait_text(wait)})" if wait > 0 else "Unlock"
        st.button(label, key="imp_unlock", on_click=_unlock)
        refused = st.session_state.pop(FAILED, None)
        if refused:
            st.error(refused)
    return is_admin()
