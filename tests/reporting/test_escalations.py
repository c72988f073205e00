"""An escalation of repeated non-answer the way SY-PR-05-00-02 has it: raised by the processor, reviewed by the
member-relations manager (accepted with a note or dismissed with a reason), reported to the SG, and the corrective
action the SG opens delivered to the actions service by an outbox follower, never by the request handler."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.actions.main import create_app as create_actions_app
from services.calls.application import CallCentre
from services.reporting.actions_outbox import ActionNotDelivered, ActionRefused, CorrectiveActionOutbox
from services.reporting.engine import ReportingEngine
from services.reporting.main import create_app
from services.reporting.oversight import Oversight
from services.reporting.projections import EscalationRule
from services.reporting.readmodel import ReadModel
from shared.auth import Role
from shared.db import create_engine
from tests.helpers import assert_problem
from tests.reporting.test_api import abandoned, envelopes, tehran


class Chamber:
    """Four of trade's calls left unanswered on one morning: one more than the threshold of three."""

    def __init__(self, settings, clock):
        calendar = settings.business_calendar
        self.centre = CallCentre(organisation=settings.organisation, calendar=calendar, clock=clock)
        self.oversight = Oversight()
        self.readmodel = ReadModel(settings.readmodel_db_url, calendar)
        self.engine = ReportingEngine(
            self.readmodel, self.oversight, settings.organisation, calendar, EscalationRule(3, timedelta(days=7)), clock
        )
        clock.now = tehran(2026, 11, 21, 11, 0)
        for minute in range(4):
            abandoned(self.centre, tehran(2026, 11, 21, 10, minute))
        self.feed()
        self.feed()  # the escalation the first batch raised comes back from the reporting store
        [escalation] = self.readmodel.escalation_list("trade")
        self.escalation_id = escalation["id"]

    def feed(self) -> None:
        self.engine.handle(envelopes(self.centre) + envelopes(self.oversight))


class FakeActions:
    """The actions service's internal door: one action per source_ref, or down."""

    def __init__(self) -> None:
        self.posted: list[dict[str, Any]] = []
        self.down = False

    def __call__(self, request: dict[str, Any]) -> str:
        if self.down:
            raise ActionNotDelivered("actions service unreachable")
        self.posted.append(request)
        return str(uuid.uuid5(uuid.NAMESPACE_URL, request["source_ref"]))


@pytest.fixture
def chamber(settings, clock) -> Chamber:
    return Chamber(settings, clock)


@pytest.fixture
def client(settings, clock, chamber) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock=clock, oversight=chamber.oversight)) as client:
        yield client


@pytest.fixture
def actions() -> FakeActions:
    return FakeActions()


@pytest.fixture
def outbox(settings, chamber, actions, clock) -> CorrectiveActionOutbox:
    return CorrectiveActionOutbox(
        chamber.oversight, create_engine(settings.local_db_url("reporting_outbox")), actions, clock
    )


def step(client: TestClient, headers, escalation_id: str, name: str, body: dict | None = None):
    return client.post(f"/reports/escalations/{escalation_id}/{name}", json=body, headers=headers)


def reported(client: TestClient, tokens, escalation_id: str) -> None:
    ok = step(client, tokens["mr_manager"], escalation_id, "accept", {"note": "no cover at lunch time"})
    assert ok.status_code == 200, ok.text
    ok = step(client, tokens["mr_manager"], escalation_id, "report")
    assert ok.status_code == 200, ok.text


def test_a_raised_escalation_opens_nothing_until_the_sg_decides(client, tokens, chamber, outbox, actions) -> None:
    got = client.get(f"/reports/escalations/{chamber.escalation_id}", headers=tokens["mr_manager"])
    assert got.status_code == 200, got.text
    assert (got.json()["status"], got.json()["corrective_action_id"]) == ("raised", None)
    outbox.follower.catch_up()
    assert actions.posted == []


