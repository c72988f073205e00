"""Every role against every endpoint of the surveys service, on a project survey of the trade unit that the SG has
approved: who gets through (not 401/403) and who is refused. The president, a role only surveys use so far, is
checked here beside the shared table's roles."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from tests.access_matrix import DOC_ROUTES, EVERYONE, check_row, every_role, fill, routes_of, row
from tests.surveys.conftest import BOARD, QUESTIONS

READERS = {"expert", "trade_expert", "unit_manager", "other_manager", "mr_manager", "sg", "auditor", "president"}
SEE_ALL = {"mr_manager", "sg", "auditor", "president"}
# The requesting unit, member relations (which runs it: its expert z.rahimi) and those who see every survey.
OF_TRADE = {"trade_expert", "unit_manager", "expert"} | SEE_ALL
CALLERS = {"expert", "mr_manager"}  # the staff of member relations, which runs the survey
Q = {"code": "other", "title": "Other", "questions": QUESTIONS}

MATRIX = {
    ("GET", "/health"): row(EVERYONE | {"president"}),
    ("GET", "/metrics"): row({"monitoring", "admin", "auditor"}),
    ("GET", "/audit/events"): row({"auditor", "admin"}),
    ("POST", "/questionnaires"): row({"mr_manager"}, json=Q),
    ("GET", "/questionnaires"): row(READERS),
    ("GET", "/questionnaires/{questionnaire_id}"): row(READERS),
    ("POST", "/questionnaires/{questionnaire_id}/versions"): row({"mr_manager"}, json={"questions": QUESTIONS}),
    ("POST", "/surveys/project"): row(
        {"unit_manager", "other_manager"}, json={"subject": "x", "questionnaire_id": "{questionnaire_id}"}
    ),
    ("POST", "/surveys/periodic"): row(
        {"president"}, json={"period": "2027-Y", "questionnaire_id": "{questionnaire_id}"}
    ),
    ("GET", "/surveys"): row(READERS),
    ("GET", "/surveys/{survey_id}"): row(OF_TRADE),
    ("GET", "/surveys/{survey_id}/members"): row(OF_TRADE),
    ("POST", "/surveys/{survey_id}/approve"): row({"sg"}),
    ("POST", "/surveys/{survey_id}/reject"): row({"sg"}, json={"reason": "no"}),
    ("POST", "/surveys/{survey_id}/delegate"): row({"sg"}, json={"unit": "membership"}),
    ("POST", "/surveys/{survey_id}/members"): row({"unit_manager"}, json={"numbers": ["1"]}),
    ("POST", "/surveys/{survey_id}/members/upload"): row(
        {"unit_manager"}, content=b"1\n", headers={"Content-Type": "text/csv"}
    ),
    ("POST", "/surveys/{survey_id}/members/approve"): row({"mr_manager"}),
    ("POST", "/surveys/{survey_id}/questionnaire"): row({"mr_manager"}, json={"questions": QUESTIONS, "size": "small"}),
    ("POST", "/surveys/{survey_id}/meetings"): row(
        {"president", "sg", "mr_manager"},
        json={"purpose": "questions", "held_on": "2026-11-18", "attendees": BOARD, "minutes": "set"},
    ),
    ("POST", "/surveys/{survey_id}/timing"): row(
        {"president"}, json={"starts_on": "2026-12-01", "ends_on": "2027-01-15"}
    ),
    ("POST", "/surveys/{survey_id}/start"): row({"mr_manager"}),
    ("POST", "/surveys/{survey_id}/close"): row({"mr_manager"}),
    ("GET", "/surveys/{survey_id}/call-list"): row(CALLERS),
    ("POST", "/surveys/{survey_id}/call-list/next"): row(CALLERS),
    ("GET", "/surveys/{survey_id}/contacts/{membership_number}"): row(CALLERS),
    ("POST", "/surveys/{survey_id}/contacts/{membership_number}/attempts"): row(
        CALLERS, json={"line": "fixed", "outcome": "no_answer"}
    ),
    ("POST", "/surveys/{survey_id}/contacts/{membership_number}/response"): row(
        CALLERS, json={"line": "fixed", "answers": {"overall": 3}}
    ),
    ("POST", "/surveys/{survey_id}/contacts/{membership_number}/not-reached"): row(CALLERS),
    ("POST", "/surveys/{survey_id}/contacts/{membership_number}/dissatisfaction"): row(CALLERS, json={"note": "late"}),
    ("GET", "/surveys/{survey_id}/scores"): row(OF_TRADE),
    ("POST", "/surveys/{survey_id}/evaluate"): row({"mr_manager", "sg"}),
    ("POST", "/surveys/{survey_id}/links"): row({"mr_manager"}),
    ("POST", "/surveys/{survey_id}/import"): row(
        {"mr_manager"}, json={"member_column": "no", "columns": {"overall": "q1"}, "csv": "no,q1\n12-1,4\n"}
    ),
    ("GET", "/surveys/{survey_id}/summaries"): row(OF_TRADE),
    ("GET", "/surveys/{survey_id}/summaries/{week_ending}"): row(OF_TRADE),
    ("GET", "/surveys/{survey_id}/report"): row(OF_TRADE),
    ("GET", "/surveys/{survey_id}/trend.svg"): row(OF_TRADE),
    ("POST", "/internal/surveys/weekly-summaries"): row({"service"}),
    ("GET", "/internal/surveys/links/{link_id}"): row({"service"}),
    # The member's page: the link is the key, no token is asked (an unknown link is a 404 page for everyone).
    ("GET", "/s/{token}"): row(EVERYONE | {"president"}),
    ("POST", "/s/{token}"): row(EVERYONE | {"president"}),
    **{route: row(EVERYONE | {"president"}) for route in DOC_ROUTES},
}


def test_every_endpoint_of_the_app_has_a_row_in_the_table(app: FastAPI) -> None:
    assert routes_of(app) == set(MATRIX)


def _with_ids(value, ids):
    if isinstance(value, dict):
        return {k: _with_ids(v, ids) for k, v in value.items()}
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids.get(value[1:-1], value)
    return value


@pytest.mark.parametrize(("method", "path"), sorted(MATRIX))
def test_each_role_is_allowed_or_forbidden_as_the_table_says(
    client, headers, token_store, tokens, questionnaire, project, method, path
) -> None:
    ids = {
        "questionnaire_id": questionnaire,
        "survey_id": project,
        "membership_number": "12-1",
        "token": "0" * 32 + ".x",
        "week_ending": "2026-11-26",
        "link_id": "0" * 32,
    }
    r = MATRIX[(method, path)]
    r = row(r.allowed, json=_with_ids(r.json, ids), params=r.params, content=r.content, headers=r.headers)
    url = fill(path, ids)
    check_row(client, every_role(tokens, token_store), method, url, r)
    # The president, beside the shared table's roles.
    response = client.request(
        method, url, headers={**r.headers, **headers["president"]}, json=r.json, params=r.params, content=r.content
    )
    allowed = "president" in r.allowed
    assert (response.status_code not in (401, 403)) if allowed else response.status_code == 403, response.text
