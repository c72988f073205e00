"""`as_of` on the reports with the read model in PostgreSQL, as deployed: the journal replayed up to a moment gives
back what the reports showed then."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from services.reporting.main import create_app
from tests.integration.conftest import pg_settings
from tests.reporting.test_api import Day
from tests.reporting.test_as_of import REPORTS, _later_day


@pytest.mark.postgres
def test_reports_as_of_a_past_moment_on_postgresql(settings, clock, pg_schema, tokens) -> None:
    pg = pg_settings(settings, pg_schema)
    day = Day(pg, clock)
    with TestClient(create_app(pg, clock=clock, oversight=day.oversight)) as client:
        then = clock.now
        stored = [client.get(path, params=params, headers=tokens["sg"]).content for path, params in REPORTS]
        _later_day(day, clock)
        assert (
            client.get("/reports/units", headers=tokens["sg"]).content != stored[REPORTS.index(("/reports/units", {}))]
        )
        for (path, params), before in zip(REPORTS, stored, strict=True):
            again = client.get(path, params={**params, "as_of": then.isoformat()}, headers=tokens["sg"])
            assert again.content == before, path
