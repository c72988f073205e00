"""The committee's corrective actions reach the actions service through a follower of the complaints store, with
retry: the decision is recorded whatever the actions service does, each action is opened there once, keyed by
`complaint:<id>:CA-n`, and the complaint shows the action's id."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.actions.main import create_app as create_actions
from services.complaints.application import ComplaintDesk
from services.complaints.outbox import ActionNotDelivered, CorrectiveActionOutbox
from shared.auth import Role, TokenStore
from shared.db import create_engine
from shared.organisation import DEFAULT_ORGANISATION, Organisation
from shared.settings import ComplaintSettings

COMMITTEE = ComplaintSettings(
    committee_fixed_members=("m.karimi", "sg", "planning.manager"), committee_sg=("sg",), committee_assistant=None
)


@pytest.fixture
def actions(settings, clock) -> Iterator[TestClient]:
    with TestClient(create_actions(settings, clock=clock, relay=False)) as client:
        yield client


@pytest.fixture
def service_token(settings) -> str:
    return TokenStore(settings.auth_db_url, cache_seconds=0).create("complaints-service", Role.SERVICE, None)


class Actions:
    """The actions service's real internal endpoint, which can be taken down."""

    def __init__(self, client: TestClient, token: str):
        self.client = client
        self.token = token
        self.up = False
        self.posted: list[dict[str, Any]] = []

    def __call__(self, request: dict[str, Any]) -> str:
        if not self.up:
            raise ActionNotDelivered("actions service unreachable: connection refused")
        self.posted.append(request)
        response = self.client.post(
            "/internal/actions", json=request, headers={"Authorization": f"Bearer {self.token}"}
        )
        assert response.status_code in (200, 201), response.text
        return response.json()["id"]


def decided_with_actions(desk: ComplaintDesk, clock) -> Any:
    cid = desk.register_complaint(
        channel="in_person",
        kind="complaint",
        description="the card was issued two months late",
        by="z.rahimi",
        occurred_at=datetime(2026, 11, 18, 7, 0, tzinfo=UTC),
        complainant_name="Ali Rezaei",
        phone="09131234567",
        unit="membership",
        stakeholders={"units": ["membership"]},
    )
    desk.acknowledge_complaint(cid, by="z.rahimi", method="phone")
    desk.complete_review(cid, by="m.karimi")
    desk.refer_complaint(cid, by="m.karimi")
    desk.assign_handler(cid, handler_kind="person", handler="p.mohammadi", by="sg")
    desk.file_investigation(
        cid, by="p.mohammadi", by_unit=None, circumstances="c", root_causes="r", consequences="q", actions_taken="a"
    )
    desk.decide_complaint(cid, decision="accepted", reason=None, by="sg")
    desk.convene_committee(cid, subject="card delays", by="m.karimi")
    clock.advance(hours=2)
    desk.record_committee_decision(
        cid,
        attendees=["m.karimi", "sg", "h.tehrani"],
        decision="settled",
        reasoning="a deputy signs in the manager's absence",
        minutes="the unit manager explained the delay",
        corrective_actions=[
            {"description": "name a deputy signatory", "owner": "membership", "due": "2026-12-20"},
            {"description": "train the desk on card renewals", "owner": "t.heidari", "due": "2026-12-25"},  # a Friday
        ],
        by="m.karimi",
    )
    return cid


def test_the_committee_s_actions_open_once_in_the_actions_service_and_the_complaint_shows_their_ids(
    tmp_path, clock, actions, service_token
) -> None:
    org = Organisation.load(DEFAULT_ORGANISATION)
    desk = ComplaintDesk(organisation=org, clock=clock, config=COMMITTEE)
    service = Actions(actions, service_token)
    outbox = CorrectiveActionOutbox(desk, create_engine(f"sqlite:///{tmp_path}/index.db"), service, clock)
    cid = decided_with_actions(desk, clock)
    assert desk.get_complaint(cid).state.value == "decided"  # recorded whatever the actions service does
    with pytest.raises(ActionNotDelivered):
        outbox.follower.catch_up()
    assert [a["actions_id"] for a in desk.view(cid)["corrective_actions"]] == [None, None]

    service.up = True
    outbox.follower.catch_up()
    assert [p["source_ref"] for p in service.posted] == [f"complaint:{cid}:CA-1", f"complaint:{cid}:CA-2"]
    unit_action, person_action = service.posted
    assert (unit_action["source_kind"], unit_action["owner"], unit_action["unit"]) == (
        "complaint",
        "h.tehrani",
        "membership",
    )
    assert (person_action["owner"], person_action["unit"]) == ("t.heidari", "member_services")
    assert person_action["due_on"] == "2026-12-26"  # Friday is no working day in Iran: the next one
    ids = [a["actions_id"] for a in desk.view(cid)["corrective_actions"]]
    assert all(ids)
    opened = actions.get(f"/actions/{ids[0]}", headers={"Authorization": f"Bearer {service_token}"})
    assert opened.status_code in (200, 403)  # the id is the actions service's own

    # Again (the outbox's table lost, say): the internal endpoint is keyed by source_ref, the same ids come back.
    assert service(unit_action) == ids[0]
    outbox.follower.catch_up()
    assert len(service.posted) == 3
    events = [e["type"] for e in desk.history(cid)]
    assert events.count("crm.complaints.complaint.corrective_action_opened.v1") == 2


def test_an_action_the_actions_service_refuses_is_kept_with_the_reason_and_does_not_block_the_others(
    tmp_path, clock
) -> None:
    from services.complaints.outbox import ActionRefused

    desk = ComplaintDesk(organisation=Organisation.load(DEFAULT_ORGANISATION), clock=clock, config=COMMITTEE)
    opened: list[str] = []

    def open_action(request: dict[str, Any]) -> str:
        if request["source_ref"].endswith("CA-1"):
            raise ActionRefused("actions service refused it: due_on is not a working day")
        opened.append(request["source_ref"])
        return "9a7c6b5d-0000-4000-8000-000000000002"

    outbox = CorrectiveActionOutbox(desk, create_engine(f"sqlite:///{tmp_path}/index.db"), open_action, clock)
    cid = decided_with_actions(desk, clock)
    outbox.follower.catch_up()
    assert opened == [f"complaint:{cid}:CA-2"]
    [refused] = outbox.refused()
    assert refused["source_ref"] == f"complaint:{cid}:CA-1" and "not a working day" in refused["refused"]
