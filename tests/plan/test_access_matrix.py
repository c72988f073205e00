"""Every role against every endpoint of the plan service, with the seed's plan imported: who gets through (not
401/403) and who is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.plan.main import create_app
from tests.access_matrix import DOC_ROUTES, EVERYONE, check_row, every_role, fill, routes_of, row

SEED = Path(__file__).parent / "fixtures" / "strategic_plan_2024.tsv"
STAFF = {"expert", "trade_expert", "unit_manager", "other_manager", "mr_manager", "sg"}
READERS = STAFF | {"auditor", "admin"}
IMPORTERS = {"sg", "mr_manager", "admin"}

MATRIX = {
    ("GET", "/health"): row(EVERYONE),
    ("GET", "/metrics"): row({"monitoring", "admin", "auditor"}),
    ("POST", "/plan/imports"): row(
        IMPORTERS, content=SEED.read_bytes(), headers={"Content-Type": "text/tab-separated-values"}
    ),
    ("GET", "/plan"): row(READERS),
    ("GET", "/plan/versions"): row(READERS),
    ("GET", "/plan/versions/{number}"): row(READERS),
    ("GET", "/plan/check"): row(READERS),
    ("GET", "/plan/history"): row(READERS),
    **{route: row(EVERYONE) for route in DOC_ROUTES},
}


@pytest.fixture
def app(settings, clock) -> FastAPI:
    return create_app(settings, clock=clock, relay=False)


def test_every_route_is_in_the_matrix(app: FastAPI):
    assert routes_of(app) == set(MATRIX)


def test_every_role_against_every_route(client: TestClient, app: FastAPI, tokens, token_store):
    headers = every_role(tokens, token_store)
    client.app.state.office.import_plan(SEED.read_bytes(), by="sg")
    for (method, path), r in MATRIX.items():
        check_row(client, headers, method, fill(path, {"number": "1"}), r)
