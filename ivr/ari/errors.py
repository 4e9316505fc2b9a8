"""Typed ARI errors: the client translates HTTP statuses and transport failures here, once.

Rules (see `docs/asterisk-behaviour.md`, "Calls and events", and the api-docs
`errorResponses` of each route):
- 404 on a channel or playback route means the channel is gone (`ChannelGone`); on other routes
  (bridges, recordings, applications) it is `AriNotFound`.
- 409 means the channel is not in Stasis (`NotInStasis`); 400 `AriBadRequest`; 401
  `AriUnauthorized`; 5xx, timeouts and refused connections, after retries, `AriUnavailable`.
- A message names the method and the path only: never the query string, never credentials.
"""

from __future__ import annotations

from ivr.errors import IvrError


class AriError(IvrError):
    """An ARI request or the events socket failed. `status` is None for transport failures."""

    def __init__(
        self, message: str, *, method: str = "", path: str = "", status: int | None = None
    ):
        prefix = f"ARI {method} {path}: " if method else "ARI: "
        super().__init__(prefix + message)
        self.method = method
        self.path = path
        self.status = status
        self.detail = message


class AriBadRequest(AriError):
    """400: a parameter Asterisk rejected (the message carries Asterisk's reason)."""


class AriUnauthorized(AriError):
    """401: wrong or missing ARI username/password. Never retried."""


class AriNotFound(AriError):
    """404 on a route whose resource is not a channel (bridge, recording, application...)."""


class ChannelGone(AriNotFound):
    """404 on a channel or playback route: the channel (caller) has gone."""


class NotInStasis(AriError):
    """409: the channel exists but is not in our Stasis application (or the id is taken)."""


class AriUnavailable(AriError):
    """5xx, timeout or connection failure, after the allowed retries."""


class AriAppReplaced(AriError):
    """Another process opened the events socket of our ARI application (ApplicationReplaced)."""
