"""A complaint opened from a callback reaches the complaints service through a follower of the calls store, with
retry: the call is never lost when the complaints service is down, and one referral opens one complaint."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.calls.application import CallCentre
from services.calls.domain import CallbackOutcome, Direction, State
from services.calls.referrals import ComplaintNotDelivered, ComplaintReferrals, ComplaintRefused
from services.complaints.main import create_app as create_complaints
from shared.auth import Role, TokenStore
from shared.db import create_engine
from shared.organisation import DEFAULT_ORGANISATION, Organisation


@pytest.fixture
def complaints(settings, clock) -> Iterator[TestClient]:
    with TestClient(create_complaints(settings, clock=clock, relay=False)) as client:
        yield client


@pytest.fixture
def service_token(settings) -> str:
    return TokenStore(settings.auth_db_url, cache_seconds=0).create("calls", Role.SERVICE, None)


class Complaints:
    """The complaints service's real internal endpoint, which can be taken down."""

    def __init__(self, client: TestClient, token: str):
        self.client = client
        self.token = token
        self.up = False
        self.posted: list[dict[str, Any]] = []

    def __call__(self, referral: dict[str, Any]) -> str:
        if not self.up:
            raise ComplaintNotDelivered("complaints service unreachable: connection refused")
        self.posted.append(referral)
        response = self.client.post(
            "/internal/complaints", json=referral, headers={"Authorization": f"Bearer {self.token}"}
        )
        assert response.status_code in (200, 201), response.text
        return response.json()["id"]


def test_a_callback_referred_to_a_complaint_opens_one_once_the_complaints_service_is_back(
    tmp_path, clock, complaints, service_token
) -> None:
    centre = CallCentre(organisation=Organisation.load(DEFAULT_ORGANISATION), clock=clock)
    call_id = centre.receive_call(direction=Direction.INCOMING, caller="09131234567", unit="trade")
    centre.record_unit_not_answered(call_id)
    centre.transfer_to_member_relations(call_id)
    centre.take_down_subject(
        call_id,
        subject="certificate fee charged twice",
        by="z.rahimi",
        contact_name="Maryam Ahmadi",
        contact_phone=None,
    )
    centre.register_unanswered(call_id, by="z.rahimi", subject=None, contact_name=None, contact_phone=None)
    service = Complaints(complaints, service_token)
    referrals = ComplaintReferrals(centre, create_engine(f"sqlite:///{tmp_path}/calls_index.db"), service, clock)

    centre.record_callback(
        call_id, by="f.alavi", outcome=CallbackOutcome.REFERRED, note="wants it reviewed", referred_to="complaint"
    )
    assert centre.get_call(call_id).state == State.CALLED_BACK  # recorded whatever the complaints service does
    with pytest.raises(ComplaintNotDelivered):
        referrals.follower.catch_up()
    assert referrals.complaint_of(str(call_id)) is None

    service.up = True
    referrals.follower.catch_up()
    complaint_id = referrals.complaint_of(str(call_id))
    assert complaint_id is not None
    assert [p["source_ref"] for p in service.posted] == [f"calls:call:{call_id}"]
    assert "certificate fee charged twice" in service.posted[0]["description"]

    # Delivered again (the follower's table lost, say): the internal endpoint is keyed by source_ref.
    assert service(service.posted[0]) == complaint_id
    referrals.follower.catch_up()
    assert len(service.posted) == 2


def test_a_referral_the_complaints_service_refuses_for_good_is_kept_with_the_reason_and_does_not_block_others(
    tmp_path, clock
) -> None:
    centre = CallCentre(organisation=Organisation.load(DEFAULT_ORGANISATION), clock=clock)
    sent: list[str] = []

    def complaints(referral: dict[str, Any]) -> str:
        sent.append(referral["source_ref"])
        if len(sent) == 1:
            raise ComplaintRefused("complaints service refused it: description too long")
        return "c-2"

    referrals = ComplaintReferrals(centre, create_engine(f"sqlite:///{tmp_path}/calls_index.db"), complaints, clock)
    calls = []
    for caller in ("09131234567", "09121112233"):
        call_id = centre.receive_call(direction=Direction.INCOMING, caller=caller, unit="trade")
        centre.transfer_to_member_relations(call_id)
        centre.take_down_subject(call_id, subject="x" * 4000, by="z.rahimi", contact_name=None, contact_phone=None)
        centre.register_unanswered(call_id, by="z.rahimi", subject=None, contact_name=None, contact_phone=None)
        centre.record_callback(call_id, by="f.alavi", outcome="referred", note="y" * 4000, referred_to="complaint")
        calls.append(call_id)
    assert len(centre.get_call(calls[0]).complaint_referral["description"]) == 8000
    referrals.follower.catch_up()
    assert referrals.complaint_of(str(calls[0])) is None
    assert referrals.complaint_of(str(calls[1])) == "c-2"
    referrals.follower.catch_up()
    assert len(sent) == 2
