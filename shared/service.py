"""What every HTTP service has: /health, /metrics, problem+json errors, the token store, request metrics."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from fastapi import Depends, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

from shared.auth import Role, TokenStore, require
from shared.problems import install_problem_handlers
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
    health: Callable[[], dict] | None = None,
) -> FastAPI:
    app = FastAPI(title=title, description=description, version="1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.tokens = TokenStore(settings.auth_db_url)
    install_problem_handlers(app)

    @app.middleware("http")
    async def _metrics(request: Request, call_next):
        started = time.perf_counter()
        response = await call_next(request)
        route = _route_template(request)
        if route != "/metrics":
            HTTP_REQUESTS.labels(service, request.method, route, str(response.status_code)).inc()
            HTTP_DURATION.labels(service, route).observe(time.perf_counter() - started)
        return response

    @app.get("/health", tags=["operations"], summary="Liveness and readiness, no token needed")
    def get_health() -> dict:
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

