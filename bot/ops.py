"""Operations endpoints: /healthz (alive), /readyz (database, scheduler, ingest age) and
Prometheus /metrics, served on PAPERBOY_HTTP_PORT (next to /slack/events in HTTP mode)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from bot.app import App
from bot.metrics import Metrics

__all__ = ["ops_routes"]


def ops_routes(
    app: App,
    metrics: Metrics,
    *,
    scheduler_running: Callable[[], bool],
    max_ingest_age: timedelta = timedelta(hours=3),
) -> list[web.RouteDef]:
    started = time.monotonic()

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "uptime_s": round(time.monotonic() - started)})

    async def readyz(request: web.Request) -> web.Response:
        checks: dict[str, object] = {}
        try:
            with app.engine.connect() as connection:
                connection.execute(text("select 1"))
            checks["database"] = "ok"
        except Exception as exc:  # any failure means not ready; say which
            checks["database"] = f"unreachable: {type(exc).__name__}"
        checks["scheduler"] = "running" if scheduler_running() else "stopped"
        successes = [h.last_success for h in app.repository.list_source_health() if h.last_success]
        last: datetime | None = max(successes, default=None)
        age = (app.clock.now() - last) if last else None
        checks["last_ingest_age_s"] = round(age.total_seconds()) if age else None
        ready = (
            checks["database"] == "ok"
            and checks["scheduler"] == "running"
            and (age is None or age <= max_ingest_age or time.monotonic() - started < 3600)
        )
        return web.json_response({"ready": ready, **checks}, status=200 if ready else 503)

    async def metrics_view(request: web.Request) -> web.Response:
        body = generate_latest(metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    return [
        web.get("/healthz", healthz),
        web.get("/readyz", readyz),
        web.get("/metrics", metrics_view),
    ]
