"""Every role against every endpoint of the reporting service, on the membership unit's end-of-day list of a day
at the chamber (tests/reporting/test_api.Day)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.access_matrix import DOC_ROUTES, EVERYONE, check_row, every_role, fill, routes_of, row
from tests.reporting.test_api import client, day  # noqa: F401 - fixtures

READERS = {"expert", "trade_expert", "unit_manager", "other_manager", "mr_manager", "sg", "auditor", "admin"}
SEE_ALL = {"expert", "mr_manager", "sg", "auditor", "admin"}  # member relations' expert included
COMPLAINT_REPORTS = {"mr_manager", "sg", "auditor", "admin"}

MATRIX = {
    ("GET", "/health"): row(EVERYONE),
    ("GET", "/metrics"): row({"monitoring", "admin", "auditor"}),
    ("GET", "/reports/unanswered"): row(SEE_ALL | {"other_manager"}, params={"unit": "membership"}),
    ("GET", "/reports/end-of-day"): row(SEE_ALL | {"other_manager"}, params={"unit": "membership"}),
    ("GET", "/reports/end-of-day/{unit}/{day}"): row(SEE_ALL | {"other_manager"}),
    ("GET", "/reports/escalations"): row(
        {"mr_manager", "sg", "auditor", "admin", "other_manager"}, params={"unit": "membership"}
    ),
    # One escalation: the unit rule is checked against the escalation's own unit (tests/reporting/test_escalations.py).
    ("GET", "/reports/escalations/{escalation_id}"): row(
        {"mr_manager", "sg", "auditor", "admin", "unit_manager", "other_manager"}
    ),
    ("POST", "/reports/escalations/{escalation_id}/accept"): row({"mr_manager"}, json={"note": "reviewed"}),
    ("POST", "/reports/escalations/{escalation_id}/dismiss"): row({"mr_manager"}, json={"reason": "PBX outage"}),
    ("POST", "/reports/escalations/{escalation_id}/report"): row({"mr_manager"}),
    ("POST", "/reports/escalations/{escalation_id}/corrective-action"): row({"sg"}, json={}),
    ("GET", "/reports/units"): row(READERS),
    ("GET", "/reports/calls/stats"): row(
        SEE_ALL | {"other_manager"}, params={"unit": "membership", "period": "day", "day": "2026-11-21"}
    ),
    ("GET", "/reports/calls/wallboard"): row(SEE_ALL | {"other_manager"}, params={"unit": "membership"}),
    ("GET", "/reports/member-relations/follow-ups"): row({"mr_manager", "sg", "auditor", "admin"}),
    ("GET", "/reports/complaints/open"): row(COMPLAINT_REPORTS),
    ("GET", "/reports/complaints/six-monthly"): row(COMPLAINT_REPORTS, params={"year": 1405, "half": 2}),
    ("GET", "/reports/complaints/yearly"): row(COMPLAINT_REPORTS, params={"year": 1405}),
    **{route: row(EVERYONE) for route in DOC_ROUTES},
}


def test_every_endpoint_of_the_app_has_a_row_in_the_table(client: TestClient) -> None:  # noqa: F811
    assert routes_of(client.app) == set(MATRIX)


@pytest.mark.parametrize(("method", "path"), sorted(MATRIX))
def test_each_role_is_allowed_or_forbidden_as_the_table_says(client, tokens, token_store, method, path) -> None:  # noqa: F811
    values = {"unit": "membership", "day": "2026-11-21", "escalation_id": "5b1e2f00-0000-4000-8000-000000000001"}
    check_row(client, every_role(tokens, token_store), method, fill(path, values), MATRIX[(method, path)])
