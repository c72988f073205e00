"""Who may read which report: the pure rules of services/reporting/access.py, and the end-of-day lists an expert of
another unit could read (callers' names, numbers and subjects, as JSON and CSV)."""

from __future__ import annotations

import pytest

from services.reporting import access
from shared.auth import CONFIDENTIAL_READERS, Principal, Role
from tests.helpers import assert_problem
from tests.reporting.test_api import client, day  # noqa: F401 - fixtures

MR = "member_relations"
MR_EXPERT = Principal("z.rahimi", Role.EXPERT, MR)
TRADE_EXPERT = Principal("s.ahmadi", Role.EXPERT, "trade")
TRADE_MANAGER = Principal("f.alavi", Role.UNIT_MANAGER, "trade")
MR_MANAGER = Principal("m.karimi", Role.MR_MANAGER, MR)
SG = Principal("sg", Role.SG)
AUDITOR = Principal("auditor", Role.AUDITOR)
ADMIN = Principal("operator", Role.ADMIN)


def test_an_expert_sees_his_or_her_own_queue_within_the_unit() -> None:
    assert access.unanswered_scope(TRADE_EXPERT, MR, None, None) == access.Scope("trade", "s.ahmadi")
    assert access.unanswered_scope(MR_EXPERT, MR, "membership", None) == access.Scope("membership", "z.rahimi")
    with pytest.raises(access.Refused, match="own queue"):
        access.unanswered_scope(TRADE_EXPERT, MR, None, "r.sadeghi")
    with pytest.raises(access.Refused, match="own unit"):
        access.unanswered_scope(TRADE_EXPERT, MR, "membership", None)


def test_a_unit_manager_sees_the_unit_and_member_relations_the_sg_and_auditors_see_all() -> None:
    assert access.unanswered_scope(TRADE_MANAGER, MR, None, "k.rezaei") == access.Scope("trade", "k.rezaei")
    with pytest.raises(access.Refused, match="own unit"):
        access.unanswered_scope(TRADE_MANAGER, MR, "membership", None)
    for principal in (MR_MANAGER, SG, AUDITOR, ADMIN):
        assert access.unanswered_scope(principal, MR, None, "n.jafari") == access.Scope(None, "n.jafari")


def test_per_unit_lists_are_for_the_units_staff_and_those_who_see_all() -> None:
    assert access.unit_scope(TRADE_EXPERT, MR, None) == "trade"
    assert access.unit_scope(TRADE_MANAGER, MR, "trade") == "trade"
    for principal in (TRADE_EXPERT, TRADE_MANAGER):
        with pytest.raises(access.Refused):
            access.unit_scope(principal, MR, "membership")
    for principal in (MR_EXPERT, MR_MANAGER, SG, AUDITOR, ADMIN):
        assert access.unit_scope(principal, MR, None) is None
        assert access.unit_scope(principal, MR, "membership") == "membership"
    with pytest.raises(access.Refused):
        access.unit_scope(Principal("nobody", Role.UNIT_MANAGER, None), MR, None)


def test_confidential_complaints_are_listed_to_the_roles_the_complaints_service_entitles() -> None:
    assert {r for r in Role if access.may_see_confidential(Principal("x", r))} == CONFIDENTIAL_READERS


def test_an_expert_of_another_unit_may_not_read_a_units_end_of_day_list(client, tokens) -> None:  # noqa: F811
    expert = tokens["trade_expert"]
    url = "/reports/end-of-day/membership/2026-11-21"
    assert_problem(client.get(url, headers=expert), 403, "own unit")
    assert_problem(client.get(url, params={"format": "csv"}, headers=expert), 403, "own unit")
    assert_problem(client.get(url, headers={**expert, "Accept": "text/csv"}), 403, "own unit")
    assert client.get("/reports/end-of-day/trade/2026-11-21", headers=expert).status_code == 200
    assert client.get(url, headers=tokens["expert"]).status_code == 200  # member relations sees every unit


def test_the_end_of_day_index_shows_an_expert_only_his_or_her_units_lists(client, tokens) -> None:  # noqa: F811
    everything = client.get("/reports/end-of-day", headers=tokens["auditor"]).json()
    assert {e["unit"] for e in everything} == {"trade", "membership"}
    mine = client.get("/reports/end-of-day", headers=tokens["trade_expert"]).json()
    assert mine and {e["unit"] for e in mine} == {"trade"}
    response = client.get("/reports/end-of-day", params={"unit": "membership"}, headers=tokens["trade_expert"])
    assert_problem(response, 403, "own unit")


def test_a_unit_manager_reads_only_his_or_her_units_escalations(client, tokens) -> None:  # noqa: F811
    response = client.get("/reports/escalations", params={"unit": "membership"}, headers=tokens["unit_manager"])
    assert_problem(response, 403, "own unit")
    assert client.get("/reports/escalations", headers=tokens["unit_manager"]).status_code == 200