def test_the_manager_reviews_reports_to_the_sg_and_the_outbox_opens_the_action_once(
    client, tokens, chamber, outbox, actions
) -> None:
    eid = chamber.escalation_id
    accepted = step(client, tokens["mr_manager"], eid, "accept", {"note": "no cover at lunch time"})
    assert (accepted.json()["status"], accepted.json()["review_note"], accepted.json()["reviewed_by"]) == (
        "accepted",
        "no cover at lunch time",
        "m.karimi",
    )
    assert step(client, tokens["mr_manager"], eid, "report").json()["status"] == "reported"
    decided = step(client, tokens["sg"], eid, "corrective-action", {"title": "Cover the trade line at lunch"})
    assert decided.status_code == 202, decided.text
    assert (decided.json()["status"], decided.json()["corrective_action_id"]) == ("action_requested", None)
    assert actions.posted == []  # the handler only recorded the decision

    outbox.follower.catch_up()
    [posted] = actions.posted
    assert posted == {
        "source_kind": "non_answer",
        "source_ref": f"escalation:{eid}",
        "title": "Cover the trade line at lunch",
        "description": posted["description"],
        "unit": "trade",
        "owner": "f.alavi",  # trade's manager, as the SG named nobody else
    }
    action_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"escalation:{eid}"))
    got = client.get(f"/reports/escalations/{eid}", headers=tokens["sg"]).json()
    assert (got["status"], got["corrective_action_id"]) == ("action_opened", action_id)

    outbox.follower.reset()  # a replay of the whole log (a lost position) delivers nothing twice
    outbox.follower.catch_up()
    assert len(actions.posted) == 1

    chamber.feed()
    [row] = chamber.readmodel.escalation_list("trade")
    assert (row["status"], row["corrective_action_id"]) == ("action_opened", action_id)
    listed = client.get("/reports/escalations", headers=tokens["sg"]).json()
    assert [(e["id"], e["status"]) for e in listed] == [(eid, "action_opened")]


def test_a_request_is_kept_while_the_actions_service_is_down_and_delivered_later(
    client, tokens, chamber, outbox, actions
) -> None:
    reported(client, tokens, chamber.escalation_id)
    step(client, tokens["sg"], chamber.escalation_id, "corrective-action", {})
    actions.down = True
    with pytest.raises(ActionNotDelivered):
        outbox.follower.catch_up()
    assert outbox.follower.position() == 0
    actions.down = False
    outbox.follower.catch_up()
    assert len(actions.posted) == 1
    assert chamber.oversight.escalation(uuid.UUID(chamber.escalation_id)).status == "action_opened"


def test_a_refused_request_is_kept_with_its_reason_and_does_not_hold_up_the_others(
    client, tokens, chamber, outbox
) -> None:
    def refuse(_: dict[str, Any]) -> str:
        raise ActionRefused("actions service refused it: unit unknown")

    outbox.open_action = refuse
    reported(client, tokens, chamber.escalation_id)
    step(client, tokens["sg"], chamber.escalation_id, "corrective-action", {})
    outbox.follower.catch_up()
    [refused] = outbox.refused()
    assert "unit unknown" in refused["refused"]
    assert chamber.oversight.escalation(uuid.UUID(chamber.escalation_id)).status == "action_requested"


def test_a_dismissed_escalation_is_closed_with_its_reason(client, tokens, chamber) -> None:
    eid = chamber.escalation_id
    dismissed = step(client, tokens["mr_manager"], eid, "dismiss", {"reason": "the PBX was down that morning"})
    assert (dismissed.json()["status"], dismissed.json()["review_note"]) == (
        "dismissed",
        "the PBX was down that morning",
    )
    assert_problem(step(client, tokens["mr_manager"], eid, "report"), 409, "dismissed")
    assert_problem(step(client, tokens["sg"], eid, "corrective-action", {}), 409, "dismissed")
    chamber.feed()
    [row] = chamber.readmodel.escalation_list("trade")
    assert row["status"] == "dismissed"


def test_steps_out_of_order_are_refused_and_change_nothing(client, tokens, chamber) -> None:
    eid = chamber.escalation_id
    assert_problem(step(client, tokens["mr_manager"], eid, "report"), 409, "raised")
    assert_problem(step(client, tokens["sg"], eid, "corrective-action", {}), 409, "raised")
    step(client, tokens["mr_manager"], eid, "accept", {"note": "seen"})
    assert_problem(step(client, tokens["mr_manager"], eid, "dismiss", {"reason": "changed my mind"}), 409, "accepted")
    assert chamber.oversight.escalation(uuid.UUID(eid)).status == "accepted"


