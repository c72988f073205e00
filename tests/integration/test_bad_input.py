"""Bad input on PostgreSQL, which refuses NUL in text: the API refuses it first, and an event that reached the store
below the API shows as failing health instead of a follower retrying it unseen."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from services.calls.main import create_app as calls_app
from services.members.main import build_directory
from services.members.main import create_app as members_app
from shared.auth import TokenStore
from tests.integration.conftest import pg_settings

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def test_a_nul_that_reached_the_store_shows_as_failing_health_on_postgresql(settings, clock, pg_schema) -> None:
    pg = pg_settings(settings, pg_schema)
    directory = build_directory(pg, clock)
    try:
        # Written below the API (which refuses it), as an older release could have stored it.
        directory.register_member("1001", {"kind": "company", "name": "Nul\x00Co"})
    finally:
        directory.close()
    app = members_app(pg, clock=clock, relay=False)
    with TestClient(app) as client:
        response = client.get("/health")
        assert response.status_code == 503, response.text
        assert "after position 0" in response.json()["index_failure"]
        refused = client.post(
            "/members",
            json={"membership_number": "1002", "kind": "company", "name": "Nul\x00Co"},
            headers={"Authorization": "Bearer " + TokenStore(pg.auth_db_url).create("x", "expert", None)},
        )
        assert refused.status_code == 422, refused.text


def test_nul_in_a_call_subject_is_refused_on_postgresql(settings, clock, pg_schema) -> None:
    pg = pg_settings(settings, pg_schema)
    expert = {"Authorization": "Bearer " + TokenStore(pg.auth_db_url).create("z.rahimi", "expert", "member_relations")}
    with TestClient(calls_app(pg, clock=clock, relay=False)) as client:
        call = client.post("/calls", json={"caller": "09131234567", "unit": "trade"}, headers=expert).json()
        response = client.post(f"/calls/{call['id']}/subject", json={"subject": "Nul\x00"}, headers=expert)
        assert response.status_code == 422, response.text
        assert "U+0000" in response.json()["detail"]
        assert client.get("/health").status_code == 200


@pytest.mark.parametrize("service", ["calls", "members", "complaints"])
def test_paging_is_bounded_on_postgresql(settings, clock, pg_schema, service) -> None:
    import importlib

    pg = pg_settings(settings, pg_schema)
    create_app = importlib.import_module(f"services.{service}.main").create_app
    auditor = {"Authorization": "Bearer " + TokenStore(pg.auth_db_url).create("auditor", "auditor", None)}
    with TestClient(create_app(pg, clock=clock, relay=False)) as client:
        path = f"/{service}"
        too_far = client.get(path, params={"offset": "99999999999999999999"}, headers=auditor)
        assert too_far.status_code == 422, too_far.text
        assert "query.offset" in too_far.json()["detail"]
        furthest = client.get(path, params={"offset": "1000000", "limit": "1000"}, headers=auditor)
        assert furthest.status_code == 200, furthest.text
        assert furthest.json() == []
