"""The role x endpoint table every service's access test checks: each role (the `tokens` fixture) and an anonymous
caller against each route of the app. Forbidden means 403 (401 without a token); allowed means anything but those,
so a 404, 409 or 422 behind the access check still shows the role got through."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, routing
from fastapi.testclient import TestClient

from shared.auth import Role, TokenStore

ROLES = (
    "expert",  # z.rahimi, member relations
    "trade_expert",  # s.ahmadi, trade
    "unit_manager",  # f.alavi, trade
    "other_manager",  # h.tehrani, membership
    "mr_manager",
    "sg",
    "auditor",
    "telephony",
    "admin",
    "monitoring",
    "committee",
    "service",  # another CRM service: only the complaints service's internal door
)
ANONYMOUS = "anonymous"
EVERYONE = frozenset((*ROLES, ANONYMOUS))
# Routes FastAPI adds for its documentation: public on every service.
DOC_ROUTES = {("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/redoc")}


@dataclass(frozen=True)
class Row:
    allowed: frozenset[str]
    json: Any = None
    params: Mapping[str, Any] = field(default_factory=dict)
    content: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


def every_role(tokens: Mapping[str, Mapping[str, str]], token_store: TokenStore) -> dict[str, Mapping[str, str]]:
    """The conftest's tokens and a token of a service role, which the conftest does not give."""
    service = token_store.create("surveys-service", Role.SERVICE)
    return {**tokens, "service": {"Authorization": f"Bearer {service}"}}


def row(allowed: Iterable[str], **request: Any) -> Row:
    return Row(frozenset(allowed), **request)


def routes_of(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path template) of every route the app answers, HEAD aside (it follows GET)."""
    found = set()
    # FastAPI keeps included routers as branches of app.routes; this walks them down to each route with its prefix.
    for route in routing.iter_route_contexts(app.routes):
        for method in getattr(route, "methods", None) or ():
            if method != "HEAD":
                found.add((method, route.path))
    return found


def fill(path: str, values: Mapping[str, str]) -> str:
    return path.format(**values)


def check_row(client: TestClient, tokens: Mapping[str, Mapping[str, str]], method: str, path: str, r: Row) -> None:
    wrong = []
    for role in (*ROLES, ANONYMOUS):
        headers = {**r.headers, **({} if role == ANONYMOUS else tokens[role])}
        response = client.request(method, path, headers=headers, json=r.json, params=r.params, content=r.content)
        if role in r.allowed:
            ok = response.status_code not in (401, 403)
        else:
            ok = response.status_code == (401 if role == ANONYMOUS else 403)
        if not ok:
            wrong.append(f"{role}: {response.status_code} {response.text[:200]}")
    assert not wrong, f"{method} {path}\n" + "\n".join(wrong)
