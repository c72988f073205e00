"""What every HTTP service has: /health, /metrics, problem+json errors, the token store, request metrics."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import Depends, FastAPI, HTTPException, Response
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.telemetry import TelemetryConfig
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import validation
from shared.auth import Role, TokenStore, require
from shared.eventstore import CrmApplication
from shared.follower import NotificationFollower
from shared.metrics import scraped_registry, unregister_collectors
from shared.problems import install_problem_handlers, problem
from shared.processes import Wake
from shared.relay import Relay
from shared.settings import Settings

# Swagger UI and ReDoc as shipped in the pinned fastapi-offline wheel: /docs must work on a chamber's network
# without internet, where FastAPI's default pages (scripts from a CDN) stay blank.
DOCS_ASSETS = Path(fastapi_offline.__file__).with_name("static")
# The routes that take files, a little over what each route itself accepts, so that its own clearer message wins.
UPLOAD_LIMITS = {
    "/members/import": 51 * 1024 * 1024,
    "/complaints/{complaint_id}/documents": 11 * 1024 * 1024,
    "/public/complaints": 14 * 1024 * 1024,
    "/surveys/{survey_id}/members/upload": 5 * 1024 * 1024,  # up to 100,000 membership numbers
    "/surveys/{survey_id}/import": 21 * 1024 * 1024,  # an online survey service's export of a 30,000-member round
}

HTTP_REQUESTS = Counter("crm_http_requests", "HTTP requests served", ["service", "method", "route", "status"])
HTTP_DURATION = Histogram(
    "crm_http_request_duration_seconds",
    "HTTP request duration",
    ["service", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int):
        super().__init__(413, f"the request body may be at most {_size(limit)}")


def _size(n: int) -> str:
    if n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MiB"
    return f"{n // 1024} KiB" if n % 1024 == 0 else f"{n} bytes"


class BodyLimit:
    """Refuses a request body past its route's limit before anything parses it (a 1 MB body of 500,000 numbers
    once took 12 s and 106 MB to validate). A Content-Length over the limit is refused at once; a chunked body is
    counted as it arrives, and the read that passes the limit raises 413 in whatever is reading it."""

    def __init__(self, app: ASGIApp, default: int, routes: Mapping[str, int] | None = None):
        self.app = app
        self.default = default
        self.routes = [(compile_path(template)[0], limit) for template, limit in (routes or {}).items()]
        # A body announced at most this long is within every route's limit, and the HTTP server reads no more than
        # its Content-Length: passed on as it is, with no route looked up and no counting (every staff command).
        self.within_every_limit = min([default, *(limit for _, limit in self.routes)])

    def limit_of(self, path: str) -> int:
        return next((limit for regex, limit in self.routes if regex.match(path)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length, chunked = b"", False
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = value
            elif name == b"transfer-encoding":
                chunked = True
        if not length and not chunked:  # no body at all (most reads): nothing to limit, no route to look up
            await self.app(scope, receive, send)
            return
        if not chunked and length.isdigit() and int(length) <= self.within_every_limit:
            await self.app(scope, receive, send)
            return
        limit = self.limit_of(scope["path"])
        if length.isdigit() and int(length) > limit:
            response = problem(413, "Content too large", BodyTooLarge(limit).detail, instance=scope["path"])
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge as exc:  # read outside the exception handlers (a middleware): answer here
            if started:
                raise
            await problem(413, "Content too large", exc.detail, instance=scope["path"])(scope, receive, send)


class RequestMetrics:
    """Counts and times every request by its route's template. A plain ASGI middleware: `@app.middleware("http")`
    (Starlette's BaseHTTPMiddleware) ran each request through a task group and memory streams of its own, about a
    tenth of a small request's time."""

    def __init__(self, app: ASGIApp, service: str):
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sent(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, sent)
        # The matched route's template, never the concrete path: ids and numbers must not become label values.
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        if route != "/metrics":
            HTTP_REQUESTS.labels(self.service, scope["method"], route, str(status)).inc()
            HTTP_DURATION.labels(self.service, route).observe(time.perf_counter() - started)


def native_telemetry(environ: Mapping[str, str] | None = None) -> TelemetryConfig | None:
    """FastAPI's own OpenTelemetry traces, metrics and logs where the deployment configures OpenTelemetry (an OTEL_
    variable), as before; otherwise off. Left on, FastAPI asked the environment for a tracer, a meter and a logger
    provider at every request to find that none was set: about a twentieth of a staff command's CPU time."""
    environ = os.environ if environ is None else environ
    if any(name.startswith("OTEL_") for name in environ):
        return None
    return TelemetryConfig(tracing=False, metrics=False, logs=False)


def _install_docs(app: FastAPI, title: str) -> None:
    app.mount("/docs-assets", StaticFiles(directory=DOCS_ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{title} - API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json",
            title=f"{title} - API",
            redoc_js_url="/docs-assets/redoc.standalone.js",
            redoc_favicon_url="/docs-assets/favicon.png",
            with_google_fonts=False,
        )


def create_service_app(
    service: str,
    settings: Settings,
    *,
    title: str,
    description: str,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
    health: Callable[[], dict[str, Any]] | None = None,
) -> FastAPI:
    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        try:
            if lifespan is None:
                yield
            else:
                async with lifespan(app):
                    yield
        finally:
            unregister_collectors(app)  # its figures come from stores that close with it

    app = FastAPI(
        title=title,
        description=description,
        version="1.0",
        lifespan=run,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(validation.refuse_control_characters)],
        telemetry=native_telemetry(),
    )
    app.state.settings = settings
    app.state.tokens = TokenStore(settings.auth_db_url)
    validation.configure(settings.date_earliest, settings.date_years_ahead)
    install_problem_handlers(app)
    _install_docs(app, title)
    app.add_middleware(
        BodyLimit, default=settings.http_max_body_bytes, routes={**UPLOAD_LIMITS, **settings.http_body_limits}
    )

    app.add_middleware(RequestMetrics, service=service)

    @app.get("/health", tags=["operations"], summary="Liveness and readiness, no token needed")
    def get_health() -> Any:
        """For the orchestrator and the monitor: 200 with status ok while the service works, 503 with the name of the stuck part (e.g. the Kafka relay or the index follower) when it does not. Needs no token and shows no personal data."""
        body = {"service": service, "status": "ok", **(health() if health else {})}
        if body["status"] != "ok":  # a part of the service is stuck: say so to the orchestrator and the monitor
            return JSONResponse(body, status_code=503)
        return body

    @app.get(
        "/metrics",
        tags=["operations"],
        summary="Prometheus metrics (no personal data); token of role monitoring, admin or auditor",
        response_class=Response,
        dependencies=[Depends(require(Role.MONITORING, Role.ADMIN, Role.AUDITOR))],
    )
    def get_metrics() -> Response:
        """Request counts and durations per route, and the service's own counters, in the Prometheus text format for the chamber's monitoring. Holds no personal data."""
        return Response(generate_latest(scraped_registry()), media_type=CONTENT_TYPE_LATEST)

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
    replica: bool = False,
) -> FastAPI:
    """A service over its own event store: the local index follows the store in a thread, the relay publishes the
    store to Kafka (unless `relay` is False, or None with CRM_RELAY_EMBEDDED=false), and `background` adds the
    service's own tasks (given the stop event; skipped when `relay` is False, which keeps the service off Kafka).
    On shutdown everything stops before the store closes: closing a SQLite store under its follower crashes.

    `replica`: a further process of the API (shared/processes.py): neither the follower nor the relay runs here
    (the primary process runs them), only `background`; its saves wake the primary's follower and relay."""
    run_relay = (settings.relay_embedded if relay is None else relay) and not replica
    wake = Wake(service, int(getattr(settings, f"{service}_port"))) if settings.api_processes(service) > 1 else None
    if replica and wake is not None:
        application.on_recorded(wake.send)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop_thread = threading.Event()
        stop = asyncio.Event()
        follower_thread = wakes = None
        if not replica:
            follower.step()  # an event it cannot apply must not keep the service from starting: /health says so
            follower_thread = follower.start(stop_thread)
            if wake is not None:  # the replicas' saves wake the follower, the relay and the background followers
                wakes = wake.listen(application.recorded_elsewhere, stop_thread)
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
            for thread in (follower_thread, wakes):
                if thread is not None:
                    await asyncio.to_thread(thread.join, 10)
            application.close()

    def health() -> dict[str, Any]:
        relay_state = getattr(app.state, "relay", None)
        body = {
            "store": settings.store,
            "index_position": follower.position(),
            "relay_position": relay_state.published_position if relay_state else None,
        }
        if follower.failure is not None:
            body["status"] = "failing"
            body["index_failure"] = follower.failure
        if settings.api_processes(service) > 1:  # which of the API's processes answered (shared/processes.py)
            body["process"] = {"role": "replica" if replica else "primary", "pid": os.getpid()}
        return body

    app = create_service_app(service, settings, title=title, description=description, lifespan=lifespan, health=health)
    # The audit trail: the auditor's streaming export of this store, and signed digests of what it published.
    from shared.audit.api import install_audit

    install_audit(app, settings, application, digests=not replica)
    return app
