"""Who may write to the shared workspace: the admin secret, checked in constant time.

No Streamlit here: the pages ask `check_secret`; the secret comes from ATLAS_ADMIN_SECRET (or
`admin_secret` in `.streamlit/secrets.toml`, read by the page).
"""

from __future__ import annotations

import hmac
import os

ENV_ADMIN_SECRET = "ATLAS_ADMIN_SECRET"  # noqa: S105 (the variable name, not a secret)


def check_secret(given: str | None, configured: str | None) -> bool:
    """True only when a secret is configured and `given` equals it (constant-time compare)."""
    if not configured or not given:
        return False
    return hmac.compare_digest(given.encode("utf-8"), configured.encode("utf-8"))


def secret_from_env() -> str | None:
    return os.environ.get(ENV_ADMIN_SECRET) or None
