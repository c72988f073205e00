"""RFC 9457 problem+json for every service: validation 422, unknown ids 404, conflicts 409, auth 401/403."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, routing
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from shared.errors import DomainError, InvalidInput, NotFound

__all__ = ["PROBLEM_JSON", "DomainError", "InvalidInput", "NotFound", "install_problem_handlers", "problem"]

PROBLEM_JSON = "application/problem+json"
# A body of half a million bad items once answered 106 MB of errors: list the first few, count the rest.
MAX_LISTED_ERRORS = 20
_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Invalid request",
    429: "Too many requests",
}


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(extra)
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(jsonable_encoder(body), status_code=status, media_type=PROBLEM_JSON, headers=headers or None)


def capped_errors(errors: list[dict[str, Any]], total: int | None = None) -> tuple[list[dict[str, Any]], str]:
    """The first MAX_LISTED_ERRORS errors and a detail that names them and counts the others (of `total`)."""
    listed = errors[:MAX_LISTED_ERRORS]
    detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in listed)
    more = (len(errors) if total is None else total) - len(listed)
    if more > 0:
        detail += f"; and {more} more"
    return listed, detail


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return problem(exc.status, exc.title, str(exc), instance=request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        raw = exc.errors()
        errors = [
            # pydantic puts validator and union-member names in the path; people need the field names only.
            {
                "loc": [
                    p for p in e.get("loc", ()) if not (isinstance(p, str) and ("[" in p or p.startswith("function-")))
                ],
                "msg": e.get("msg", ""),
                "type": e.get("type", ""),
            }
            for e in raw[:MAX_LISTED_ERRORS]
        ]
        listed, detail = capped_errors(errors, len(raw))
        return problem(422, "Invalid request", detail, instance=request.url.path, errors=listed)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title, detail = _TITLES.get(exc.status_code, "Error"), str(exc.detail)
        if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
            # FastAPI reports a body it cannot decode as "There was an error parsing the body".
            title = "Body is not UTF-8"
            detail = f"the request body must be UTF-8 encoded JSON; byte {exc.__cause__.start + 1} is not UTF-8"
        # 405 carries Allow, 401 WWW-Authenticate: RFC 9110 requires them.
        headers = dict(exc.headers) if exc.headers else None
        if exc.status_code == 405:
            # The router names the methods of the first route that matched the path only; Allow lists them all.
            headers = {**(headers or {}), "Allow": ", ".join(_methods_of(request))}
        return problem(exc.status_code, title, detail, instance=request.url.path, headers=headers)


def _methods_of(request: Request) -> list[str]:
    methods: set[str] = set()
    # Included routers are branches of app.routes: walk them down to each route with its full path.
    for route in routing.iter_route_contexts(request.app.routes):
        route_methods, path = getattr(route, "methods", None), getattr(route, "path", None)
        if route_methods and path and compile_path(path)[0].match(request.url.path):
            methods |= set(route_methods)
    methods.discard("HEAD")  # answered wherever GET is, and never listed by the router either
    return sorted(methods)
