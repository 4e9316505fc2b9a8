"""Shared HTTP details of the ARI client: base URL checks and the Basic auth header.

Rules: credentials travel only in the `Authorization` header (ARI also accepts `api_key=user:pass`
in the query, but a query string ends up in logs: `docs/asterisk-behaviour.md`, "Calls and
events"). A base URL carrying credentials is refused, and the error text does not repeat the URL.
"""

from __future__ import annotations

import base64

from yarl import URL

from ivr.errors import ConfigError


def ari_root(base_url: str) -> URL:
    """`http://127.0.0.1:8088` (Asterisk's HTTP base) -> `http://127.0.0.1:8088/ari`."""
    try:
        url = URL(base_url)
    except (TypeError, ValueError):
        raise ConfigError("ARI URL is not a valid URL (IVR_ARI_URL)") from None
    if url.user is not None or url.password is not None or "api_key" in url.query:
        raise ConfigError(
            "ARI URL must not contain credentials: set IVR_ARI_USERNAME and IVR_ARI_PASSWORD"
        )
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigError(
            f"ARI URL must be Asterisk's HTTP base such as http://127.0.0.1:8088, "
            f"got scheme {url.scheme!r}"
        )
    path = url.path.rstrip("/")
    if not path.endswith("/ari"):
        path += "/ari"
    return url.with_path(path).with_query(None).with_fragment(None)


def events_url(base_url: str, app: str, *, subscribe_all: bool = False) -> URL:
    """The events websocket: `ws(s)://host/ari/events?app=APP&subscribeAll=false`."""
    root = ari_root(base_url)
    scheme = "wss" if root.scheme == "https" else "ws"
    return root.with_scheme(scheme).with_path(root.path + "/events") % {
        "app": app,
        "subscribeAll": "true" if subscribe_all else "false",
    }


def auth_header(username: str, password: str) -> dict[str, str]:
    """RFC 7617 Basic credentials (built here: aiohttp 3.14 deprecates `BasicAuth`)."""
    if ":" in username:
        raise ConfigError("ARI username must not contain ':' (IVR_ARI_USERNAME)")
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}
