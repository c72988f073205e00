"""The per-member record of the one-time links: one `link_issued` event for each member given a link (issuing the
links again records nothing new), and the internal door where the notifications service reads a link's URL when it
sends it, so that the link's secret never travels on the event stream."""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.persistence import IntegrityError
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from services.surveys.access import Internal
from services.surveys.application import SurveyOffice
from services.surveys.domain.contact import Status, contact_id
from services.surveys.domain.link import SurveyLink
from services.surveys.page import expired
from shared.errors import NotFound


def record_links_issued(office: SurveyOffice, survey_id: str, numbers: list[str], *, by: str | None) -> int:
    """Records the link of each member not recorded yet; returns how many are new."""
    survey = office.get_survey(survey_id)
    identities = office.roster.identities(numbers) if hasattr(office.roster, "identities") else {}
    now = office.clock()
    made = [
        SurveyLink(
            survey_id=str(survey.id),
            kind=survey.kind,
            period=survey.period,
            membership_number=number,
            member_id=identities.get(number, (None, None))[0],
            language=identities.get(number, (None, None))[1],
            link_id=contact_id(survey.id, number).hex,
            expires_on=survey.ends_on,
            by=by,
            at=now,
        )
        for number in numbers
    ]
    if not made:
        return 0
    try:
        office.save(*made)  # the first issue: every link is new, saved at once
        return len(made)
    except IntegrityError:
        pass
    recorded = 0
    for link in made:  # issued before: only the members added since are new
        if link.id in office.repository:
            continue
        try:
            office.save(link)
            recorded += 1
        except IntegrityError:  # issued meanwhile by another request
            pass
    return recorded


class LinkForSending(BaseModel):
    link_id: str = Field(description="the link's id, as the link_issued event names it")
    survey_id: str = Field(description="the survey (or periodic round) the link answers")
    membership_number: str = Field(description="the member the link was issued to")
    url: str = Field(description="the member's one-time link, with its secret: to be sent, never stored")
    state: str = Field(
        description="open; answered, declined or not_reached (the member's contact is closed with that outcome); "
        "or expired (the survey no longer runs)"
    )


# A closed contact's outcome as the door names it ("answered" as it always has for a member who responded).
CLOSED_STATES: dict[str, str] = {
    Status.RESPONDED: "answered",
    Status.DECLINED: "declined",
    Status.NOT_REACHED: "not_reached",
}

internal = APIRouter(prefix="/internal/surveys", tags=["internal"])


@internal.get(
    "/links/{link_id}",
    response_model=LinkForSending,
    summary="A member's one-time link as it is to be sent (role service: the notifications service)",
)
def link_for_sending(request: Request, _: Internal, link_id: str) -> Any:
    """The URL of an issued link and whether it still works; 404 for a link id never issued."""
    found = request.app.state.links.lookup(link_id) if len(link_id) == 32 else None
    if found is None:
        raise NotFound(f"no link {link_id}")
    survey_id, number, token = found
    office: SurveyOffice = request.app.state.office
    contact = office.find_contact(survey_id, number)
    if contact is not None and contact.status != Status.PENDING:
        state = CLOSED_STATES[contact.status]
    elif expired(office, office.survey_view(uuid.UUID(survey_id)), office.clock()):
        state = "expired"
    else:
        state = "open"
    url = f"{request.app.state.link_base_url}/s/{token}"
    return {"link_id": link_id, "survey_id": survey_id, "membership_number": number, "url": url, "state": state}
