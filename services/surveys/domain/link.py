"""A member's one-time online link, as an event: which member of which survey (or periodic round) was given a link,
under which link id, and until when it works. The link's secret part (its signature) is never in the event: the
notifications service asks the surveys service's internal door for the URL when it sends the message."""

from __future__ import annotations

import uuid
from datetime import datetime

from eventsourcing.domain import Aggregate, event

from services.surveys.domain.questionnaire import SURVEY_NAMESPACE


def link_event_id(survey_id: uuid.UUID | str, membership_number: str) -> uuid.UUID:
    """One link per member per survey: issuing the links again finds the member's link already recorded."""
    return uuid.uuid5(SURVEY_NAMESPACE, f"link:{survey_id}:{membership_number}")


class SurveyLink(Aggregate):
    @event("Issued")
    def __init__(
        self,
        *,
        survey_id: str,
        kind: str,
        period: str | None,
        membership_number: str,
        member_id: str | None,
        language: str | None,
        link_id: str,
        expires_on: str | None,
        by: str | None,
        at: datetime,
    ):
        self.survey_id = survey_id
        self.membership_number = membership_number
        self.link_id = link_id
        self.expires_on = expires_on  # the last day the link works (a periodic round's); None: while the survey runs
        self.issued_at = at

    @classmethod
    def create_id(cls, *, survey_id: str, membership_number: str, **_: object) -> uuid.UUID:
        return link_event_id(survey_id, membership_number)
