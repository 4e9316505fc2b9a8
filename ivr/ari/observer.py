"""Metrics hooks of the ARI client: the app plugs Prometheus in; this package imports none.

Rules: hooks are synchronous, cheap and must not raise (the client calls them inline on every
request and event). Labels stay low-cardinality: `route` is the api-docs path template such as
`/channels/{channelId}/play`, never a concrete channel id.
"""

from __future__ import annotations


class AriObserver:
    """No-op base: subclass and override what you record."""

    def request_done(self, method: str, route: str, status: int | None, elapsed_s: float) -> None:
        """One HTTP attempt ended (`status` None: timeout or connection failure)."""

    def request_failed(self, method: str, route: str, error: str) -> None:
        """A request failed for its caller (after retries); `error` is the error class name."""

    def event_received(self, event_type: str) -> None:
        """One event arrived on the websocket (after parsing)."""

    def connected(self, reconnect: bool) -> None:
        """The events websocket (re)connected; `reconnect` is False for the first connection."""

    def disconnected(self) -> None:
        """The events websocket was lost (will reconnect unless closing/replaced)."""


NULL_OBSERVER = AriObserver()
