"""Every role against every endpoint of the members service, on member 1001."""

from __future__ import annotations

import uuid

import pytest
from fastapi import FastAPI

from tests.access_matrix import DOC_ROUTES, EVERYONE, check_row, every_role, fill, routes_of, row
from tests.members.test_api import app, member_body, members  # noqa: F401 - fixtures and builders

READERS = {"expert", "trade_expert", "unit_manager", "other_manager", "mr_manager", "sg", "auditor", "admin"}
EDITORS = {"expert", "trade_expert", "mr_manager", "admin"}

MATRIX = {
    ("GET", "/health"): row(EVERYONE),
    ("GET", "/metrics"): row({"monitoring", "admin", "auditor"}),
    ("GET", "/audit/events"): row({"auditor", "admin"}),
    ("POST", "/members"): row(EDITORS, json=member_body("1099")),
    ("GET", "/members"): row(READERS),
    ("POST", "/members/import"): row({"mr_manager", "admin"}),
    ("GET", "/members/{number}"): row(READERS),
    ("PATCH", "/members/{number}"): row(EDITORS, json={"email": "info@example.ir"}),
    ("POST", "/members/{number}/suspend"): row({"mr_manager", "admin"}, json={}),
    ("POST", "/members/{number}/reinstate"): row({"mr_manager", "admin"}),
    ("POST", "/members/{number}/end"): row({"mr_manager", "admin"}, json={}),
    ("POST", "/members/{number}/erasure"): row({"admin"}, json={}),
    ("GET", "/members/{number}/history"): row({"auditor", "mr_manager", "sg", "admin"}),
    ("POST", "/selections"): row({"expert", "trade_expert", "mr_manager", "sg", "admin"}, json={}),
    ("GET", "/selections/{selection_id}"): row(READERS),
    ("GET", "/lookup/phone/{number}"): row(READERS | {"telephony"}),
    **{route: row(EVERYONE) for route in DOC_ROUTES},
}


def test_every_endpoint_of_the_app_has_a_row_in_the_table(app: FastAPI) -> None:  # noqa: F811
    assert routes_of(app) == set(MATRIX)


@pytest.mark.parametrize(("method", "path"), sorted(MATRIX))
def test_each_role_is_allowed_or_forbidden_as_the_table_says(
    client,  # noqa: F811
    tokens,
    token_store,
    members,  # noqa: F811
    method,
    path,
) -> None:
    number = "09131234567" if path.startswith("/lookup") else "1001"
    values = {"number": number, "selection_id": str(uuid.uuid4())}
    check_row(client, every_role(tokens, token_store), method, fill(path, values), MATRIX[(method, path)])
