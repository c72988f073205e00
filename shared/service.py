"""What every HTTP service has: /health, /metrics, problem+json errors, the token store, request metrics."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

from shared.auth import Role, TokenStore, require
from shared.eventstore import CrmApplication
from shared.follower import NotificationFollower
from shared.problems import install_problem_handlers
from shared.relay import Relay
from shared.settings import Settings

HTTP_REQUESTS = Counter("crm_http_requests", "HTTP requests served", ["service", "method", "route", "status"])
HTTP_DURATION = Histogram(
    "crm_http_request_duration_seconds",
    "HTTP request duration",
    ["service", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


def _route_template(request: Request) -> str:
    # The matched route's template, never the concrete path: ids and numbers must not become label values.
    route = request.scope.get("route")
    return getattr(route, "path", None) or "unmatched"


def create_service_app(
    service: str,
    settings: Settings,
    *,
    title: str,
    description: str,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
    health: Callable[[], dict[str, Any]] | None = None,
) -> FastAPI:
    app = FastAPI(title=title, description=description, version="1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.tokens = TokenStore(settings.auth_db_url)
    install_problem_handlers(app)

    @app.middleware("http")
    async def _metrics(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = _route_template(request)
        if route != "/metrics":
            HTTP_REQUESTS.labels(service, request.method, route, str(response.status_code)).inc()
            HTTP_DURATION.labels(service, route).observe(time.perf_counter() - started)
        return response

    @app.get("/health", tags=["operations"], summary="Liveness and readiness, no token needed")
    def get_health() -> dict[str, Any]:
        return {"service": service, "status": "ok", **(health() if health else {})}

    @app.get(
        "/metrics",
        tags=["operations"],
        summary="Prometheus metrics (no personal data); token of role monitoring, admin or auditor",
        response_class=Response,
        dependencies=[Depends(require(Role.MONITORING, Role.ADMIN, Role.AUDITOR))],
    )
    def get_metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app


def event_sourced_service(
    service: str,
    settings: Settings,
    application: CrmApplication,
    follower: NotificationFollower,
    *,
    title: str,
    description: str,
    relay: bool | None = None,
    background: Callable[[asyncio.Event], list[Coroutine[Any, Any, None]]] | None = None,
) -> FastAPI:
    """A service over its own event store: the local index follows the store in a thread, the relay publishes the
    store to Kafka (unless `relay` is False, or None with CRM_RELAY_EMBEDDED=false), and `background` adds the
    service's own tasks (given the stop event; skipped when `relay` is False, which keeps the service off Kafka).
    On shutdown everything stops before the store closes: closing a SQLite store under its follower crashes."""
    run_relay = settings.relay_embedded if relay is None else relay

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop_thread = threading.Event()
        stop = asyncio.Event()
        follower.catch_up()
        follower_thread = follower.start(stop_thread)
        tasks = []
        if run_relay:
            app.state.relay = Relay(
                application,
                settings.kafka_bootstrap,
                settings.topic_of(service),
                batch_size=settings.relay_batch_size,
                poll_interval=settings.relay_poll_interval,
                partitions=settings.kafka_partitions,
            )
            tasks.append(asyncio.create_task(app.state.relay.run(stop)))
        if background is not None and relay is not False:
            tasks.extend(asyncio.create_task(coro) for coro in background(stop))
        try:
            yield
        finally:
            stop.set()
            stop_thread.set()
            follower.wake()
            for task in tasks:
                await asyncio.wait_for(task, timeout=10)
            await asyncio.to_thread(follower_thread.join, 10)
            application.close()

    def health() -> dict[str, Any]:
        relay_state = getattr(app.state, "relay", None)
        return {
            "store": settings.store,
            "index_position": follower.position(),
            "relay_position": relay_state.published_position if relay_state else None,
        }

    app = create_service_app(service, settings, title=title, description=description, lifespan=lifespan, health=health)
    return app
