"""RFC 9457 problem+json for every service: validation 422, unknown ids 404, conflicts 409, auth 401/403."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import DomainError, InvalidInput, NotFound

__all__ = ["PROBLEM_JSON", "DomainError", "InvalidInput", "NotFound", "install_problem_handlers", "problem"]

PROBLEM_JSON = "application/problem+json"


def problem(
    status: int, title: str, detail: str | None = None, *, instance: str | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(jsonable_encoder(body), status_code=status, media_type=PROBLEM_JSON, headers=headers)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return problem(exc.status, exc.title, str(exc), instance=request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            # pydantic puts validator and union-member names in the path; people need the field names only.
            {
                "loc": [
                    p for p in e.get("loc", ()) if not (isinstance(p, str) and ("[" in p or p.startswith("function-")))
                ],
                "msg": e.get("msg", ""),
                "type": e.get("type", ""),
            }
            for e in exc.errors()
        ]
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)
        return problem(422, "Invalid request", detail, instance=request.url.path, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {401: "Not authenticated", 403: "Forbidden", 404: "Not found", 405: "Method not allowed"}
        return problem(
            exc.status_code, titles.get(exc.status_code, "Error"), str(exc.detail), instance=request.url.path
        )