def test_bad_review_input_and_unknown_escalations(client, tokens, chamber) -> None:
    eid = chamber.escalation_id
    assert step(client, tokens["mr_manager"], eid, "accept", {"note": ""}).status_code == 422
    assert step(client, tokens["mr_manager"], eid, "dismiss", {}).status_code == 422
    assert chamber.oversight.escalation(uuid.UUID(eid)).status == "raised"
    unknown = str(uuid.uuid4())
    assert_problem(step(client, tokens["mr_manager"], unknown, "accept", {"note": "x"}), 404, "no escalation")
    assert_problem(client.get(f"/reports/escalations/{unknown}", headers=tokens["sg"]), 404)


def test_only_the_member_relations_manager_reviews_and_only_the_sg_opens_the_action(client, tokens, chamber) -> None:
    eid = chamber.escalation_id
    for role in ("sg", "unit_manager", "expert", "auditor"):
        assert step(client, tokens[role], eid, "accept", {"note": "x"}).status_code == 403
    reported(client, tokens, eid)
    for role in ("mr_manager", "unit_manager", "auditor"):
        assert step(client, tokens[role], eid, "corrective-action", {}).status_code == 403


def test_a_unit_manager_reads_his_or_her_own_units_escalation_only(client, tokens, chamber) -> None:
    eid = chamber.escalation_id
    assert client.get(f"/reports/escalations/{eid}", headers=tokens["unit_manager"]).status_code == 200  # trade
    assert_problem(client.get(f"/reports/escalations/{eid}", headers=tokens["other_manager"]), 403, "own unit")


def test_the_actions_service_takes_the_request_as_sent(settings, clock, client, tokens, chamber, token_store) -> None:
    """The body the outbox sends is one the real internal door accepts, and a repeat names the same action."""
    service = token_store.create("reporting-service", Role.SERVICE)
    with TestClient(create_actions_app(settings, clock=clock, relay=False)) as actions_client:

        def open_action(request: dict[str, Any]) -> str:
            response = actions_client.post(
                "/internal/actions", json=request, headers={"Authorization": f"Bearer {service}"}
            )
            assert response.status_code in (200, 201), response.text
            return str(response.json()["id"])

        outbox = CorrectiveActionOutbox(
            chamber.oversight, create_engine(settings.local_db_url("reporting_outbox")), open_action, clock
        )
        reported(client, tokens, chamber.escalation_id)
        step(client, tokens["sg"], chamber.escalation_id, "corrective-action", {})
        outbox.follower.catch_up()
        action_id = chamber.oversight.escalation(uuid.UUID(chamber.escalation_id)).corrective_action_id
        action = actions_client.get(f"/actions/{action_id}", headers=tokens["sg"]).json()
        assert (action["source_kind"], action["source_ref"], action["unit"], action["owner"]) == (
            "non_answer",
            f"escalation:{chamber.escalation_id}",
            "trade",
            "f.alavi",
        )
        outbox.follower.reset()
        outbox.follower.catch_up()
        assert chamber.oversight.escalation(uuid.UUID(chamber.escalation_id)).corrective_action_id == action_id


def test_one_escalation_as_of_a_past_moment_is_byte_for_byte_what_it_showed_then(
    client, tokens, chamber, clock
) -> None:
    path = f"/reports/escalations/{chamber.escalation_id}"
    raised = client.get(path, headers=tokens["mr_manager"])
    assert raised.status_code == 200, raised.text
    then = clock.now

    clock.now = then + timedelta(hours=2)
    reported(client, tokens, chamber.escalation_id)
    now = client.get(path, headers=tokens["mr_manager"])
    assert now.json()["status"] == "reported"

    again = client.get(path, params={"as_of": then.isoformat()}, headers=tokens["mr_manager"])
    assert again.status_code == 200, again.text
    assert again.content == raised.content
    later = client.get(path, params={"as_of": clock.now.isoformat()}, headers=tokens["mr_manager"])
    assert later.content == now.content
    before = client.get(path, params={"as_of": (then - timedelta(days=1)).isoformat()}, headers=tokens["mr_manager"])
    assert_problem(before, 404, "not raised yet")
    to_come = client.get(path, params={"as_of": (then + timedelta(days=1)).isoformat()}, headers=tokens["mr_manager"])
    assert_problem(to_come, 422, "a moment still to come")
