"""The app's HTTP server: serves one aiohttp application, with `/healthz` and `/metrics`.

`ivr.app` assembles the application (prompts for Asterisk, the staff API and pages) and hands
it to `WebServer.start`, which listens on the configured host and port and knows the base URL
Asterisk fetches prompts from (`http.public_base_url`, else the address it listens on).

Rules:
- `GET /healthz`: 200 `{"status": "ok", "active_calls": n}` while every dependency answers;
  503 `{"status": "degraded", "failing": [...], "active_calls": n}` while one does not
  (`redis`: the queue store; `ari`: the events websocket is down, or stopped for good because
  another process took the app name; `database`: the call-record writer meets an SQL outage).
  Load balancers read the code.
- `GET /metrics`: the Prometheus text of `ivr.metrics`. Neither route needs a token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from ivr.metrics import Metrics


@dataclass(frozen=True, slots=True)
class Health:
    active_calls: int
    failing: tuple[str, ...] = ()  # the dependencies down, e.g. ("redis",)


def add_health_routes(app: web.Application, health: Callable[[], Health], metrics: Metrics) -> None:
    """`/healthz` (from `health()` at each request) and `/metrics`."""

    async def healthz(request: web.Request) -> web.Response:
        now = health()
        if now.failing:
            body = {"status": "degraded", "failing": list(now.failing)}
            return web.json_response({**body, "active_calls": now.active_calls}, status=503)
        return web.json_response({"status": "ok", "active_calls": now.active_calls})

    async def render_metrics(request: web.Request) -> web.Response:
        return web.Response(body=metrics.render(), content_type="text/plain")

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", render_metrics)


class WebServer:
    """A started HTTP server; `url` is the base URL others reach it at. `await aclose()`."""

    def __init__(self, runner: web.AppRunner, url: str, local_url: str | None = None) -> None:
        self._runner = runner
        self.url = url
        self.local_url = local_url or url  # where it listens (the public URL may be a proxy)

    @classmethod
    async def start(
        cls, app: web.Application, host: str, port: int, public_base_url: str | None
    ) -> WebServer:
        """Listen on `host:port` (0: any free port)."""
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except BaseException:
            await runner.cleanup()
            raise
        bound = runner.addresses[0][1]
        local = f"http://{host}:{bound}"
        return cls(runner, public_base_url or local, local)

    @property
    def app(self) -> web.Application:
        """The application served (its router lists every route)."""
        return self._runner.app

    async def aclose(self) -> None:
        await self._runner.cleanup()
